// Reconnect delays: capped exponential backoff with full jitter (AWS architecture blog), so a
// village's kiosks that lost the same uplink do not all reconnect in the same millisecond.
// Pure: the random number comes in as an argument in [0, 1).

export interface BackoffPolicy {
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
}

/** Delay before reconnect attempt `attempt` (1-based). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random01: number): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new Error('assert: attempt >= 1');
  if (!(random01 >= 0 && random01 < 1)) throw new Error('assert: random01 in [0, 1)');
  if (policy.backoffMsInitial < 1 || policy.backoffMsMax < policy.backoffMsInitial) {
    throw new Error('assert: bad backoff policy');
  }
  const exponent = Math.min(attempt - 1, 30);
  const ceilingMs = Math.min(policy.backoffMsMax, policy.backoffMsInitial * 2 ** exponent);
  // Never zero: half the ceiling is fixed, the other half jittered.
  const delayMs = Math.floor(ceilingMs / 2 + random01 * (ceilingMs / 2));
  return Math.max(1, delayMs);
}
