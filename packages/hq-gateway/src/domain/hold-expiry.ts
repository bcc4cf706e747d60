// Hold expiry on HQ's clock (issue 9), pure: a WITHDRAWAL_POSTED that reaches HQ after the hold HQ
// granted has expired, by HQ's own clock (grant time + the config's holdExpiryMs, against HQ's
// receive time), is a discrepancy. The kiosk's timestamps play no part.

export interface HoldExpiryFinding {
  readonly code: 'HQ_DISCREPANCY_HOLD_EXPIRED';
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

/** The finding for a posted withdrawal received after its hold expired; null when in time. */
export function holdExpiryFinding(
  grantedAtMs: number,
  holdExpiryMs: number,
  receivedAtMs: number,
): HoldExpiryFinding | null {
  const expiresAtMs = grantedAtMs + holdExpiryMs;
  if (receivedAtMs <= expiresAtMs) return null;
  return {
    code: 'HQ_DISCREPANCY_HOLD_EXPIRED',
    expected: `posted by ${new Date(expiresAtMs).toISOString()} (HQ granted at ${new Date(grantedAtMs).toISOString()}, hold ${holdExpiryMs} ms)`,
    actual: `received ${new Date(receivedAtMs).toISOString()} (HQ clock)`,
    detail: `posted ${receivedAtMs - expiresAtMs} ms after the hold expired on HQ's clock`,
  };
}
