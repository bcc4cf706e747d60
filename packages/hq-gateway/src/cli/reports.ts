// Text and JSON reports for `hq status` and `hq report daily`: read-only views of the store.
// Money is shown in yuan for people and kept in fen in JSON (R1).
import { formatYuan } from '@bianmin/core-ledger';
import { reportRowsMax } from '../limits.js';
import type { RealityDay } from '../ports/reality.js';
import type { Store } from '../ports/store.js';

/** "yes", or "no" with the reason: "no (death)", "no (silence)". */
function onlineText(online: boolean, offlineReason: string | null): string {
  if (online) return 'yes';
  return offlineReason === null ? 'no' : `no (${offlineReason})`;
}

export async function statusReport(store: Store): Promise<{ text: string; data: Record<string, unknown> }> {
  const stations = await store.listStations();
  const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
  const seqs = new Map((await store.loadSeqStates()).map((s) => [s.stationId, s]));
  const counts = await store.counts();
  const gaps = await store.openGaps(reportRowsMax);
  const discrepancies = await store.discrepancies(reportRowsMax);
  const alerts = new Map((await store.stationAlerts()).map((a) => [a.stationId, a]));
  const rows = stations.map((station) => {
    const status = statuses.get(station.stationId);
    const alert = alerts.get(station.stationId);
    return {
      stationId: station.stationId,
      orgCode: station.orgCode,
      online: status?.online ?? false,
      /** 'death' (last will), 'silence' (nothing heard for the silence window), or null. */
      offlineReason: status?.offlineReason ?? null,
      lastSeenMs: status?.lastSeenMs ?? 0,
      bdSeq: status?.bdSeq ?? -1,
      outboxDepth: status?.outboxDepth ?? 0,
      peripheralsFaulty: (status?.peripherals ?? []).filter((p) => !p.ok).map((p) => p.name),
      ackedSeq: seqs.get(station.stationId)?.ackedSeq ?? 0,
      /** Issue 8: suspended by a per-station bound (reason code), null when served. */
      suspended: alert?.suspension?.reasonCode ?? null,
      /** The suspension in full (reason code, detail, since), null when served. */
      suspension: alert?.suspension ?? null,
      discrepancyCount: alert?.discrepancyCount ?? 0,
      lastDiscrepancy: alert?.lastDiscrepancy ?? null,
    };
  });
  const lines = [
    'station          org code     online         last seen (UTC)           acked seq  outbox  peripherals',
    ...rows.map(
      (r) =>
        `${r.stationId.padEnd(16)} ${r.orgCode.padEnd(12)} ${onlineText(r.online, r.offlineReason).padEnd(14)} ${(r.lastSeenMs > 0 ? new Date(r.lastSeenMs).toISOString() : '-').padEnd(25)} ${String(r.ackedSeq).padStart(9)}  ${String(r.outboxDepth).padStart(6)}  ${r.peripheralsFaulty.length === 0 ? 'ok' : `faulty: ${r.peripheralsFaulty.join(', ')}`}`,
    ),
    '',
    // Discrepancies and suspensions are alerts: every station with one, with its reason.
    ...rows
      .filter((r) => r.suspended !== null || r.discrepancyCount > 0)
      .map(
        (r) =>
          `ALERT ${r.stationId}: ${r.suspension === null ? '' : `suspended since ${new Date(r.suspension.sinceMs).toISOString()} (${r.suspension.reasonCode}: ${r.suspension.detail}; lift: hq station resume ${r.stationId} --reason TEXT); `}${r.discrepancyCount} discrepancies${r.lastDiscrepancy === null ? '' : `, newest ${r.lastDiscrepancy.code}: ${r.lastDiscrepancy.detail}`}`,
      ),
    `events stored: ${counts.events}`,
    `quarantined: ${
      Object.entries(counts.quarantinedByReason)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || 'none'
    }`,
    `open gaps: ${gaps.map((g) => `${g.stationId} ${g.fromSeq}..${g.toSeq}`).join(', ') || 'none'}`,
    `discrepancies: ${discrepancies.length === 0 ? 'none' : ''}`,
    ...discrepancies.map(
      (d) => `  ${d.stationId} ${d.code} event ${d.eventId}: expected ${d.expected}, got ${d.actual}`,
    ),
    '',
  ];
  return { text: lines.join('\n'), data: { stations: rows, counts, gaps, discrepancies } };
}

/** R8 账实相符 lines of one station's day: bank settlement, declared cash, every difference. */
export function realityLines(day: RealityDay | undefined, closeReceived = false): string[] {
  if (day === undefined && closeReceived) {
    // HQ stopped between storing the close and checking it (the check is not re-run at start-up
    // yet): say so, never let a received close pass as "not closed" or as checked.
    return ['  账实相符 (R8): NOT CHECKED although the daily close was received (账实未核对)'];
  }
  if (day === undefined) return ['  账实相符 (R8): not checked yet (no daily close received)'];
  const r = day.latest;
  const bank =
    r.bankPostedCount === null
      ? 'bank settlement not compared'
      : `bank settled ${r.bankPostedCount} withdrawal(s) ${formatYuan(r.bankPostedFen ?? 0)}, HQ posted ${r.hqPostedCount} ${formatYuan(r.hqPostedFen)}`;
  const cash =
    r.declaredCashFen === null
      ? 'cash not declared (现金未申报)'
      : `cash declared ${formatYuan(r.declaredCashFen)}, expected ${r.expectedCashFen === null ? '?' : formatYuan(r.expectedCashFen)}`;
  const lines = [
    `  账实相符 (R8): ${day.differences.length === 0 ? 'no difference' : `${day.differences.length} difference(s)`}; ${bank}; ${cash}`,
  ];
  for (const d of day.differences) lines.push(`    ${d.code} ${d.reference}: ${d.reasonZh}`);
  return lines;
}

export async function dailyReport(
  store: Store,
  businessDate: string,
  realityDays: ReadonlyMap<string, RealityDay> = new Map(),
): Promise<{ text: string; data: Record<string, unknown> }> {
  const totals = await store.dailyTotals(businessDate);
  const reconciliations = await store.reconciliations(businessDate);
  const lines = [`business day ${businessDate} (Asia/Shanghai)`, ''];
  for (const station of totals) {
    lines.push(`station ${station.stationId}`);
    for (const row of station.rows) {
      lines.push(
        `  ${row.kind.padEnd(24)} ${String(row.count).padStart(6)}  ${formatYuan(row.amountFen).padStart(14)}  fees ${formatYuan(row.feeFen)}`,
      );
    }
    const recon = reconciliations.filter((r) => r.stationId === station.stationId).at(-1);
    if (recon === undefined) lines.push('  reconciliation: no daily close received');
    else if (recon.differences.length === 0) lines.push('  reconciliation: kiosk close = HQ store (R8)');
    else {
      lines.push(`  reconciliation: ${recon.differences.length} difference(s)`);
      for (const d of recon.differences) lines.push(`    ${d.code}: ${d.detail}`);
    }
    lines.push(...realityLines(realityDays.get(station.stationId), recon !== undefined));
  }
  if (totals.length === 0) lines.push('no events stored for this day');
  lines.push('');
  const reality = Object.fromEntries(realityDays);
  return { text: lines.join('\n'), data: { businessDate, totals, reconciliations, reality } };
}
