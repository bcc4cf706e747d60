// Hold expiry on HQ's clock (issue 9), pure: a WITHDRAWAL_POSTED that reaches HQ after the hold HQ
// granted has expired, by HQ's own clock (grant time + the config's holdExpiryMs, against HQ's
// receive time), is a discrepancy. The kiosk's timestamps play no part. A hold expiry of 0 means
// "no expiry" (proto Limits.hold_expiry_ms). Every argument is HQ's own (its grant record, its
// config, its clock), so they are asserted, never a kiosk's value.
import { assert } from './assert.js';

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
  assert(
    Number.isSafeInteger(grantedAtMs) && grantedAtMs >= 0,
    'holdExpiryFinding: grantedAtMs is an instant',
  );
  assert(Number.isSafeInteger(holdExpiryMs) && holdExpiryMs >= 0, 'holdExpiryFinding: holdExpiryMs >= 0');
  assert(
    Number.isSafeInteger(receivedAtMs) && receivedAtMs >= 0,
    'holdExpiryFinding: receivedAtMs is an instant',
  );
  if (holdExpiryMs === 0) return null;
  const expiresAtMs = grantedAtMs + holdExpiryMs;
  if (receivedAtMs <= expiresAtMs) return null;
  return {
    code: 'HQ_DISCREPANCY_HOLD_EXPIRED',
    expected: `posted by ${new Date(expiresAtMs).toISOString()} (HQ granted at ${new Date(grantedAtMs).toISOString()}, hold ${holdExpiryMs} ms)`,
    actual: `received ${new Date(receivedAtMs).toISOString()} (HQ clock)`,
    detail: `posted ${receivedAtMs - expiresAtMs} ms after the hold expired on HQ's clock`,
  };
}
