// A station's state as HQ's lists show it (issue 11): one rule, used by the memory view store and
// written out as SQL by the SQLite and PostgreSQL view stores (their CASE follows this order). A
// revoked key wins over any other suspension, a suspension over the link state, and a station
// never heard from is 'never_seen' rather than 'offline'.
import type { Suspension } from '../ports/integrity-store.js';

export type StationState = 'online' | 'offline' | 'suspended' | 'revoked' | 'never_seen';
export const stationStates: readonly StationState[] = [
  'online',
  'offline',
  'suspended',
  'revoked',
  'never_seen',
];

/** The suspension reason a key revocation records (app/station-control.ts). */
export const keyRevokedReasonCode = 'HQ_STATION_KEY_REVOKED';

export function stationStateOf(
  online: boolean,
  lastSeenMs: number,
  suspension: Pick<Suspension, 'reasonCode'> | null | undefined,
): StationState {
  if (suspension?.reasonCode === keyRevokedReasonCode) return 'revoked';
  if (suspension !== undefined && suspension !== null) return 'suspended';
  if (online) return 'online';
  return lastSeenMs > 0 ? 'offline' : 'never_seen';
}
