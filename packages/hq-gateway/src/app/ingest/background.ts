// Work the pipeline starts and does not wait for on the hot path: publishes (acks, responses,
// resend commands: a publish can stay pending across a broker restart) and store/bank calls
// after a commit (settlement, reconciliation, authorisation). flush() waits for the tracked ones.
// A failure is logged with its own code when it has one (HqError, CodecFailure, a bank or store
// error), else with the code the caller names for that kind of work.
import { describe } from '../../adapters/wire/codec.js';
import { type HqCode, isHqCode } from '../../errors.js';
import type { Log } from '../../ports/log.js';

/** The error's own HQ code when it carries one, else `fallback`. */
export function codeOf(error: unknown, fallback: HqCode): HqCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && isHqCode(code) ? code : fallback;
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

  /** Work flush() waits for; a failure is logged with its code (`fallback` when it has none). */
  track(work: Promise<unknown>, fallback: HqCode): void {
    const tracked = work.catch((error: unknown) => {
      this.#log.error({ code: codeOf(error, fallback), error: describe(error) }, 'background work failed');
    });
    this.#work.add(tracked);
    void tracked.finally(() => {
      this.#work.delete(tracked);
      this.#onSettled();
    });
  }

  /** A publish HQ does not wait for (flush() neither): logged when it fails. */
  fireAndForget(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      this.#log.warn({ code: codeOf(error, 'HQ_MQTT_FAILED'), error: describe(error) }, 'publish failed');
    });
  }
}
