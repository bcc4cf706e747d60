// Alerts as data (issue 11): which alerts HQ's store state calls for. Pure: the alert service
// (app/alerts.ts) gathers a snapshot per station, these rules name the alerts, the store keeps at
// most one open alert per (kind, station) (deduplicated), and a person acknowledges it.

import { formatYuan } from '@bianmin/core-ledger';
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

/** Peripheral names (hq-gateway's decoded telemetry) as HQ's people call them. */
const peripheralWords: Readonly<Record<string, string>> = {
  'card-reader': '读卡器',
  'pin-pad': '密码键盘',
  token: 'UK 密钥',
  printer: '打印机',
};

/** Why a station went offline (StationStatus.offlineReason) in zh-CN. */
const offlineWords: Readonly<Record<string, string>> = {
  death: '终端已下线（收到离线消息）',
  silence: '终端无响应（超时未收到消息）',
};

/**
 * An alert's detail as HQ's people read it (zh-CN, yuan): the console, the webhook and the CLI
 * show it as is. The alert's kind stays the machine-readable part.
 */
export function alertDetailText(
  candidate:
    | { readonly kind: 'HQ_ALERT_STATION_OFFLINE'; readonly offlineReason: string | null }
    | { readonly kind: 'HQ_ALERT_PERIPHERAL_FAULTY'; readonly peripherals: readonly string[] }
    | { readonly kind: 'HQ_ALERT_QUOTA_LOW'; readonly quotaFen: number; readonly thresholdFen: number }
    | { readonly kind: 'HQ_ALERT_DISCREPANCY'; readonly newCount: number; readonly totalCount: number }
    | { readonly kind: 'HQ_ALERT_QUARANTINE_SPIKE'; readonly quarantinedCount: number },
): string {
  switch (candidate.kind) {
    case 'HQ_ALERT_STATION_OFFLINE':
      return candidate.offlineReason === null
        ? '终端离线（原因未知）'
        : (offlineWords[candidate.offlineReason] ?? `终端离线（${candidate.offlineReason}）`);
    case 'HQ_ALERT_PERIPHERAL_FAULTY':
      assert(candidate.peripherals.length > 0, 'alertDetailText: a faulty peripheral is named');
      return `外设故障：${candidate.peripherals.map((name) => peripheralWords[name] ?? name).join('、')}`;
    case 'HQ_ALERT_QUOTA_LOW':
      // formatYuan: a balance below zero (an overspend HQ recorded as a discrepancy) shows as -¥.
      return `信誉额度余额 ${formatYuan(candidate.quotaFen)}，低于提醒线 ${formatYuan(candidate.thresholdFen)}`;
    case 'HQ_ALERT_DISCREPANCY':
      assert(candidate.newCount > 0, 'alertDetailText: new discrepancies');
      return `新增差异 ${candidate.newCount} 笔（累计 ${candidate.totalCount} 笔）`;
    case 'HQ_ALERT_QUARANTINE_SPIKE':
      return `自上次检查以来隔离消息 ${candidate.quarantinedCount} 条`;
  }
}

export interface StationSnapshot {
  readonly stationId: string;
  readonly online: boolean;
  /** Never heard from: no offline alert (a station enrolled but not yet installed). */
  readonly everSeen: boolean;
  readonly offlineReason: string | null;
  readonly peripheralsFaulty: readonly string[];
  /** null: not known here (another gateway owns the station's ledger): no low-quota judgement. */
  readonly quotaFen: number | null;
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
        detail: alertDetailText({ kind: 'HQ_ALERT_STATION_OFFLINE', offlineReason: s.offlineReason }),
      });
    }
    if (s.peripheralsFaulty.length > 0) {
      out.push({
        kind: 'HQ_ALERT_PERIPHERAL_FAULTY',
        stationId: s.stationId,
        detail: alertDetailText({ kind: 'HQ_ALERT_PERIPHERAL_FAULTY', peripherals: s.peripheralsFaulty }),
      });
    }
    if (s.quotaFen !== null && s.quotaFen < settings.quotaLowFen) {
      out.push({
        kind: 'HQ_ALERT_QUOTA_LOW',
        stationId: s.stationId,
        detail: alertDetailText({
          kind: 'HQ_ALERT_QUOTA_LOW',
          quotaFen: s.quotaFen,
          thresholdFen: settings.quotaLowFen,
        }),
      });
    }
    const seen = discrepanciesSeen.get(s.stationId) ?? 0;
    if (s.discrepancyCount > seen) {
      out.push({
        kind: 'HQ_ALERT_DISCREPANCY',
        stationId: s.stationId,
        detail: alertDetailText({
          kind: 'HQ_ALERT_DISCREPANCY',
          newCount: s.discrepancyCount - seen,
          totalCount: s.discrepancyCount,
        }),
      });
    }
  }
  if (quarantinedSinceLastScan >= settings.quarantineSpikeCountMin) {
    out.push({
      kind: 'HQ_ALERT_QUARANTINE_SPIKE',
      stationId: '',
      detail: alertDetailText({
        kind: 'HQ_ALERT_QUARANTINE_SPIKE',
        quarantinedCount: quarantinedSinceLastScan,
      }),
    });
  }
  assert(out.length <= stations.length * 4 + 1, 'alertsFor: at most four alerts per station and one spike');
  return out;
}
