// The StationViewStore on SQLite (issue 11): the same queries as PostgreSQL's
// (station-view-sql.ts) on the store's main connection, prepared once per shape. Its indexes are a
// versioned schema step (stationViewSchemaSteps, recorded in hq_meta under
// `schema.station_views`): a file from an older HQ gets them at open, a newer file is left alone.
import type Database from 'better-sqlite3';
import type { DiscrepancyRecord, StationEvent } from '../../domain/types.js';
import { HqError } from '../../errors.js';
import type {
  StationDetail,
  StationRow,
  StationViewQuery,
  StationViewStore,
} from '../../ports/station-view-store.js';
import { toEvent, toStation, toStatus } from './rows.js';
import {
  sqliteDialect,
  stationViewFrom,
  stationViewSql,
  suspensionOfRow,
  toDiscrepancy,
  toStationRow,
} from './station-view-sql.js';

type Row = Record<string, unknown>;

/** Forward-only steps, in order; never edit one that has shipped, add the next. */
export const stationViewSchemaSteps: ReadonlyArray<{ readonly version: number; readonly sql: string }> = [
  {
    version: 1,
    sql: `CREATE INDEX IF NOT EXISTS hq_station_branches_by_branch ON hq_station_branches (branch_id, station_id);
CREATE INDEX IF NOT EXISTS quota_purchases_by_station ON quota_purchases (station_id, recorded_at_ms);
CREATE INDEX IF NOT EXISTS discrepancies_by_station_id ON discrepancies (station_id, id);`,
  },
];
const schemaKey = 'schema.station_views';

export class SqliteStationViewStore implements StationViewStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  /** The OpsStore's tables (hq_station_branches) must exist: open SqliteOpsStore on `db` first. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#migrate();
  }

  #migrate(): void {
    try {
      this.#db.transaction(() => {
        const row = this.#db.prepare('SELECT value FROM hq_meta WHERE key = ?').get(schemaKey) as
          | Row
          | undefined;
        const current = row === undefined ? 0 : Number(row.value);
        for (const step of stationViewSchemaSteps) {
          if (step.version <= current) continue;
          this.#db.exec(step.sql);
          this.#db
            .prepare(
              'INSERT INTO hq_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
            )
            .run(schemaKey, String(step.version));
        }
      })();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'the HQ store could not add the station views indexes', {
        cause: error,
      });
    }
  }

  #all(what: string, sql: string, values: readonly unknown[]): Row[] {
    try {
      let statement = this.#statements.get(sql);
      if (statement === undefined) {
        statement = this.#db.prepare(sql);
        this.#statements.set(sql, statement);
      }
      return statement.all(...values) as Row[];
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', `the HQ store could not ${what}`, { cause: error });
    }
  }

  async stationRows(query: StationViewQuery): Promise<{ total: number; items: StationRow[] }> {
    const sql = stationViewSql(sqliteDialect, query);
    const rows = this.#all('list stations', sql.rows, sql.rowValues);
    const counted = this.#all('count stations', sql.count, sql.countValues);
    return {
      total: Number(counted[0]?.total ?? 0),
      items: rows.map((row) => toStationRow(row, Number(row.online) === 1)),
    };
  }

  async stationDetail(stationId: string): Promise<StationDetail | undefined> {
    const rows = this.#all(
      'read a station',
      `SELECT s.*, b.branch_id, p.station_id AS suspended_station_id, p.reason_code AS suspension_reason_code,
         p.detail AS suspension_detail, p.since_ms AS suspension_since_ms
       ${stationViewFrom} WHERE s.station_id = ?`,
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
    return this.#all(
      "read a station's last events",
      'SELECT * FROM events WHERE station_id = ? ORDER BY seq DESC LIMIT ?',
      [stationId, limit],
    ).map(toEvent);
  }

  async stationDiscrepancies(stationId: string, limit: number): Promise<DiscrepancyRecord[]> {
    return this.#all(
      "read a station's discrepancies",
      'SELECT * FROM discrepancies WHERE station_id = ? ORDER BY id LIMIT ?',
      [stationId, limit],
    ).map(toDiscrepancy);
  }
}
