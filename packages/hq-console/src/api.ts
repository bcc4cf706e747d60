// The console's HTTP client for the HQ API (issue 11): bearer session in sessionStorage (gone when
// the tab closes), problem+json refusals as ApiError with every problem and its field (R21), and
// the live stream read with fetch so the token stays in a header, never in a URL.

export interface Problem {
  readonly code: string;
  readonly field?: string;
  readonly message: string;
  /** A network refusal's facts (R12: the site and its distance in metres). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: readonly Problem[];

  constructor(status: number, code: string, message: string, problems: readonly Problem[]) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

export interface Session {
  readonly token: string;
  readonly user: string;
  readonly role: string;
  readonly branchId: string | null;
  readonly expiresAtMs: number;
}

const sessionKey = 'hq-console-session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(sessionKey);
  if (text === null) return null;
  try {
    // The server judges expiry (a desk's clock may be wrong): a stale token gets 401 and a new login.
    const session = JSON.parse(text) as Session;
    return typeof session.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(sessionKey);
  else sessionStorage.setItem(sessionKey, JSON.stringify(session));
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string; problems?: Problem[] } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not problem+json (a proxy's page): the status says enough
  }
  const code = body.code ?? `HTTP_${response.status}`;
  return new ApiError(response.status, code, body.detail ?? code, body.problems ?? []);
}

let onUnauthorised: () => void = () => {};
export function setUnauthorisedHandler(handler: () => void): void {
  onUnauthorised = handler;
}

export async function api<T>(
  session: Session | null,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (session !== null) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401 && session !== null) onUnauthorised();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string from the defined values only. */
export function query(values: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export interface LiveMessage {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads GET /api/v1/live until `signal` aborts; calls `onMessage` per event and `onState` with
 * true/false as the stream opens and drops. Reconnects with capped exponential backoff.
 */
export async function followLive(
  session: Session,
  signal: AbortSignal,
  onMessage: (message: LiveMessage) => void,
  onState: (connected: boolean) => void,
): Promise<void> {
  let backoffMs = 500;
  const backoffMsMax = 15_000;
  while (!signal.aborted) {
    try {
      const response = await fetch('/api/v1/live', {
        headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
        signal,
      });
      if (response.status === 401) {
        onUnauthorised();
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`live: HTTP ${response.status}`);
      onState(true);
      backoffMs = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) onMessage({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // dropped or refused: retried below
    }
    if (signal.aborted) return;
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, backoffMs * (0.5 + Math.random() / 2)));
    backoffMs = Math.min(backoffMs * 2, backoffMsMax);
  }
}
