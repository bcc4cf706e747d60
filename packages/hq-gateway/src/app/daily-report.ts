// The daily report (R7, R8) for the API and the CLI (issue 11): per-station totals of a business
// day with each station's reconciliation result, limited to what the actor may see, in JSON (fen)
// and as CSV rows for domain/daily-report-csv.ts (yuan, zh-CN, Beijing time).
import type { DailyReportRow } from '../domain/daily-report-csv.js';
import type { ReconciliationRecord, ReportStore } from '../ports/store.js';

export interface DailyReport {
  readonly businessDate: string;
  readonly stations: ReadonlyArray<{
    readonly stationId: string;
    readonly rows: ReadonlyArray<{ kind: string; count: number; amountFen: number; feeFen: number }>;
    /** 'matched' (kiosk close = HQ store), 'differences', or 'no_close' (none received). */
    readonly reconciliation: 'matched' | 'differences' | 'no_close';
    readonly differences: ReconciliationRecord['differences'];
  }>;
}

/** `visible`: which stations to include (a branch user's own); undefined: all. */
export async function dailyReportOf(
  store: Pick<ReportStore, 'dailyTotals' | 'reconciliations'>,
  businessDate: string,
  visible?: (stationId: string) => boolean,
): Promise<DailyReport> {
  const totals = await store.dailyTotals(businessDate);
  const reconciliations = await store.reconciliations(businessDate);
  const stations = totals
    .filter((t) => visible === undefined || visible(t.stationId))
    .map((t) => {
      const recon = reconciliations.filter((r) => r.stationId === t.stationId).at(-1);
      const reconciliation: 'matched' | 'differences' | 'no_close' =
        recon === undefined ? 'no_close' : recon.differences.length === 0 ? 'matched' : 'differences';
      return { stationId: t.stationId, rows: t.rows, reconciliation, differences: recon?.differences ?? [] };
    });
  return { businessDate, stations };
}

export function dailyReportRows(report: DailyReport): DailyReportRow[] {
  return report.stations.flatMap((s) =>
    s.rows.map((r) => ({ stationId: s.stationId, ...r, reconciliation: s.reconciliation })),
  );
}
