// Alerts as data (issue 11): which alerts HQ's store state calls for. Pure: the alert service
// (app/alerts.ts) gathers a snapshot per station, these rules name the alerts, the store keeps at
// most one open alert per (kind, station) (deduplicated), and a person acknowledges it.
import type { HqCode } from '../errors.js';
import { assert } from './assert.js';

export const alertKinds = [
  'HQ_ALERT_STATION_OFFLINE',
  'HQ_ALERT_PERIPHERAL_FAULTY',
  'HQ_ALERT_QUOTA_LOW',
  'HQ_ALERT_DISCREPANCY',
  'HQ_ALERT_QUARANTINE_SPIKE',
  'HQ_ALERT_KEY_KCV_MISMATCH',
] as const satisfies readonly HqCode[];

export type AlertKind = (typeof alertKinds)[number];

export function isAlertKind(value: string): value is AlertKind {
  return (alertKinds as readonly string[]).includes(value);
}

/** An alert the rules call for: the store opens it unless one of its kind is open for the station. */
export interface AlertCandidate {
  readonly kind: AlertKind;
  /** '' for network-wide alerts (a quarantine spike). */
  readonly stationId: string;
  readonly detail: string;
}

export interface StationSnapshot {
  readonly stationId: string;
  readonly online: boolean;
  /** Never heard from: no offline alert (a station enrolled but not yet installed). */
  readonly everSeen: boolean;
  readonly offlineReason: string | null;
  readonly peripheralsFaulty: readonly string[];
  readonly quotaFen: number;
  readonly discrepancyCount: number;
}

export interface AlertRuleSettings {
  readonly quotaLowFen: number;
  readonly quarantineSpikeCountMin: number;
}

/**
 * The alerts a snapshot calls for. `discrepanciesSeen` is each station's discrepancy count at its
 * last discrepancy alert (new ones raise again once that alert is acknowledged);
 * `quarantinedSinceLastScan` counts the network's quarantined messages since the last scan.
 */
export function alertsFor(
  stations: readonly StationSnapshot[],
  discrepanciesSeen: ReadonlyMap<string, number>,
  quarantinedSinceLastScan: number,
  settings: AlertRuleSettings,
): AlertCandidate[] {
  assert(Number.isSafeInteger(settings.quotaLowFen), 'alertsFor: the low-quota threshold is whole fen');
  const out: AlertCandidate[] = [];
  for (const s of stations) {
    if (!s.online && s.everSeen) {
      out.push({
        kind: 'HQ_ALERT_STATION_OFFLINE',
        stationId: s.stationId,
        detail: `offline (${s.offlineReason ?? 'unknown'})`,
      });
    }
    if (s.peripheralsFaulty.length > 0) {
      out.push({
        kind: 'HQ_ALERT_PERIPHERAL_FAULTY',
        stationId: s.stationId,
        detail: `faulty: ${s.peripheralsFaulty.join(', ')}`,
      });
    }
    if (s.quotaFen < settings.quotaLowFen) {
      out.push({
        kind: 'HQ_ALERT_QUOTA_LOW',
        stationId: s.stationId,
        detail: `quota ${s.quotaFen} fen below ${settings.quotaLowFen} fen`,
      });
    }
    const seen = discrepanciesSeen.get(s.stationId) ?? 0;
    if (s.discrepancyCount > seen) {
      out.push({
        kind: 'HQ_ALERT_DISCREPANCY',
        stationId: s.stationId,
        detail: `${s.discrepancyCount - seen} new discrepancies (${s.discrepancyCount} in all)`,
      });
    }
  }
  if (quarantinedSinceLastScan >= settings.quarantineSpikeCountMin) {
    out.push({
      kind: 'HQ_ALERT_QUARANTINE_SPIKE',
      stationId: '',
      detail: `${quarantinedSinceLastScan} messages quarantined since the last scan`,
    });
  }
  assert(out.length <= stations.length * 4 + 1, 'alertsFor: at most four alerts per station and one spike');
  return out;
}
