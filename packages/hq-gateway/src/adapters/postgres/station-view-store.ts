// The StationViewStore on PostgreSQL (issue 11): the station list is one page query and one count
// sharing a WHERE (adapters/sqlite/station-view-sql.ts), run side by side on the pool; a station's
// page reads its row by key. Migration 0004 adds the indexes these read by (station ids in byte
// order, branch → stations, per-station purchases and discrepancies).

import type { DiscrepancyRecord, StationEvent } from '../../domain/types.js';
import type {
  StationDetail,
  StationRow,
  StationViewQuery,
  StationViewStore,
} from '../../ports/station-view-store.js';
import {
  postgresDialect,
  stationViewFrom,
  stationViewSql,
  suspensionOfRow,
  toDiscrepancy,
  toStationRow,
} from '../sqlite/station-view-sql.js';
import { pgPrepared as prepared, type Queryable } from './connection.js';
import { toEvent, toStation, toStatus } from './rows.js';

export class PostgresStationViewStore implements StationViewStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async stationRows(query: StationViewQuery): Promise<{ total: number; items: StationRow[] }> {
    const sql = stationViewSql(postgresDialect, query);
    const [rows, counted] = await Promise.all([
      prepared(this.#db, 'list stations', sql.rows, sql.rowValues),
      prepared(this.#db, 'count stations', sql.count, sql.countValues),
    ]);
    return {
      total: Number(counted[0]?.total ?? 0),
      items: rows.map((row) => toStationRow(row, row.online === true)),
    };
  }

  async stationDetail(stationId: string): Promise<StationDetail | undefined> {
    const rows = await prepared(
      this.#db,
      'read a station',
      `SELECT s.*, b.branch_id, p.station_id AS suspended_station_id, p.reason_code AS suspension_reason_code,
         p.detail AS suspension_detail, p.since_ms AS suspension_since_ms
       ${stationViewFrom} WHERE s.station_id = $1`,
      [stationId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      station: toStation(row),
      branchId: row.branch_id === null ? null : String(row.branch_id),
      status: toStatus(row),
      suspension: suspensionOfRow(row),
    };
  }

  async lastEvents(stationId: string, limit: number): Promise<StationEvent[]> {
    const rows = await prepared(
      this.#db,
      "read a station's last events",
      'SELECT * FROM events WHERE station_id = $1 ORDER BY seq DESC LIMIT $2',
      [stationId, limit],
    );
    return rows.map(toEvent);
  }

  async stationDiscrepancies(stationId: string, limit: number): Promise<DiscrepancyRecord[]> {
    const rows = await prepared(
      this.#db,
      "read a station's discrepancies",
      'SELECT * FROM discrepancies WHERE station_id = $1 ORDER BY id LIMIT $2',
      [stationId, limit],
    );
    return rows.map(toDiscrepancy);
  }
}
