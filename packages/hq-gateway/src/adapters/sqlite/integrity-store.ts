// The IntegrityStore port on SQLite (issue 8), over the HQ store's main connection (the tables are
// in schema.ts). Writes run in BEGIN IMMEDIATE transactions, as every main-connection write does
// beside the commit thread. Rows hold no PAN and no PIN block: a grant keeps the kiosk's opaque
// card token only.
import type Database from 'better-sqlite3';
import type { WithdrawalGrant } from '../../domain/provenance.js';
import { HqError } from '../../errors.js';
import type {
  IntegrityStore,
  Resumption,
  ResumptionRecord,
  StationAlert,
  Suspension,
} from '../../ports/integrity-store.js';

type Row = Record<string, unknown>;

/** hq_meta key of the running count of quarantine rows dropped by the bounds. */
const quarantineDroppedMeta = 'quarantine_dropped';

export class SqliteIntegrityStore implements IntegrityStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #write<T>(work: () => T): T {
    try {
      return this.#db.transaction(work).immediate();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'integrity store write failed', { cause: error });
    }
  }

  async recordGrant(grant: WithdrawalGrant): Promise<void> {
    this.#write(() =>
      this.#db
        .prepare(
          `INSERT OR IGNORE INTO withdrawal_grants
           (request_id, station_id, transaction_id, card_token, amount_fen, fee_fen, granted_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          grant.requestId,
          grant.stationId,
          grant.transactionId,
          grant.cardToken,
          grant.amountFen,
          grant.feeFen,
          grant.grantedAtMs,
        ),
    );
  }

  async grantsSince(grantedAtMsMin: number): Promise<WithdrawalGrant[]> {
    const rows = this.#db
      .prepare('SELECT * FROM withdrawal_grants WHERE granted_at_ms >= ? ORDER BY granted_at_ms, request_id')
      .all(grantedAtMsMin) as Row[];
    return rows.map((row) => ({
      requestId: String(row.request_id),
      stationId: String(row.station_id),
      transactionId: String(row.transaction_id),
      cardToken: String(row.card_token),
      amountFen: Number(row.amount_fen),
      feeFen: Number(row.fee_fen),
      grantedAtMs: Number(row.granted_at_ms),
    }));
  }

  async provenanceJudgements(stationId: string, codes: readonly string[]): Promise<Map<string, string[]>> {
    const judged = new Map<string, string[]>();
    if (codes.length === 0) return judged;
    const rows = this.#db
      .prepare(
        `SELECT event_id, code FROM discrepancies WHERE station_id = ? AND code IN (${codes.map(() => '?').join(',')})`,
      )
      .all(stationId, ...codes) as Row[];
    for (const row of rows) {
      const eventId = String(row.event_id);
      judged.set(eventId, [...(judged.get(eventId) ?? []), String(row.code)]);
    }
    return judged;
  }

  async suspend(suspension: Suspension): Promise<void> {
    this.#write(() =>
      this.#db
        .prepare(
          'INSERT OR IGNORE INTO station_suspensions (station_id, reason_code, detail, since_ms) VALUES (?, ?, ?, ?)',
        )
        .run(
          suspension.stationId,
          suspension.reasonCode,
          suspension.detail.slice(0, 500),
          suspension.sinceMs,
        ),
    );
  }

  async resume(stationId: string, resumption?: Resumption): Promise<boolean> {
    return this.#write(() => {
      if (resumption !== undefined) {
        this.#db
          .prepare(
            `INSERT INTO station_resumptions
             (station_id, reason_code, detail, since_ms, resumed_at_ms, resumed_by, reason)
             SELECT station_id, reason_code, detail, since_ms, ?, ?, ? FROM station_suspensions
             WHERE station_id = ?`,
          )
          .run(
            resumption.resumedAtMs,
            resumption.resumedBy.slice(0, 100),
            resumption.reason.slice(0, 500),
            stationId,
          );
      }
      return (
        this.#db.prepare('DELETE FROM station_suspensions WHERE station_id = ?').run(stationId).changes > 0
      );
    });
  }

  async resumptions(stationId: string): Promise<ResumptionRecord[]> {
    const rows = this.#db
      .prepare('SELECT * FROM station_resumptions WHERE station_id = ? ORDER BY id')
      .all(stationId) as Row[];
    return rows.map((row) => ({
      ...toSuspension(row),
      resumedAtMs: Number(row.resumed_at_ms),
      resumedBy: String(row.resumed_by),
      reason: String(row.reason),
    }));
  }

  async suspensions(): Promise<Suspension[]> {
    return (this.#db.prepare('SELECT * FROM station_suspensions ORDER BY station_id').all() as Row[]).map(
      toSuspension,
    );
  }

  async pruneQuarantine(
    stationIds: readonly (string | null)[],
    perStationMax: number,
    totalMax: number,
  ): Promise<number> {
    if (
      !(
        Number.isSafeInteger(perStationMax) &&
        perStationMax > 0 &&
        Number.isSafeInteger(totalMax) &&
        totalMax > 0
      )
    )
      throw new Error('quarantine bounds must be positive');
    return this.#write(() => {
      let dropped = 0;
      for (const stationId of new Set(stationIds)) {
        // Unknown senders (no station) share one allowance, like a station.
        const where = stationId === null ? 'station_id IS NULL' : 'station_id = ?';
        const args = stationId === null ? [] : [stationId];
        const count = Number(
          (this.#db.prepare(`SELECT COUNT(*) AS n FROM quarantine WHERE ${where}`).get(...args) as Row).n,
        );
        if (count > perStationMax) {
          dropped += this.#db
            .prepare(
              `DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE ${where} ORDER BY id LIMIT ?)`,
            )
            .run(...args, count - perStationMax).changes;
        }
      }
      const total = Number((this.#db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as Row).n);
      if (total > totalMax) {
        dropped += this.#db
          .prepare('DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT ?)')
          .run(total - totalMax).changes;
      }
      if (dropped > 0) {
        this.#db
          .prepare(
            `INSERT INTO hq_meta (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT)`,
          )
          .run(quarantineDroppedMeta, String(dropped), dropped);
      }
      return dropped;
    });
  }

  async quarantineDropped(): Promise<number> {
    const row = this.#db.prepare('SELECT value FROM hq_meta WHERE key = ?').get(quarantineDroppedMeta) as
      | Row
      | undefined;
    return row === undefined ? 0 : Number(row.value);
  }

  async stationAlerts(): Promise<StationAlert[]> {
    const suspensions = new Map((await this.suspensions()).map((s) => [s.stationId, s]));
    const rows = this.#db
      .prepare(
        `SELECT s.station_id AS station_id,
                (SELECT COUNT(*) FROM discrepancies d WHERE d.station_id = s.station_id) AS n,
                (SELECT id FROM discrepancies d WHERE d.station_id = s.station_id ORDER BY id DESC LIMIT 1) AS last_id
         FROM stations s ORDER BY s.station_id`,
      )
      .all() as Row[];
    const last = this.#db.prepare('SELECT code, detail, found_at_ms FROM discrepancies WHERE id = ?');
    return rows.map((row) => {
      const stationId = String(row.station_id);
      const lastRow = row.last_id === null ? undefined : (last.get(row.last_id) as Row | undefined);
      return {
        stationId,
        suspension: suspensions.get(stationId) ?? null,
        discrepancyCount: Number(row.n),
        lastDiscrepancy:
          lastRow === undefined
            ? null
            : {
                code: String(lastRow.code),
                detail: String(lastRow.detail),
                foundAtMs: Number(lastRow.found_at_ms),
              },
      };
    });
  }
}

function toSuspension(row: Row): Suspension {
  return {
    stationId: String(row.station_id),
    reasonCode: String(row.reason_code),
    detail: String(row.detail),
    sinceMs: Number(row.since_ms),
  };
}
