// The ReportStore side of the SQLite adapter: what reports and `hq status` read (daily totals,
// reconciliations, quarantine, discrepancies, open gaps, counts). Read-only.
import type Database from 'better-sqlite3';
import type { DiscrepancyRecord, GapRecord, QuarantineRecord, StationEvent } from '../../domain/types.js';
import type { DailyTotals, ReconciliationRecord, StoreCounts } from '../../ports/store.js';
import { type Row, toEvent } from './rows.js';
import { reportStatements } from './statements.js';

export class SqliteReportQueries {
  readonly #s: ReturnType<typeof reportStatements>;

  constructor(db: Database.Database) {
    this.#s = reportStatements(db);
  }

  eventsOfDay(stationId: string, businessDate: string): StationEvent[] {
    return (this.#s.eventsOfDay.all(stationId, businessDate) as Row[]).map(toEvent);
  }

  reconciliations(businessDate: string): ReconciliationRecord[] {
    const rows = this.#s.reconciliations.all(businessDate) as Row[];
    return rows.map((row) => ({
      stationId: String(row.station_id),
      businessDate: String(row.business_date),
      closeEventId: String(row.close_event_id),
      reconciledAtMs: Number(row.reconciled_at_ms),
      differences: (this.#s.reconciliationDifferences.all(row.id) as Row[]).map((d) => ({
        code: String(d.code),
        detail: String(d.detail),
      })),
    }));
  }

  quarantine(limit: number): QuarantineRecord[] {
    const rows = this.#s.quarantine.all(limit) as Row[];
    return rows.map((row) => ({
      receivedAtMs: Number(row.received_at_ms),
      topic: String(row.topic),
      stationId: row.station_id === null ? null : String(row.station_id),
      reasonCode: String(row.reason_code),
      detail: String(row.detail),
      sizeBytes: Number(row.size_bytes),
      raw: new Uint8Array(row.raw as Buffer),
      handledSeq: row.handled_seq === null ? null : Number(row.handled_seq),
    }));
  }

  discrepancies(limit: number): DiscrepancyRecord[] {
    const rows = this.#s.discrepancies.all(limit) as Row[];
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

  openGaps(limit: number): GapRecord[] {
    const rows = this.#s.openGaps.all(limit) as Row[];
    return rows.map((row) => ({
      stationId: String(row.station_id),
      fromSeq: Number(row.from_seq),
      toSeq: Number(row.to_seq),
      foundAtMs: Number(row.found_at_ms),
    }));
  }

  dailyTotals(businessDate: string): DailyTotals[] {
    const rows = this.#s.dailyTotals.all(businessDate) as Row[];
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

  counts(): StoreCounts {
    const one = (statement: Database.Statement): number => Number((statement.get() as Row).n);
    const quarantinedByReason: Record<string, number> = {};
    for (const row of this.#s.quarantineByReason.all() as Row[]) {
      quarantinedByReason[String(row.reason_code)] = Number(row.n);
    }
    return {
      events: one(this.#s.countEvents),
      quarantinedByReason,
      discrepancies: one(this.#s.countDiscrepancies),
      openGaps: one(this.#s.countOpenGaps),
      stations: one(this.#s.countStations),
    };
  }
}
