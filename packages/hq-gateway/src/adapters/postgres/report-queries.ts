// The ReportStore side of the PostgreSQL adapter: what reports and `hq status` read (daily
// totals, reconciliations, quarantine, discrepancies, open gaps, counts). Read-only; the same
// orderings as the SQLite adapter (the contract suite checks both).
import type { DiscrepancyRecord, GapRecord, QuarantineRecord, StationEvent } from '../../domain/types.js';
import type { DailyTotals, ReconciliationRecord, StoreCounts } from '../../ports/store.js';
import { pgQuery, type Queryable } from './connection.js';
import { toEvent, toQuarantine } from './rows.js';

export class PostgresReportQueries {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]> {
    const rows = await pgQuery(
      this.#db,
      'read a day of events',
      'SELECT * FROM events WHERE station_id = $1 AND business_date = $2 ORDER BY seq',
      [stationId, businessDate],
    );
    return rows.map(toEvent);
  }

  async reconciliations(businessDate: string): Promise<ReconciliationRecord[]> {
    const rows = await pgQuery(
      this.#db,
      'read reconciliations',
      `SELECT r.*, COALESCE(
         (SELECT json_agg(json_build_object('code', d.code, 'detail', d.detail) ORDER BY d.id)
          FROM reconciliation_differences d WHERE d.reconciliation_id = r.id), '[]'::json) AS differences
       FROM reconciliations r WHERE r.business_date = $1 ORDER BY r.station_id COLLATE "C", r.id`,
      [businessDate],
    );
    return rows.map((row) => ({
      stationId: String(row.station_id),
      businessDate: String(row.business_date),
      closeEventId: String(row.close_event_id),
      reconciledAtMs: Number(row.reconciled_at_ms),
      differences: (row.differences as Array<{ code: string; detail: string }>).map((d) => ({
        code: String(d.code),
        detail: String(d.detail),
      })),
    }));
  }

  async quarantine(limit: number): Promise<QuarantineRecord[]> {
    const rows = await pgQuery(
      this.#db,
      'read the quarantine',
      'SELECT * FROM quarantine ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toQuarantine);
  }

  async discrepancies(limit: number): Promise<DiscrepancyRecord[]> {
    const rows = await pgQuery(
      this.#db,
      'read discrepancies',
      'SELECT * FROM discrepancies ORDER BY id LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({
      stationId: String(row.station_id),
      eventId: String(row.event_id),
      code: String(row.code),
      expected: String(row.expected),
      actual: String(row.actual),
      detail: String(row.detail),
      foundAtMs: Number(row.found_at_ms),
    }));
  }

  async openGaps(limit: number): Promise<GapRecord[]> {
    const rows = await pgQuery(
      this.#db,
      'read open gaps',
      'SELECT * FROM gaps WHERE closed_at_ms IS NULL ORDER BY station_id COLLATE "C", from_seq LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({
      stationId: String(row.station_id),
      fromSeq: Number(row.from_seq),
      toSeq: Number(row.to_seq),
      foundAtMs: Number(row.found_at_ms),
    }));
  }

  async dailyTotals(businessDate: string): Promise<DailyTotals[]> {
    const rows = await pgQuery(
      this.#db,
      'read daily totals',
      `SELECT station_id, kind, COUNT(*) AS count, SUM(amount_fen)::bigint AS amount_fen, SUM(fee_fen)::bigint AS fee_fen
       FROM events WHERE business_date = $1 GROUP BY station_id, kind ORDER BY station_id COLLATE "C", kind COLLATE "C"`,
      [businessDate],
    );
    const byStation = new Map<string, DailyTotals['rows'][number][]>();
    for (const row of rows) {
      const stationId = String(row.station_id);
      const list = byStation.get(stationId) ?? [];
      list.push({
        kind: String(row.kind),
        count: Number(row.count),
        amountFen: Number(row.amount_fen),
        feeFen: Number(row.fee_fen),
      });
      byStation.set(stationId, list);
    }
    return [...byStation].map(([stationId, list]) => ({ stationId, businessDate, rows: list }));
  }

  async counts(): Promise<StoreCounts> {
    const [row] = await pgQuery(
      this.#db,
      'count the store',
      `SELECT (SELECT COUNT(*) FROM events) AS events,
              (SELECT COUNT(*) FROM discrepancies) AS discrepancies,
              (SELECT COUNT(*) FROM gaps WHERE closed_at_ms IS NULL) AS open_gaps,
              (SELECT COUNT(*) FROM stations) AS stations`,
    );
    const quarantinedByReason: Record<string, number> = {};
    const reasons = await pgQuery(
      this.#db,
      'count the quarantine',
      'SELECT reason_code, COUNT(*) AS n FROM quarantine GROUP BY reason_code',
    );
    for (const r of reasons) quarantinedByReason[String(r.reason_code)] = Number(r.n);
    return {
      events: Number(row?.events),
      quarantinedByReason,
      discrepancies: Number(row?.discrepancies),
      openGaps: Number(row?.open_gaps),
      stations: Number(row?.stations),
    };
  }
}
