// The bank HSM's part in remote key loading (R24), simulated next to the bank simulator: it knows
// each station's TMK (the same components the key mailers carry to the technician; a real HSM keeps
// them under its own master key), generates a fresh TPK per station on request, and gives out only
// that TPK enciphered under the station's TMK plus its check value, never the clear key. The clear
// TPK stays in this stand-in's store, where PIN verification will need it. The kiosk forwards the
// wrapped key to its PIN pad, which alone deciphers it (device-agent app/hq-commands.ts).
import { randomBytes } from 'node:crypto';
import { keyCheckValue, wrapKeyAesEcb } from '@bianmin/wire';
import type Database from 'better-sqlite3';

const schemaSql = `
CREATE TABLE IF NOT EXISTS bank_station_tmks (
  station_id TEXT PRIMARY KEY,
  tmk_hex TEXT NOT NULL,
  tmk_kcv TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS bank_station_tpks (
  station_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  tpk_hex TEXT NOT NULL,
  kcv TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (station_id, key_id)
) STRICT;
`;

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

/** What HQ sends the kiosk: nothing here is a clear key. */
export interface WrappedWorkingKey {
  readonly tpkKeyId: string;
  /** AES-128-ECB(TMK, TPK): 16 bytes. */
  readonly tpkUnderTmk: Uint8Array;
  /** Check value of the clear TPK (6 hex digits). */
  readonly kcv: string;
}

type Row = Record<string, unknown>;

export class WorkingKeyIssuer {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#db.exec(schemaSql);
    // Issue 13 (R24): a key whose KCV the kiosk misreported is never used; databases made before
    // the column get it here ('issued' for every existing key: they were in use).
    const columns = this.#db.prepare('PRAGMA table_info(bank_station_tpks)').all() as Row[];
    if (!columns.some((column) => column.name === 'status'))
      this.#db.exec("ALTER TABLE bank_station_tpks ADD COLUMN status TEXT NOT NULL DEFAULT 'issued'");
  }

  /**
   * HQ's verdict on a key after the kiosk's KCV answer (app/working-key-check.ts): 'active' (the
   * KCVs agree) or 'refused' (they differ: tpkFor never gives the key out again). A key is 'sent'
   * from its issue until then: no PIN block is verified under it (keyFor).
   */
  setKeyStatus(stationId: string, tpkKeyId: string, status: 'active' | 'refused'): void {
    this.#db
      .prepare('UPDATE bank_station_tpks SET status = ? WHERE station_id = ? AND key_id = ?')
      .run(status, stationId, tpkKeyId);
  }

  /** Records a station's TMK (combined from its components); returns its KCV, as the pad reports it. */
  registerTmk(stationId: string, tmk: Uint8Array): string {
    if (tmk.length !== 16 || tmk.every((byte) => byte === 0))
      throw new RangeError('TMK: 16 bytes, not all zero');
    const kcv = keyCheckValue(tmk);
    this.#db
      .prepare(
        `INSERT INTO bank_station_tmks (station_id, tmk_hex, tmk_kcv) VALUES (?, ?, ?)
         ON CONFLICT (station_id) DO UPDATE SET tmk_hex = excluded.tmk_hex, tmk_kcv = excluded.tmk_kcv`,
      )
      .run(stationId, Buffer.from(tmk).toString('hex'), kcv);
    return kcv;
  }

  /** A fresh TPK for the station under `tpkKeyId`, returned only wrapped under its TMK. */
  issue(stationId: string, tpkKeyId: string, nowMs: number): WrappedWorkingKey {
    if (!keyIdPattern.test(tpkKeyId)) throw new RangeError('tpkKeyId: 1-32 of A-Z a-z 0-9 _ -');
    if (!Number.isSafeInteger(nowMs) || nowMs <= 0) throw new RangeError('nowMs: a whole ms instant');
    const row = this.#db
      .prepare('SELECT tmk_hex FROM bank_station_tmks WHERE station_id = ?')
      .get(stationId) as Row | undefined;
    if (row === undefined) throw new RangeError(`no TMK registered for station ${stationId}`);
    const tmk = Buffer.from(String(row.tmk_hex), 'hex');
    const tpk = randomBytes(16);
    try {
      const kcv = keyCheckValue(tpk);
      const tpkUnderTmk = wrapKeyAesEcb(tmk, tpk);
      this.#db
        .prepare(
          "INSERT INTO bank_station_tpks (station_id, key_id, tpk_hex, kcv, created_at_ms, status) VALUES (?, ?, ?, ?, ?, 'sent')",
        )
        .run(stationId, tpkKeyId, tpk.toString('hex'), kcv, nowMs);
      return { tpkKeyId, tpkUnderTmk, kcv };
    } finally {
      tpk.fill(0);
      tmk.fill(0);
    }
  }

  /** Stations with a TMK whose newest TPK was issued `rotationMs` or more before `nowMs`, or never. */
  stationsDue(nowMs: number, rotationMs: number): string[] {
    const rows = this.#db
      .prepare(
        `SELECT m.station_id AS station_id FROM bank_station_tmks m
         LEFT JOIN bank_station_tpks p ON p.station_id = m.station_id
         GROUP BY m.station_id
         HAVING MAX(p.created_at_ms) IS NULL OR MAX(p.created_at_ms) <= ?
         ORDER BY m.station_id`,
      )
      .all(nowMs - rotationMs) as Row[];
    return rows.map((row) => String(row.station_id));
  }

  /** Forgets a TPK that never reached its station (the send failed), so the station is due again. */
  discard(stationId: string, tpkKeyId: string): void {
    this.#db
      .prepare('DELETE FROM bank_station_tpks WHERE station_id = ? AND key_id = ?')
      .run(stationId, tpkKeyId);
  }

  /** The check value of the TPK issued under `tpkKeyId` (the HSM's own, never the kiosk's); undefined: none. */
  kcvOf(stationId: string, tpkKeyId: string): string | undefined {
    const row = this.#db
      .prepare('SELECT kcv FROM bank_station_tpks WHERE station_id = ? AND key_id = ?')
      .get(stationId, tpkKeyId) as Row | undefined;
    return row === undefined ? undefined : String(row.kcv);
  }

  /** The clear TPK a station's PIN blocks under `tpkKeyId` are enciphered with (PIN verification only). */
  tpkFor(stationId: string, tpkKeyId: string): Uint8Array | undefined {
    const key = this.keyFor(stationId, tpkKeyId);
    return key?.usable === true ? key.tpk : undefined;
  }

  /**
   * The key a station's PIN block names, with whether it may verify one (R24): 'active' (the
   * kiosk's KCV agreed) and 'issued' (a key from before the check) may; 'sent' (no KCV answer yet)
   * and 'refused' (a different KCV) may not. Undefined: no such key for this station.
   */
  keyFor(
    stationId: string,
    tpkKeyId: string,
  ): { readonly tpk: Uint8Array; readonly status: string; readonly usable: boolean } | undefined {
    const row = this.#db
      .prepare('SELECT tpk_hex, status FROM bank_station_tpks WHERE station_id = ? AND key_id = ?')
      .get(stationId, tpkKeyId) as Row | undefined;
    if (row === undefined) return undefined;
    const status = String(row.status);
    return {
      tpk: new Uint8Array(Buffer.from(String(row.tpk_hex), 'hex')),
      status,
      usable: status === 'active' || status === 'issued',
    };
  }
}
