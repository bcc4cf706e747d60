// The state of one serial link, as ONE discriminated union (STYLE.md; mqtt.js's four booleans are the
// example to avoid), and the reopen backoff: capped exponential with jitter. Pure: the random number
// comes in as an argument so unit tests replay exact delays.

import type { AgentErrorCode } from '../../errors.js';
import { serialReopenBackoffMsInitial, serialReopenBackoffMsMax } from '../../limits.js';
import { assert, assertIntegerInRange } from '../assert.js';

export type LinkState =
  | { kind: 'idle' } // constructed, not started
  | { kind: 'opening'; attemptIndex: number } // opening the device path
  | { kind: 'open'; openedAtMs: number } // frames flow; heartbeats run
  | { kind: 'backoff'; attemptIndex: number; delayMs: number; lastErrorCode: AgentErrorCode } // waiting to reopen
  | { kind: 'stopped' }; // stop() was called; terminal

export interface BackoffPolicy {
  readonly delayMsInitial: number;
  readonly delayMsMax: number;
}

export const defaultBackoffPolicy: BackoffPolicy = {
  delayMsInitial: serialReopenBackoffMsInitial,
  delayMsMax: serialReopenBackoffMsMax,
};

/**
 * Delay before reopen attempt `attemptIndex` (0-based): base = initial · 2^attemptIndex capped at max,
 * plus jitter of up to half the base from `random01` ∈ [0, 1), and the total capped at max again.
 */
export function reopenDelayMs(
  attemptIndex: number,
  random01: number,
  policy: BackoffPolicy = defaultBackoffPolicy,
): number {
  if (!Number.isInteger(attemptIndex) || attemptIndex < 0) throw new RangeError('attemptIndex must be >= 0');
  if (!(random01 >= 0 && random01 < 1)) throw new RangeError('random01 must be in [0, 1)');
  // The policy is the driver's option (code, not config): bounds ordered, both whole milliseconds.
  assertIntegerInRange(policy.delayMsInitial, 1, Number.MAX_SAFE_INTEGER, 'delayMsInitial');
  assertIntegerInRange(policy.delayMsMax, policy.delayMsInitial, Number.MAX_SAFE_INTEGER, 'delayMsMax');
  const base = Math.min(policy.delayMsMax, policy.delayMsInitial * 2 ** Math.min(attemptIndex, 30));
  assert(base >= policy.delayMsInitial, 'reopenDelayMs: base below the first delay');
  const delayMs = Math.min(policy.delayMsMax, Math.floor(base + random01 * (base / 2)));
  assertIntegerInRange(delayMs, policy.delayMsInitial, policy.delayMsMax, 'reopenDelayMs result');
  return delayMs;
}
