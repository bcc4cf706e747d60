// Time and timers come through this port so the transaction logic runs under a fake clock in
// tests (STYLE.md: fake clocks for timers, no sleeps).

export interface TimerHandle {
  cancel(): void;
}

export interface ClockPort {
  /** Unix epoch milliseconds, UTC. */
  nowMs(): number;
  /** Calls `callback` once after `delayMs`. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** A number in [0, 1) for backoff jitter. */
  random01(): number;
}
