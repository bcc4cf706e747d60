// Test helper: a ClockPort whose time moves only when the test says so. `advance(ms)` fires due
// timers in order and lets promise callbacks run between them, so driver code behaves as it would
// in real time, deterministically.

import type { ClockPort, TimerHandle } from '../../../src/ports/clock.js';

interface Timer {
  readonly atMs: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export async function flushMicrotasks(): Promise<void> {
  for (let round = 0; round < 20; round += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements ClockPort {
  #nowMs = 1_000_000;
  #order = 0;
  readonly #timers: Timer[] = [];
  randomValue = 0.5;

  nowMs(): number {
    return this.#nowMs;
  }

  random01(): number {
    return this.randomValue;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: Timer = {
      atMs: this.#nowMs + Math.max(0, delayMs),
      order: this.#order++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  get pendingTimerCount(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const endMs = this.#nowMs + ms;
    await flushMicrotasks();
    for (;;) {
      const live = this.#timers.filter((timer) => !timer.cancelled && timer.atMs <= endMs);
      if (live.length === 0) break;
      live.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
      const next = live[0]!;
      next.cancelled = true;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#nowMs = Math.max(this.#nowMs, next.atMs);
      next.callback();
      await flushMicrotasks();
    }
    this.#nowMs = endMs;
    for (let index = this.#timers.length - 1; index >= 0; index -= 1)
      if (this.#timers[index]!.cancelled) this.#timers.splice(index, 1);
  }
}
