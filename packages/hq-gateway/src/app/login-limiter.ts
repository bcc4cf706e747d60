// Login rate limit (issue 11): at most loginAttemptsPerUserMax attempts per user name and
// loginAttemptsPerAddressMax per client address within a fixed window of loginWindowMs on HQ's
// clock, counted before the password is checked (a guesser learns nothing from a refused attempt).
// Held in memory per process, bounded (loginLimiterKeysMax, oldest window dropped first).
import {
  loginAttemptsPerAddressMax,
  loginAttemptsPerUserMax,
  loginLimiterKeysMax,
  loginWindowMs,
} from '../limits.js';
import type { TimeSource } from '../ports/clock.js';

interface Window {
  startMs: number;
  count: number;
}

export class LoginLimiter {
  readonly #clock: TimeSource;
  readonly #windows = new Map<string, Window>();

  constructor(clock: TimeSource) {
    this.#clock = clock;
  }

  /** Count an attempt; false when the user or the address is over its limit (refuse it). */
  attempt(userName: string, address: string): boolean {
    const userOk = this.#count(`u:${userName}`, loginAttemptsPerUserMax);
    const addressOk = this.#count(`a:${address}`, loginAttemptsPerAddressMax);
    return userOk && addressOk;
  }

  /** A successful login clears the user's count (not the address's). */
  succeeded(userName: string): void {
    this.#windows.delete(`u:${userName}`);
  }

  #count(key: string, max: number): boolean {
    const nowMs = this.#clock.nowMs();
    let window = this.#windows.get(key);
    if (window === undefined || nowMs - window.startMs >= loginWindowMs) {
      this.#windows.delete(key);
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(key, window);
      if (this.#windows.size > loginLimiterKeysMax) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
    }
    window.count += 1;
    return window.count <= max;
  }
}
