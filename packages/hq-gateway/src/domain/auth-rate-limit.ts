// One station cannot hurt the others (issue 8): a per-station rate limit on authorisation
// requests, pure. Each request that passes may ask the bank and writes an approval row, so a
// station whose key is in the wrong hands could otherwise flood the bank and the store. The rule
// is a generic cell rate algorithm (a token bucket in one number per station, integer ms on HQ's
// clock): a station may send `burstMax` requests at once and one every `intervalMs` after that; a
// request beyond that is refused (HQ_AUTH_RATE_LIMITED) without asking the bank. An honest kiosk
// has one card reader and one PIN pad: one customer at a time, each withdrawal tens of seconds,
// far below the limit (limits.ts authRequestsPerStationIntervalMs, authRequestsPerStationBurstMax).
import { authRequestsPerStationBurstMax, authRequestsPerStationIntervalMs } from '../limits.js';
import { assert } from './assert.js';

export interface AuthRateLimit {
  /** Sustained rate: one request per this many ms. */
  readonly intervalMs: number;
  /** Requests a station may send back to back before the sustained rate applies. */
  readonly burstMax: number;
}

export const authRateLimitDefault: AuthRateLimit = {
  intervalMs: authRequestsPerStationIntervalMs,
  burstMax: authRequestsPerStationBurstMax,
};

export interface AuthRateVerdict {
  readonly allowed: boolean;
  /** True for the first refusal after an allowed request: the moment to raise the alert once. */
  readonly limitStarted: boolean;
}

interface Cell {
  /** The theoretical arrival time of the next request at the sustained rate (HQ epoch ms). */
  nextAtMs: number;
  limited: boolean;
}

/** Per-station limiter; one cell per station that asked (enrolled, verified stations only). */
export class AuthRateLimiter {
  readonly #limit: AuthRateLimit;
  readonly #cells = new Map<string, Cell>();

  constructor(limit: AuthRateLimit) {
    assert(Number.isSafeInteger(limit.intervalMs) && limit.intervalMs > 0, 'intervalMs must be > 0');
    assert(Number.isSafeInteger(limit.burstMax) && limit.burstMax >= 1, 'burstMax must be >= 1');
    this.#limit = limit;
  }

  /** One request of `stationId` at HQ's `nowMs`: allowed (and counted) or refused (not counted). */
  take(stationId: string, nowMs: number): AuthRateVerdict {
    assert(Number.isSafeInteger(nowMs) && nowMs >= 0, 'nowMs must be HQ epoch milliseconds');
    const toleranceMs = (this.#limit.burstMax - 1) * this.#limit.intervalMs;
    const cell = this.#cells.get(stationId) ?? { nextAtMs: nowMs, limited: false };
    this.#cells.set(stationId, cell);
    // On a steady clock a cell is never more than tolerance + interval ahead of now; further means
    // HQ's clock stepped back, which must not lock the station out: start its cell afresh.
    if (cell.nextAtMs - nowMs > toleranceMs + this.#limit.intervalMs) cell.nextAtMs = nowMs;
    const startMs = Math.max(cell.nextAtMs, nowMs);
    if (startMs - nowMs > toleranceMs) {
      const limitStarted = !cell.limited;
      cell.limited = true;
      return { allowed: false, limitStarted };
    }
    cell.nextAtMs = startMs + this.#limit.intervalMs;
    cell.limited = false;
    assert(cell.nextAtMs - nowMs <= toleranceMs + this.#limit.intervalMs, 'a cell never runs past its burst');
    return { allowed: true, limitStarted: false };
  }
}
