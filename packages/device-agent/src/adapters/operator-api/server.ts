// The local operator API for the shop's counter app (and the demo, the tests, `kiosk tx`):
// HTTP/1.1 over a Unix socket, or over loopback only, with a bearer token read from a file and
// compared in constant time. JSON bodies are validated at the edge: a bad field is refused with
// its name and the stable code AGENT_OPERATOR_BAD_FIELD; a business refusal carries every reason
// at once (R21).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { agentErrorCodes, isAgentError } from '../../errors.js';
import { operatorBodyBytesMax } from '../../limits.js';
import type { OperatorPort } from '../../ports/operator.js';
import { validateBillPayment, validateDailyClose, validateTopup, validateWithdrawal } from './validate.js';

export type OperatorListen =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'loopback'; readonly host: '127.0.0.1' | '::1'; readonly port: number };

export interface OperatorApiOptions {
  readonly listen: OperatorListen;
  /** The operator credential (from the token file). At least 16 characters. */
  readonly token: string;
  readonly operator: OperatorPort;
  readonly logger: Logger;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.code));
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class OperatorApi {
  readonly #options: OperatorApiOptions;
  readonly #server: Server;
  readonly #tokenDigest: Buffer;
  readonly #log: Logger;

  constructor(options: OperatorApiOptions) {
    if (options.token.length < 16) throw new Error('assert: operator token must be at least 16 characters');
    this.#options = options;
    this.#tokenDigest = digest(options.token);
    this.#log = options.logger.child({ component: 'operator-api' });
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  /** Starts listening; resolves with the address (socket path or port). */
  async listen(): Promise<string> {
    const listen = this.#options.listen;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      if (listen.kind === 'unix') {
        if (existsSync(listen.socketPath)) unlinkSync(listen.socketPath);
        this.#server.listen(listen.socketPath, () => resolve());
      } else {
        this.#server.listen(listen.port, listen.host, () => resolve());
      }
    });
    if (listen.kind === 'unix') {
      chmodSync(listen.socketPath, 0o600);
      return listen.socketPath;
    }
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? String(address.port) : String(address);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #authorised(request: IncomingMessage): boolean {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    // Compare digests, so the comparison takes the same time whatever the length.
    return match !== null && timingSafeEqual(digest(match[1] ?? ''), this.#tokenDigest);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (!this.#authorised(request)) {
        throw new HttpProblem(401, {
          code: 'AGENT_OPERATOR_UNAUTHORISED',
          message: 'missing or wrong operator token',
        });
      }
      const body = request.method === 'POST' ? await readJson(request) : undefined;
      const result = await this.#route(request.method ?? 'GET', request.url ?? '/', body);
      send(response, 200, result);
    } catch (error) {
      if (error instanceof HttpProblem) {
        send(response, error.status, error.body);
        return;
      }
      // Never echo an internal error to the client (it may name paths, SQL or secrets): the code,
      // its registry meaning and a request id that finds the full error in the log.
      const code = isAgentError(error) ? error.code : 'AGENT_OPERATOR_INTERNAL';
      const requestId = randomUUID();
      this.#log.error(
        { code, requestId, err: error instanceof Error ? error.message : String(error) },
        'operator request failed',
      );
      send(response, 503, { code, requestId, message: agentErrorCodes[code] });
    }
  }

  async #route(method: string, url: string, body: unknown): Promise<unknown> {
    const operator = this.#options.operator;
    const path = url.split('?')[0] ?? '/';
    const txMatch = /^\/v1\/withdrawals\/([A-Za-z0-9_-]{1,64})(\/confirm-cash|\/void)?$/.exec(path);
    if (method === 'GET' && path === '/v1/status') return operator.status();
    if (method === 'GET' && path === '/v1/peripherals' && operator.peripherals !== undefined)
      return operator.peripherals();
    if (method === 'POST' && path === '/v1/withdrawals')
      return operator.startWithdrawal(valid(validateWithdrawal(body)));
    if (method === 'POST' && path === '/v1/bill-payments')
      return operator.payBill(valid(validateBillPayment(body)));
    if (method === 'POST' && path === '/v1/topups') return operator.topUp(valid(validateTopup(body)));
    if (method === 'POST' && path === '/v1/daily-close') {
      const close = valid(validateDailyClose(body));
      return operator.dailyClose(close.businessDate, close.cash);
    }
    if (txMatch !== null) {
      const txId = txMatch[1] as string;
      if (method === 'GET' && txMatch[2] === undefined) {
        const view = operator.withdrawal(txId);
        if (view === null)
          throw new HttpProblem(404, { code: 'AGENT_OPERATOR_NOT_FOUND', message: `no withdrawal ${txId}` });
        return { ok: true, withdrawal: view };
      }
      if (method === 'POST' && txMatch[2] === '/confirm-cash') return operator.confirmCash(txId);
      if (method === 'POST' && txMatch[2] === '/void') return operator.voidWithdrawal(txId);
    }
    throw new HttpProblem(404, { code: 'AGENT_OPERATOR_NOT_FOUND', message: `no route ${method} ${path}` });
  }
}

function valid<T>(result: { ok: true; value: T } | { ok: false; problems: unknown[] }): T {
  if (!result.ok) {
    throw new HttpProblem(400, {
      code: 'AGENT_OPERATOR_BAD_FIELD',
      message: 'invalid request body',
      problems: result.problems,
    });
  }
  return result.value;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let sizeBytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    sizeBytes += chunk.length;
    if (sizeBytes > operatorBodyBytesMax) {
      throw new HttpProblem(413, {
        code: 'AGENT_OPERATOR_BODY_TOO_LARGE',
        message: `body over ${operatorBodyBytesMax} bytes`,
      });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpProblem(400, { code: 'AGENT_OPERATOR_BAD_JSON', message: 'body is not valid JSON' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
