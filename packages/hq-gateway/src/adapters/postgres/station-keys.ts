// The StationKeyStore on PostgreSQL (migration 0006). replaceRevokedKey is one transaction (a
// savepoint inside a unit of work, so the audit row of the re-enrolment commits with it).

import type pg from 'pg';
import type { StationRecord } from '../../domain/types.js';
import type { Resumption } from '../../ports/integrity-store.js';
import type { RevokedKey, StationKeyStore } from '../../ports/station-keys.js';
import { inTransaction, pgQuery, type Row } from './connection.js';

export const keyRevokedCode = 'HQ_STATION_KEY_REVOKED';

export function toRevokedKey(row: Row): RevokedKey {
  return {
    stationId: String(row.station_id),
    keyId: String(row.key_id),
    fingerprint: String(row.fingerprint),
    revokedAtMs: Number(row.revoked_at_ms),
    revokedBy: String(row.revoked_by),
    reason: String(row.reason),
  };
}

export class PostgresStationKeys implements StationKeyStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async recordRevokedKey(key: RevokedKey): Promise<void> {
    await pgQuery(
      this.#pool,
      'record a revoked key',
      `INSERT INTO hq_revoked_keys (fingerprint, station_id, key_id, revoked_at_ms, revoked_by, reason)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fingerprint) DO NOTHING`,
      [key.fingerprint, key.stationId, key.keyId, key.revokedAtMs, key.revokedBy, key.reason.slice(0, 500)],
    );
  }

  async revokedKey(fingerprint: string): Promise<RevokedKey | undefined> {
    const rows = await pgQuery(
      this.#pool,
      'read a revoked key',
      'SELECT * FROM hq_revoked_keys WHERE fingerprint = $1',
      [fingerprint],
    );
    return rows[0] === undefined ? undefined : toRevokedKey(rows[0]);
  }

  async revokedKeys(stationId: string): Promise<RevokedKey[]> {
    const rows = await pgQuery(
      this.#pool,
      "read a station's revoked keys",
      'SELECT * FROM hq_revoked_keys WHERE station_id = $1 ORDER BY revoked_at_ms, fingerprint',
      [stationId],
    );
    return rows.map(toRevokedKey);
  }

  async replaceRevokedKey(next: StationRecord, resumption: Resumption): Promise<boolean> {
    return inTransaction(this.#pool, 're-enrol a station', async (client) => {
      const lifted = await client.query(
        `DELETE FROM station_suspensions WHERE station_id = $1 AND reason_code = $2
         RETURNING reason_code, detail, since_ms`,
        [next.stationId, keyRevokedCode],
      );
      const row = lifted.rows[0] as Row | undefined;
      if (row === undefined) return false;
      await client.query(
        `INSERT INTO station_resumptions
           (station_id, reason_code, detail, since_ms, resumed_at_ms, resumed_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          next.stationId,
          row.reason_code,
          row.detail,
          row.since_ms,
          resumption.resumedAtMs,
          resumption.resumedBy,
          resumption.reason.slice(0, 500),
        ],
      );
      await client.query(
        `UPDATE stations SET key_id = $2, public_key_pem = $3, fingerprint = $4, reader_serial = $5,
           pin_pad_serial = $6, token_serial = $7, enrolled_at_ms = $8 WHERE station_id = $1`,
        [
          next.stationId,
          next.keyId,
          next.publicKeyPem,
          next.fingerprint,
          next.readerSerial,
          next.pinPadSerial,
          next.tokenSerial,
          next.enrolledAtMs,
        ],
      );
      return true;
    });
  }
}
