// The LoginAttemptStore port (issue 11): the login limiter's counters where every HQ process sees
// them. With several gateways on one PostgreSQL database, a per-process count would let a guesser
// spread attempts over the gateways; the PostgreSQL adapter counts in one table with one atomic
// statement. SQLite is the embedded, single-process mode: its limiter counts in memory.

export interface LoginAttemptStore {
  /**
   * Count one attempt against `key` in a fixed window of `windowMs` on HQ's clock: a key whose
   * window started `windowMs` or more before `nowMs` (or that is new) starts a new window at nowMs.
   * Returns the attempts in the current window, this one included (1 for a new window).
   */
  count(key: string, nowMs: number, windowMs: number): Promise<number>;
  /** Forget the key's window (a successful login clears the user's count). */
  clear(key: string): Promise<void>;
}
