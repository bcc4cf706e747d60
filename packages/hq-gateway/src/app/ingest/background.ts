// Work the pipeline starts and does not wait for on the hot path: publishes (acks, responses,
// resend commands: a publish can stay pending across a broker restart) and store/bank calls
// after a commit (settlement, reconciliation, authorisation). flush() waits for the tracked ones.
// A failure is logged with its own code when it has one (HqError, CodecFailure, a bank or store
// error), else with the code the caller names for that kind of work.
import { describe } from '../../domain/codec/envelope.js';
import { type HqCode, isHqCode } from '../../errors.js';
import type { Log } from '../../ports/log.js';

/** The error's own HQ code when it carries one, else `fallback` (HQ_INTERNAL_ERROR by default). */
export function codeOf(error: unknown, fallback: HqCode = 'HQ_INTERNAL_ERROR'): HqCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && isHqCode(code) ? code : fallback;
}

/** Log fields of an error: its HQ code, a foreign code (e.g. SQLITE_BUSY) as errorCode, the message. */
export function errorFields(error: unknown, fallback?: HqCode): Record<string, unknown> {
  const own = (error as { code?: unknown } | null)?.code;
  const code = codeOf(error, fallback);
  return typeof own === 'string' && own !== code
    ? { code, errorCode: own, error: describe(error) }
    : { code, error: describe(error) };
}

export class Background {
  readonly #log: Log;
  readonly #work = new Set<Promise<unknown>>();
  readonly #onSettled: () => void;

  /** `onSettled`: called each time a tracked piece of work ends (the pipeline's idle check). */
  constructor(log: Log, onSettled: () => void) {
    this.#log = log;
    this.#onSettled = onSettled;
  }

  get size(): number {
    return this.#work.size;
  }

  /** Work flush() waits for; a failure is logged with its own code (HQ_INTERNAL_ERROR when it has none). */
  track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.#log.error(errorFields(error), 'background work failed');
    });
    this.#work.add(tracked);
    void tracked.finally(() => {
      this.#work.delete(tracked);
      this.#onSettled();
    });
  }

  /** Resolves when the work tracked now has ended (work tracked later is not waited for). */
  settledNow(): Promise<void> {
    return Promise.allSettled([...this.#work]).then(() => undefined);
  }

  /** A publish HQ does not wait for (flush() neither): logged when it fails. */
  fireAndForget(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      this.#log.warn(errorFields(error, 'HQ_MQTT_FAILED'), 'publish failed');
    });
  }
}
