// A fake Clock (src/ports/clock.ts) for tests: time moves only when the test calls advance(), and
// timers fire in due order as it does. `defer` runs on the real event loop (a signature round is
// not a matter of time, only of turns), so a test awaits work without sleeping.
import type { Clock, TimerHandle } from '../../src/ports/clock.js';

interface Timer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(startMs = Date.UTC(2026, 10, 28, 2, 0, 0)) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new Error(`timer delay ${delayMs}`);
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueMs: this.#nowMs + delayMs, callback });
    return { id } as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  defer(callback: () => void): void {
    setImmediate(callback);
  }

  /** Timers waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in due order. */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new Error(`advance ${ms}`);
    const endMs = this.#nowMs + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values())
        if (timer.dueMs <= endMs && (next === undefined || timer.dueMs < next.dueMs)) next = timer;
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.callback();
    }
    this.#nowMs = endMs;
  }
}
