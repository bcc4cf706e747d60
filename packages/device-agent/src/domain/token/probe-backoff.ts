// Delay before the next background probe for a pulled token: capped exponential backoff with
// jitter (STYLE.md "Retries"), so a kiosk whose key is out does not spin, and one whose key comes
// back picks it up within the cap. Pure: the random draw comes in as an argument in [0, 1).

export interface ProbeBackoff {
  readonly msInitial: number;
  readonly msMax: number;
  readonly jitterRatio: number;
}

export function probeDelayMs(failedProbeCount: number, random01: number, backoff: ProbeBackoff): number {
  if (!Number.isSafeInteger(failedProbeCount) || failedProbeCount < 0) {
    throw new Error(`assert: failedProbeCount must be a count, got ${failedProbeCount}`);
  }
  if (!(random01 >= 0 && random01 < 1))
    throw new Error(`assert: random01 must be in [0, 1), got ${random01}`);
  if (!(backoff.msInitial > 0 && backoff.msMax >= backoff.msInitial))
    throw new Error('assert: bad backoff bounds');
  const exponent = Math.min(failedProbeCount, 30);
  const baseMs = Math.min(backoff.msMax, backoff.msInitial * 2 ** exponent);
  const delayMs = Math.round(baseMs * (1 + backoff.jitterRatio * random01));
  return delayMs;
}
