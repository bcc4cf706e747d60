// The Clock port: the only source of "now" and of timers for HQ logic. Nothing in app/ or domain/
// calls setTimeout/setInterval/setImmediate itself: the batch delay, the ack coalescing window,
// the silence sweep and the signature-round scheduling all go through a Clock, so a test drives
// them with a fake clock (test/helpers/fake-clock.ts) instead of waiting on wall time.

/** An opaque handle to a pending timer (only the clock that made it can clear it). */
export interface TimerHandle {
  readonly timerBrand?: never;
}

export interface Clock {
  /** Unix epoch milliseconds, UTC. */
  nowMs(): number;
  /**
   * Run `callback` once after `delayMs` (>= 0) ms on this clock's time. `background`: the timer
   * does not keep the process alive (a periodic sweep); default false.
   */
  setTimeout(callback: () => void, delayMs: number, options?: { readonly background?: boolean }): TimerHandle;
  /** Cancel a timer made by this clock's setTimeout; a fired or cleared one is a no-op. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Run `callback` once the current event-loop turn (and its I/O callbacks) is done: how the
   * ingest pipeline gathers a signature round (setImmediate on the system clock).
   */
  defer(callback: () => void): void;
}

/** Only the time of day: what a caller may hand to startGateway; wall-clock timers are added. */
export type TimeSource = Pick<Clock, 'nowMs'>;

/** A Clock on `source`'s time with the process's timers. */
export function clockWithSystemTimers(source: TimeSource): Clock {
  return {
    nowMs: () => source.nowMs(),
    setTimeout(callback, delayMs, options) {
      if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new Error(`timer delay ${delayMs} ms`);
      const timer = setTimeout(callback, delayMs);
      if (options?.background === true) timer.unref();
      return timer as TimerHandle;
    },
    clearTimeout(handle) {
      clearTimeout(handle as NodeJS.Timeout);
    },
    defer(callback) {
      setImmediate(callback);
    },
  };
}

/** A Clock as given: a full one stays, a bare time source gets the system timers. */
export function asClock(clock: Clock | TimeSource): Clock {
  return 'setTimeout' in clock ? clock : clockWithSystemTimers(clock);
}

export const systemClock: Clock = clockWithSystemTimers({ nowMs: () => Date.now() });
