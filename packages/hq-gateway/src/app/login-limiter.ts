// Login rate limit (issue 11): at most loginAttemptsPerUserMax attempts per user name and
// loginAttemptsPerAddressMax per client address within a fixed window of loginWindowMs on HQ's
// clock, counted before the password is checked (a guesser learns nothing from a refused attempt).
// The counters live in a LoginAttemptStore: on PostgreSQL a table every HQ process counts in (a
// guesser gains nothing by spreading attempts over gateways), in memory for the embedded SQLite
// mode and by default (MemoryLoginAttempts below: no I/O, bounded by loginLimiterKeysMax, the
// oldest window dropped first).
import assert from 'node:assert/strict';
import {
  loginAttemptsPerAddressMax,
  loginAttemptsPerUserMax,
  loginLimiterKeysMax,
  loginWindowMs,
} from '../limits.js';
import type { TimeSource } from '../ports/clock.js';
import type { LoginAttemptStore } from '../ports/login-attempts.js';

export class LoginLimiter {
  readonly #clock: TimeSource;
  readonly #attempts: LoginAttemptStore;

  constructor(clock: TimeSource, attempts: LoginAttemptStore = new MemoryLoginAttempts()) {
    this.#clock = clock;
    this.#attempts = attempts;
  }

  /** Count an attempt; false when the user or the address is over its limit (refuse it). */
  async attempt(userName: string, address: string): Promise<boolean> {
    const nowMs = this.#clock.nowMs();
    const [byUser, byAddress] = await Promise.all([
      this.#attempts.count(`u:${userName}`, nowMs, loginWindowMs),
      this.#attempts.count(`a:${address}`, nowMs, loginWindowMs),
    ]);
    return byUser <= loginAttemptsPerUserMax && byAddress <= loginAttemptsPerAddressMax;
  }

  /** A successful login clears the user's count (not the address's). */
  async succeeded(userName: string): Promise<void> {
    await this.#attempts.clear(`u:${userName}`);
  }
}

interface Window {
  startMs: number;
  count: number;
}

export class MemoryLoginAttempts implements LoginAttemptStore {
  readonly #windows = new Map<string, Window>();

  async count(key: string, nowMs: number, windowMs: number): Promise<number> {
    assert(Number.isSafeInteger(nowMs) && windowMs > 0, 'count: nowMs is a safe integer, windowMs > 0');
    let window = this.#windows.get(key);
    if (window === undefined || nowMs - window.startMs >= windowMs) {
      this.#windows.delete(key);
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(key, window);
      if (this.#windows.size > loginLimiterKeysMax) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
    }
    window.count += 1;
    return window.count;
  }

  async clear(key: string): Promise<void> {
    this.#windows.delete(key);
  }
}
