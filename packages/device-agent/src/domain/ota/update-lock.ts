// The update lock (issue 13, R20): the kiosk switches to a new release only when no transaction is
// in flight AND the station is closed to business — outside its service hours or inside a
// maintenance window (e.g. 14:00–16:00 Beijing time). Pure: the hours come from the station's
// config, the instant and the in-flight flag from the caller; the R20 rule itself is core-ledger's
// checkServiceHours (one home per rule).
import { checkServiceHours, type ServiceHours } from '@bianmin/core-ledger';
import { assert } from '../assert.js';
import type { LockReason } from './ota-machine.js';

export function updateLockReasons(
  hours: ServiceHours,
  atMs: number,
  transactionInFlight: boolean,
): LockReason[] {
  assert(Number.isSafeInteger(atMs) && atMs >= 0, 'atMs is epoch ms');
  const reasons: LockReason[] = [];
  if (transactionInFlight) reasons.push('transaction-in-flight');
  // checkServiceHours lists why business is refused now; none means the station is open.
  if (checkServiceHours(hours, atMs).length === 0) reasons.push('station-open');
  assert(reasons.length <= 2, 'at most both reasons');
  return reasons;
}
