// Delay before the next background probe for a pulled token: capped exponential backoff with
// jitter (STYLE.md "Retries"), so a kiosk whose key is out does not spin, and one whose key comes
// back picks it up within the cap. Pure: the random draw comes in as an argument in [0, 1). Every
// argument is the signer's own (its failure counter, its random source, its options): assertions.

import { assert, assertIntegerInRange } from '../assert.js';

const msMax = Number.MAX_SAFE_INTEGER;

export interface ProbeBackoff {
  readonly msInitial: number;
  readonly msMax: number;
  readonly jitterRatio: number;
}

export function probeDelayMs(failedProbeCount: number, random01: number, backoff: ProbeBackoff): number {
  assertIntegerInRange(failedProbeCount, 0, msMax, 'failedProbeCount');
  assert(random01 >= 0 && random01 < 1, `probeDelayMs: random01 must be in [0, 1), got ${random01}`);
  assert(backoff.msInitial > 0 && backoff.msMax >= backoff.msInitial, 'probeDelayMs: bad backoff bounds');
  assert(backoff.jitterRatio >= 0 && backoff.jitterRatio <= 1, 'probeDelayMs: jitterRatio in [0, 1]');
  const exponent = Math.min(failedProbeCount, 30);
  const baseMs = Math.min(backoff.msMax, backoff.msInitial * 2 ** exponent);
  const delayMs = Math.round(baseMs * (1 + backoff.jitterRatio * random01));
  // Within [first delay, cap + its jitter]: a pulled key is probed neither in a spin nor never.
  const delayMsMax = Math.round(backoff.msMax * (1 + backoff.jitterRatio));
  assert(
    delayMs >= Math.round(backoff.msInitial) && delayMs <= delayMsMax,
    'probeDelayMs: delay out of range',
  );
  return delayMs;
}
