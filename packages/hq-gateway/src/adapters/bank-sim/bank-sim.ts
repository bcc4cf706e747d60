// A bank simulator behind the BankCore port, for tests and the demo: accounts with balances and
// PINs, PIN check by deciphering the ISO 9564 format 4 PIN block with the test TPK (through the
// wire package's codec), a per-card daily limit, insufficient funds, and two-phase holds that
// post or release idempotently by request id. State lives in SQLite so a restarted HQ neither
// forgets a hold nor releases it twice. PANs and PINs stay inside this adapter and are never logged.
import { createHash, randomUUID } from 'node:crypto';
import { verifyPinBlockFormat4 } from '@bianmin/wire';
import type Database from 'better-sqlite3';
import type { BankSettlementLine } from '../../domain/reality-check.js';
import { bankAccountsMax } from '../../limits.js';
import type { AuthoriseOutcome, AuthoriseRequest, BankCore, SettleOutcome } from '../../ports/bank-core.js';
import type { BankSettlementSource } from '../../ports/reality.js';
import { WorkingKeyIssuer } from './working-keys.js';

export interface BankAccountSeed {
  readonly pan: string;
  /** Test PIN; a real bank keeps a PIN offset, never the PIN. */
  readonly pin: string;
  readonly balanceFen: number;
  readonly dailyLimitFen: number;
}

const schemaSql = `
CREATE TABLE IF NOT EXISTS bank_accounts (
  pan_sha256 TEXT PRIMARY KEY,
  pan TEXT NOT NULL,
  pin TEXT NOT NULL,
  balance_fen INTEGER NOT NULL,
  held_fen INTEGER NOT NULL DEFAULT 0,
  daily_limit_fen INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS bank_holds (
  request_id TEXT PRIMARY KEY,
  transaction_id TEXT NOT NULL,
  station_id TEXT NOT NULL,
  pan_sha256 TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  fee_fen INTEGER NOT NULL,
  business_date TEXT NOT NULL,
  bank_reference TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('held', 'posted', 'released')),
  created_at_ms INTEGER NOT NULL,
  settled_at_ms INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS bank_declines (
  request_id TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  response_code TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS bank_station_accounts (
  station_id TEXT PRIMARY KEY,
  balance_fen INTEGER NOT NULL
) STRICT;
`;

type Row = Record<string, unknown>;

export function panSha256(pan: string): string {
  return createHash('sha256').update(pan).digest('hex');
}

export class BankSimulator implements BankCore, BankSettlementSource {
  readonly #db: Database.Database;
  readonly #tpk: Uint8Array;
  readonly #workingKeys: WorkingKeyIssuer;

  /**
   * `tpk`: the AES-128 terminal PIN key the PIN pads encrypt under (test key), used unless the
   * request names a working key the HSM stand-in issued to that station (R24, working-keys.ts).
   */
  constructor(db: Database.Database, tpk: Uint8Array) {
    if (tpk.length !== 16) throw new Error('the TPK must be 16 bytes (AES-128)');
    this.#db = db;
    this.#tpk = new Uint8Array(tpk);
    this.#db.exec(schemaSql);
    this.#workingKeys = new WorkingKeyIssuer(db);
  }

  /** The HSM stand-in's working keys: station TMKs and the TPKs issued under them (R24). */
  get workingKeys(): WorkingKeyIssuer {
    return this.#workingKeys;
  }

  /** Create or replace test accounts. */
  seedAccounts(accounts: readonly BankAccountSeed[]): void {
    const count = Number((this.#db.prepare('SELECT COUNT(*) AS n FROM bank_accounts').get() as Row).n);
    if (count + accounts.length > bankAccountsMax) throw new Error('too many bank accounts');
    const upsert = this.#db.prepare(
      `INSERT INTO bank_accounts (pan_sha256, pan, pin, balance_fen, daily_limit_fen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pan_sha256) DO UPDATE SET pin = excluded.pin, balance_fen = excluded.balance_fen,
         held_fen = 0, daily_limit_fen = excluded.daily_limit_fen`,
    );
    this.#db
      .transaction(() => {
        for (const a of accounts) {
          assertFen(a.balanceFen, 'balanceFen');
          assertFen(a.dailyLimitFen, 'dailyLimitFen');
          upsert.run(panSha256(a.pan), a.pan, a.pin, a.balanceFen, a.dailyLimitFen);
        }
      })
      .immediate();
  }

  /** Available balance (balance minus holds) of a card's account, for tests and reports. */
  availableFen(pan: string): number | undefined {
    const row = this.#db
      .prepare('SELECT balance_fen - held_fen AS available FROM bank_accounts WHERE pan_sha256 = ?')
      .get(panSha256(pan)) as Row | undefined;
    return row === undefined ? undefined : Number(row.available);
  }

  balanceFen(pan: string): number | undefined {
    const row = this.#db
      .prepare('SELECT balance_fen FROM bank_accounts WHERE pan_sha256 = ?')
      .get(panSha256(pan)) as Row | undefined;
    return row === undefined ? undefined : Number(row.balance_fen);
  }

  stationBalanceFen(stationId: string): number {
    const row = this.#db
      .prepare('SELECT balance_fen FROM bank_station_accounts WHERE station_id = ?')
      .get(stationId) as Row | undefined;
    return row === undefined ? 0 : Number(row.balance_fen);
  }

  async authorise(request: AuthoriseRequest): Promise<AuthoriseOutcome> {
    return this.#db.transaction(() => this.#authorise(request)).immediate();
  }

  #authorise(request: AuthoriseRequest): AuthoriseOutcome {
    const earlier = this.#earlierAnswer(request.requestId);
    if (earlier !== undefined) return earlier;
    const decline = (code: Exclude<AuthoriseOutcome, { approved: true }>['code'], responseCode: string) => {
      this.#db
        .prepare('INSERT INTO bank_declines (request_id, code, response_code) VALUES (?, ?, ?)')
        .run(request.requestId, code, responseCode);
      return { approved: false as const, code, responseCode };
    };
    if (!(isPositiveFen(request.amountFen) && Number.isSafeInteger(request.feeFen) && request.feeFen >= 0)) {
      return decline('HQ_BANK_AMOUNT_INVALID', '13');
    }
    const panHash = panSha256(request.pan);
    const account = this.#db.prepare('SELECT * FROM bank_accounts WHERE pan_sha256 = ?').get(panHash) as
      | Row
      | undefined;
    if (account === undefined) return decline('HQ_BANK_ACCOUNT_UNKNOWN', '14');
    // R24: a key HQ issued to this station verifies only once the kiosk's KCV agreed; an id HQ never
    // issued to it is the key loaded at provisioning (the default TPK).
    const named =
      request.tpkKeyId === undefined
        ? undefined
        : this.#workingKeys.keyFor(request.stationId, request.tpkKeyId);
    if (named !== undefined && !named.usable) {
      named.tpk.fill(0);
      return decline('HQ_BANK_KEY_NOT_ACTIVE', '96');
    }
    const issued = named?.tpk;
    const pinCheck = verifyPinBlockFormat4(
      request.pinBlock,
      request.pan,
      issued ?? this.#tpk,
      String(account.pin),
    );
    issued?.fill(0);
    if (!pinCheck.ok) {
      return pinCheck.reason === 'pin-mismatch'
        ? decline('HQ_BANK_PIN_WRONG', '55')
        : decline('HQ_BANK_PIN_BLOCK_INVALID', '81');
    }
    const totalFen = request.amountFen + request.feeFen;
    const usedToday = Number(
      (
        this.#db
          .prepare(
            `SELECT COALESCE(SUM(amount_fen), 0) AS used FROM bank_holds
             WHERE pan_sha256 = ? AND business_date = ? AND state IN ('held', 'posted')`,
          )
          .get(panHash, request.businessDate) as Row
      ).used,
    );
    if (usedToday + request.amountFen > Number(account.daily_limit_fen))
      return decline('HQ_BANK_DAILY_LIMIT', '61');
    if (Number(account.balance_fen) - Number(account.held_fen) < totalFen) {
      return decline('HQ_BANK_INSUFFICIENT_FUNDS', '51');
    }
    const bankReference = randomUUID();
    this.#db
      .prepare('UPDATE bank_accounts SET held_fen = held_fen + ? WHERE pan_sha256 = ?')
      .run(totalFen, panHash);
    this.#db
      .prepare(
        `INSERT INTO bank_holds (request_id, transaction_id, station_id, pan_sha256, amount_fen, fee_fen,
           business_date, bank_reference, state, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'held', ?)`,
      )
      .run(
        request.requestId,
        request.transactionId,
        request.stationId,
        panHash,
        request.amountFen,
        request.feeFen,
        request.businessDate,
        bankReference,
        request.atMs,
      );
    return {
      approved: true,
      bankReference,
      responseCode: '00',
      amountFen: request.amountFen,
      feeFen: request.feeFen,
    };
  }

  /** The same request id gets the same answer (idempotent authorisation). */
  #earlierAnswer(requestId: string): AuthoriseOutcome | undefined {
    const hold = this.#db.prepare('SELECT * FROM bank_holds WHERE request_id = ?').get(requestId) as
      | Row
      | undefined;
    if (hold !== undefined) {
      return {
        approved: true,
        bankReference: String(hold.bank_reference),
        responseCode: '00',
        amountFen: Number(hold.amount_fen),
        feeFen: Number(hold.fee_fen),
      };
    }
    const declined = this.#db.prepare('SELECT * FROM bank_declines WHERE request_id = ?').get(requestId) as
      | Row
      | undefined;
    if (declined === undefined) return undefined;
    return {
      approved: false,
      code: String(declined.code) as Exclude<AuthoriseOutcome, { approved: true }>['code'],
      responseCode: String(declined.response_code),
    };
  }

  async post(requestId: string, atMs: number): Promise<SettleOutcome> {
    return this.#db
      .transaction((): SettleOutcome => {
        const hold = this.#hold(requestId);
        if (hold === undefined) return 'HQ_BANK_HOLD_UNKNOWN';
        if (hold.state === 'posted') return 'already_done';
        if (hold.state !== 'held') return 'conflict';
        const totalFen = Number(hold.amount_fen) + Number(hold.fee_fen);
        // R5: the customer pays amount + fee; the station's settlement account receives amount + fee.
        this.#db
          .prepare(
            'UPDATE bank_accounts SET balance_fen = balance_fen - ?, held_fen = held_fen - ? WHERE pan_sha256 = ?',
          )
          .run(totalFen, totalFen, hold.pan_sha256);
        this.#db
          .prepare(
            `INSERT INTO bank_station_accounts (station_id, balance_fen) VALUES (?, ?)
           ON CONFLICT (station_id) DO UPDATE SET balance_fen = balance_fen + excluded.balance_fen`,
          )
          .run(hold.station_id, totalFen);
        this.#db
          .prepare("UPDATE bank_holds SET state = 'posted', settled_at_ms = ? WHERE request_id = ?")
          .run(atMs, requestId);
        return 'done';
      })
      .immediate();
  }

  async release(requestId: string, atMs: number): Promise<SettleOutcome> {
    return this.#db
      .transaction((): SettleOutcome => {
        const hold = this.#hold(requestId);
        if (hold === undefined) {
          // A reversal for a request the bank never approved (declined or never arrived) is a no-op.
          const declined = this.#db
            .prepare('SELECT 1 FROM bank_declines WHERE request_id = ?')
            .get(requestId);
          return declined === undefined ? 'HQ_BANK_HOLD_UNKNOWN' : 'already_done';
        }
        if (hold.state === 'released') return 'already_done';
        if (hold.state !== 'held') return 'conflict';
        const totalFen = Number(hold.amount_fen) + Number(hold.fee_fen);
        this.#db
          .prepare('UPDATE bank_accounts SET held_fen = held_fen - ? WHERE pan_sha256 = ?')
          .run(totalFen, hold.pan_sha256);
        this.#db
          .prepare("UPDATE bank_holds SET state = 'released', settled_at_ms = ? WHERE request_id = ?")
          .run(atMs, requestId);
        return 'done';
      })
      .immediate();
  }

  /**
   * The bank's daily settlement for a station (R8 账实相符): its posted holds of that business day
   * (the day the bank authorised them), plus any of `requestIds` it posted under another day.
   */
  async settlement(
    stationId: string,
    businessDate: string,
    requestIds: readonly string[],
  ): Promise<BankSettlementLine[]> {
    const rows = this.#db
      .prepare(
        `SELECT request_id, bank_reference, amount_fen, fee_fen FROM bank_holds
         WHERE station_id = ? AND state = 'posted'
           AND (business_date = ? OR request_id IN (SELECT value FROM json_each(?)))
         ORDER BY created_at_ms, request_id`,
      )
      .all(stationId, businessDate, JSON.stringify(requestIds)) as Row[];
    return rows.map((row) => ({
      requestId: String(row.request_id),
      bankReference: String(row.bank_reference),
      amountFen: Number(row.amount_fen),
      feeFen: Number(row.fee_fen),
    }));
  }

  #hold(requestId: string): Row | undefined {
    return this.#db.prepare('SELECT * FROM bank_holds WHERE request_id = ?').get(requestId) as
      | Row
      | undefined;
  }
}

function isPositiveFen(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

function assertFen(value: number, name: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new Error(`${name} must be whole fen >= 0`);
}
