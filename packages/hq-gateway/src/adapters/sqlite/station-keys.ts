// The StationKeyStore on SQLite: the same table as PostgreSQL's migration 0006, created at open
// (IF NOT EXISTS: additive); replaceRevokedKey in one SQLite transaction.
import type Database from 'better-sqlite3';
import type { StationRecord } from '../../domain/types.js';
import { HqError } from '../../errors.js';
import type { Resumption } from '../../ports/integrity-store.js';
import type { RevokedKey, StationKeyStore } from '../../ports/station-keys.js';
import { keyRevokedCode, toRevokedKey } from '../postgres/station-keys.js';

type Row = Record<string, unknown>;

const revokedKeysSql = `CREATE TABLE IF NOT EXISTS hq_revoked_keys (
  fingerprint TEXT PRIMARY KEY,
  station_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  revoked_at_ms INTEGER NOT NULL,
  revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS hq_revoked_keys_by_station ON hq_revoked_keys (station_id, revoked_at_ms);`;

export class SqliteStationKeys implements StationKeyStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(revokedKeysSql);
  }

  #run<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', `the HQ store could not ${what}`, { cause: error });
    }
  }

  async recordRevokedKey(key: RevokedKey): Promise<void> {
    this.#run('record a revoked key', () =>
      this.#db
        .prepare(
          `INSERT OR IGNORE INTO hq_revoked_keys (fingerprint, station_id, key_id, revoked_at_ms, revoked_by, reason)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          key.fingerprint,
          key.stationId,
          key.keyId,
          key.revokedAtMs,
          key.revokedBy,
          key.reason.slice(0, 500),
        ),
    );
  }

  async revokedKey(fingerprint: string): Promise<RevokedKey | undefined> {
    const row = this.#run('read a revoked key', () =>
      this.#db.prepare('SELECT * FROM hq_revoked_keys WHERE fingerprint = ?').get(fingerprint),
    ) as Row | undefined;
    return row === undefined ? undefined : toRevokedKey(row);
  }

  async revokedKeys(stationId: string): Promise<RevokedKey[]> {
    const rows = this.#run("read a station's revoked keys", () =>
      this.#db
        .prepare('SELECT * FROM hq_revoked_keys WHERE station_id = ? ORDER BY revoked_at_ms, fingerprint')
        .all(stationId),
    ) as Row[];
    return rows.map(toRevokedKey);
  }

  async replaceRevokedKey(next: StationRecord, resumption: Resumption): Promise<boolean> {
    return this.#run('re-enrol a station', () =>
      this.#db.transaction(() => {
        const row = this.#db
          .prepare(
            `DELETE FROM station_suspensions WHERE station_id = ? AND reason_code = ?
             RETURNING reason_code, detail, since_ms`,
          )
          .get(next.stationId, keyRevokedCode) as Row | undefined;
        if (row === undefined) return false;
        this.#db
          .prepare(
            `INSERT INTO station_resumptions
               (station_id, reason_code, detail, since_ms, resumed_at_ms, resumed_by, reason)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            next.stationId,
            row.reason_code,
            row.detail,
            row.since_ms,
            resumption.resumedAtMs,
            resumption.resumedBy,
            resumption.reason.slice(0, 500),
          );
        this.#db
          .prepare(
            `UPDATE stations SET key_id = ?, public_key_pem = ?, fingerprint = ?, reader_serial = ?,
               pin_pad_serial = ?, token_serial = ?, enrolled_at_ms = ? WHERE station_id = ?`,
          )
          .run(
            next.keyId,
            next.publicKeyPem,
            next.fingerprint,
            next.readerSerial,
            next.pinPadSerial,
            next.tokenSerial,
            next.enrolledAtMs,
            next.stationId,
          );
        return true;
      })(),
    );
  }
}
