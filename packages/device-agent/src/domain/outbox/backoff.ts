// Reconnect delays: capped exponential backoff with full jitter (AWS architecture blog), so a
// village's kiosks that lost the same uplink do not all reconnect in the same millisecond.
// Pure: the random number comes in as an argument in [0, 1). Every argument is the link's own
// (its options, its attempt counter, its clock), never a config value or a message: assertions.

import { assert, assertIntegerInRange } from '../assert.js';

const msMax = Number.MAX_SAFE_INTEGER;

export interface BackoffPolicy {
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
}

/** Delay before reconnect attempt `attempt` (1-based). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random01: number): number {
  assertIntegerInRange(attempt, 1, msMax, 'backoffDelayMs attempt');
  assert(random01 >= 0 && random01 < 1, 'backoffDelayMs: random01 must be in [0, 1)');
  assertIntegerInRange(policy.backoffMsInitial, 1, msMax, 'backoffMsInitial');
  assertIntegerInRange(policy.backoffMsMax, policy.backoffMsInitial, msMax, 'backoffMsMax');
  const exponent = Math.min(attempt - 1, 30);
  const ceilingMs = Math.min(policy.backoffMsMax, policy.backoffMsInitial * 2 ** exponent);
  // Never zero: half the ceiling is fixed, the other half jittered.
  const delayMs = Math.max(1, Math.floor(ceilingMs / 2 + random01 * (ceilingMs / 2)));
  // Within [1, max] and never below half the ceiling: capped, and jittered only over the upper half.
  assertIntegerInRange(delayMs, Math.max(1, Math.floor(ceilingMs / 2)), policy.backoffMsMax, 'delayMs');
  return delayMs;
}
