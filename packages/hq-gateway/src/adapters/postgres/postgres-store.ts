// The Store port on PostgreSQL through node-postgres (pg 8): HQ's production store, beside the
// SQLite adapter that stays the embedded default for the demo and a laptop. Several HQ processes
// may share one database: every uniqueness is a database key (event id, (station id, seq),
// purchase id, request id, config version), ingest batches are one transaction each
// (batch-writer.ts), and the ack point only rises. The schema is migrations/postgres/*.sql,
// applied by `hq migrate` and by open() (migrate.ts). The parts: connection.ts (pool, types,
// errors), batch-writer.ts (ingest commits), report-queries.ts, integrity-store.ts, rows.ts.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type {
  DiscrepancyRecord,
  GapRecord,
  QuarantineRecord,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../../domain/types.js';
import type { WithdrawalApprovalRecord } from '../../domain/withdrawal-limits.js';
import { HqError } from '../../errors.js';
import type { StationAlert } from '../../ports/integrity-store.js';
import type {
  ApprovalRecording,
  ConfigRecord,
  DailyTotals,
  IngestBatch,
  QuotaPurchaseRecord,
  ReconciliationRecord,
  StationSeqState,
  Store,
  StoreCounts,
  StoredEventRef,
} from '../../ports/store.js';
import { writeBatch } from './batch-writer.js';
import { inTransaction, openPool, pgQuery } from './connection.js';
import { PostgresIntegrityStore } from './integrity-store.js';
import { type MigrationReport, migrate } from './migrate.js';
import { PostgresReportQueries } from './report-queries.js';
import { toEvent, toStation, toStatus } from './rows.js';

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  /** Apply pending migrations on open (default true; `hq migrate` does it explicitly). */
  readonly migrate?: boolean;
}

export class PostgresStore implements Store {
  readonly pool: pg.Pool;
  readonly integrity: PostgresIntegrityStore;
  readonly #reports: PostgresReportQueries;
  /** What open() migrated (undefined when it did not). */
  migration: MigrationReport | undefined;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
    this.integrity = new PostgresIntegrityStore(pool);
    this.#reports = new PostgresReportQueries(pool);
  }

  /** Connect, and (unless told not to) bring the schema up to date. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(openPool(options.url));
    try {
      if (options.migrate ?? true) store.migration = await migrate(store.pool);
      else await pgQuery(store.pool, 'connect', 'SELECT 1');
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async ready(): Promise<void> {}

  async enrolStation(station: StationRecord): Promise<'enrolled' | 'unchanged'> {
    const inserted = await pgQuery(
      this.pool,
      'enrol a station',
      `INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
         pin_pad_serial, token_serial, enrolled_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (station_id) DO NOTHING RETURNING station_id`,
      [
        station.stationId,
        station.orgCode,
        station.keyId,
        station.publicKeyPem,
        station.fingerprint,
        station.readerSerial,
        station.pinPadSerial,
        station.tokenSerial,
        station.enrolledAtMs,
      ],
    );
    if (inserted.length === 1) return 'enrolled';
    const existing = await this.getStation(station.stationId);
    if (
      existing !== undefined &&
      existing.fingerprint === station.fingerprint &&
      existing.keyId === station.keyId
    )
      return 'unchanged';
    throw new HqError(
      'HQ_STATION_KEY_CONFLICT',
      `station ${station.stationId} is enrolled with another key`,
      {
        details: { stationId: station.stationId, enrolledFingerprint: existing?.fingerprint ?? '' },
      },
    );
  }

  async getStation(stationId: string): Promise<StationRecord | undefined> {
    const rows = await pgQuery(this.pool, 'read a station', 'SELECT * FROM stations WHERE station_id = $1', [
      stationId,
    ]);
    return rows[0] === undefined ? undefined : toStation(rows[0]);
  }

  async listStations(): Promise<StationRecord[]> {
    const rows = await pgQuery(
      this.pool,
      'list stations',
      'SELECT * FROM stations ORDER BY station_id COLLATE "C"',
    );
    return rows.map(toStation);
  }

  async loadSeqStates(): Promise<StationSeqState[]> {
    const rows = await pgQuery(
      this.pool,
      'load sequence states',
      `SELECT s.station_id, s.acked_seq,
         ARRAY(SELECT seq FROM events e WHERE e.station_id = s.station_id AND e.seq > s.acked_seq
               UNION SELECT handled_seq FROM quarantine q WHERE q.station_id = s.station_id AND q.handled_seq > s.acked_seq
               ORDER BY 1) AS above
       FROM stations s ORDER BY s.station_id COLLATE "C"`,
    );
    return rows.map((row) => ({
      stationId: String(row.station_id),
      ackedSeq: Number(row.acked_seq),
      // bigint[] arrives as strings (the array parser does not use the int8 override).
      storedAbove: (row.above as Array<string | number>).map((seq) => Number(seq)),
    }));
  }

  async loadStatuses(): Promise<StationStatus[]> {
    const rows = await pgQuery(
      this.pool,
      'load statuses',
      `SELECT station_id, online, offline_reason, last_seen_ms, bd_seq, peripherals_json, outbox_depth
       FROM stations ORDER BY station_id COLLATE "C"`,
    );
    return rows.map(toStatus);
  }

  async findEvents(eventIds: readonly string[]): Promise<Map<string, StoredEventRef>> {
    const found = new Map<string, StoredEventRef>();
    if (eventIds.length === 0) return found;
    const rows = await pgQuery(
      this.pool,
      'look event ids up',
      'SELECT event_id, station_id, seq, envelope_sha256 FROM events WHERE event_id = ANY($1::text[])',
      [[...eventIds]],
    );
    for (const row of rows) {
      const eventId = String(row.event_id);
      found.set(eventId, {
        eventId,
        stationId: String(row.station_id),
        seq: Number(row.seq),
        envelopeSha256: String(row.envelope_sha256),
      });
    }
    return found;
  }

  async eventsOfStation(stationId: string): Promise<StationEvent[]> {
    const rows = await pgQuery(
      this.pool,
      "read a station's events",
      'SELECT * FROM events WHERE station_id = $1 ORDER BY seq',
      [stationId],
    );
    return rows.map(toEvent);
  }

  async previousClose(stationId: string, beforeSeq: number): Promise<StationEvent | undefined> {
    const rows = await pgQuery(
      this.pool,
      'read the previous daily close',
      `SELECT * FROM events WHERE station_id = $1 AND kind = 'DAILY_CLOSE' AND seq < $2 ORDER BY seq DESC LIMIT 1`,
      [stationId, beforeSeq],
    );
    return rows[0] === undefined ? undefined : toEvent(rows[0]);
  }

  async commitBatch(batch: IngestBatch): Promise<void> {
    await writeBatch(this.pool, batch);
  }

  async pendingSettlements(): Promise<StationEvent[]> {
    const rows = await pgQuery(
      this.pool,
      'read pending settlements',
      `SELECT * FROM events WHERE settle_state = 'pending' ORDER BY station_id COLLATE "C", seq`,
    );
    return rows.map(toEvent);
  }

  async markSettled(eventId: string, outcome: string): Promise<void> {
    await pgQuery(
      this.pool,
      'mark a settlement done',
      `UPDATE events SET settle_state = 'done', settle_outcome = $1 WHERE event_id = $2`,
      [outcome, eventId],
    );
  }

  async recordQuotaPurchase(purchase: QuotaPurchaseRecord): Promise<void> {
    if (!(Number.isSafeInteger(purchase.amountFen) && Number.isSafeInteger(purchase.quotaFenAfter)))
      throw new Error('quota purchase amounts must be fen');
    await pgQuery(
      this.pool,
      'record a quota purchase',
      `INSERT INTO quota_purchases (purchase_id, station_id, amount_fen, quota_fen_after, recorded_at_ms)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        purchase.purchaseId,
        purchase.stationId,
        purchase.amountFen,
        purchase.quotaFenAfter,
        purchase.recordedAtMs,
      ],
    );
  }

  async quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]> {
    const rows = await pgQuery(
      this.pool,
      'read quota purchases',
      'SELECT * FROM quota_purchases WHERE station_id = $1 ORDER BY recorded_at_ms, purchase_id COLLATE "C"',
      [stationId],
    );
    return rows.map((row) => ({
      purchaseId: String(row.purchase_id),
      stationId: String(row.station_id),
      amountFen: Number(row.amount_fen),
      quotaFenAfter: Number(row.quota_fen_after),
      recordedAtMs: Number(row.recorded_at_ms),
    }));
  }

  async saveConfig(config: ConfigRecord): Promise<void> {
    await pgQuery(
      this.pool,
      'save a config',
      'INSERT INTO configs (station_id, version, issued_at_ms, envelope, summary_json) VALUES ($1, $2, $3, $4, $5)',
      [
        config.stationId,
        config.version,
        config.issuedAtMs,
        Buffer.from(config.envelope),
        JSON.stringify(config.summary),
      ],
    );
  }

  async latestConfig(stationId: string): Promise<ConfigRecord | undefined> {
    const rows = await pgQuery(
      this.pool,
      'read the latest config',
      'SELECT * FROM configs WHERE station_id = $1 ORDER BY version DESC LIMIT 1',
      [stationId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      stationId,
      version: Number(row.version),
      issuedAtMs: Number(row.issued_at_ms),
      envelope: new Uint8Array(row.envelope as Buffer),
      summary: JSON.parse(String(row.summary_json)) as Record<string, unknown>,
    };
  }

  async recordWithdrawalApproval(
    approval: WithdrawalApprovalRecord,
    cardDayFenMax: number,
  ): Promise<ApprovalRecording> {
    if (!(Number.isSafeInteger(approval.amountFen) && approval.amountFen >= 0)) {
      throw new Error('amountFen must be fen');
    }
    if (!(Number.isSafeInteger(cardDayFenMax) && cardDayFenMax > 0))
      throw new Error('cardDayFenMax must be fen');
    try {
      return await inTransaction(this.pool, 'record a withdrawal approval', async (client) => {
        // The card's lock for this transaction: two gateways approving the same card wait for each
        // other here, so each sees the other's approval in its sum (R5 across HQ processes).
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [cardLockKey(approval.cardKey)]);
        const summed = await client.query(
          `SELECT COALESCE(SUM(amount_fen), 0) AS fen FROM withdrawal_approvals
           WHERE card_key = $1 AND business_date = $2 AND released_at_ms IS NULL AND request_id <> $3`,
          [approval.cardKey, approval.businessDate, approval.requestId],
        );
        const cardDayFen = Number(summed.rows[0]?.fen ?? 0);
        if (cardDayFen + approval.amountFen > cardDayFenMax)
          return { recorded: false, code: 'HQ_AUTH_OVER_CARD_DAILY_LIMIT', cardDayFen } as const;
        // A request id approved again after its release counts again (WithdrawalTally does the same).
        await client.query(
          `INSERT INTO withdrawal_approvals (request_id, card_key, station_id, business_date, amount_fen, approved_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO UPDATE SET released_at_ms = NULL`,
          [
            approval.requestId,
            approval.cardKey,
            approval.stationId,
            approval.businessDate,
            approval.amountFen,
            approval.approvedAtMs,
          ],
        );
        return { recorded: true } as const;
      });
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'a withdrawal approval could not be recorded', {
        cause: error,
        details: { requestId: approval.requestId, stationId: approval.stationId },
      });
    }
  }

  async releaseWithdrawalApproval(requestId: string, atMs: number): Promise<void> {
    await pgQuery(
      this.pool,
      'record a withdrawal release',
      'UPDATE withdrawal_approvals SET released_at_ms = $1 WHERE request_id = $2 AND released_at_ms IS NULL',
      [atMs, requestId],
    );
  }

  async openWithdrawalApprovals(businessDateMin: string): Promise<WithdrawalApprovalRecord[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDateMin)) throw new Error('businessDateMin must be YYYY-MM-DD');
    const rows = await pgQuery(
      this.pool,
      'read open approvals',
      `SELECT * FROM withdrawal_approvals WHERE business_date >= $1 AND released_at_ms IS NULL
       ORDER BY approved_at_ms, request_id COLLATE "C"`,
      [businessDateMin],
    );
    return rows.map((row) => ({
      requestId: String(row.request_id),
      cardKey: String(row.card_key),
      stationId: String(row.station_id),
      businessDate: String(row.business_date),
      amountFen: Number(row.amount_fen),
      approvedAtMs: Number(row.approved_at_ms),
    }));
  }

  async saveReconciliation(record: ReconciliationRecord): Promise<void> {
    await inTransaction(this.pool, 'save a reconciliation', async (client) => {
      const inserted = await client.query(
        `INSERT INTO reconciliations (station_id, business_date, close_event_id, reconciled_at_ms, difference_count)
         VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [
          record.stationId,
          record.businessDate,
          record.closeEventId,
          record.reconciledAtMs,
          record.differences.length,
        ],
      );
      const id = inserted.rows[0]?.id as number;
      if (record.differences.length > 0) {
        await client.query(
          `INSERT INTO reconciliation_differences (reconciliation_id, code, detail)
           SELECT $1, * FROM unnest($2::text[], $3::text[])`,
          [id, record.differences.map((d) => d.code), record.differences.map((d) => d.detail)],
        );
      }
    });
  }

  async getMeta(key: string): Promise<string | undefined> {
    const rows = await pgQuery(this.pool, 'read a meta value', 'SELECT value FROM hq_meta WHERE key = $1', [
      key,
    ]);
    return rows[0] === undefined ? undefined : String(rows[0].value);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await pgQuery(
      this.pool,
      'write a meta value',
      'INSERT INTO hq_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  // The ReportStore reads (report-queries.ts).
  eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]> {
    return this.#reports.eventsOfDay(stationId, businessDate);
  }
  reconciliations(businessDate: string): Promise<ReconciliationRecord[]> {
    return this.#reports.reconciliations(businessDate);
  }
  quarantine(limit: number): Promise<QuarantineRecord[]> {
    return this.#reports.quarantine(limit);
  }
  discrepancies(limit: number): Promise<DiscrepancyRecord[]> {
    return this.#reports.discrepancies(limit);
  }
  openGaps(limit: number): Promise<GapRecord[]> {
    return this.#reports.openGaps(limit);
  }
  dailyTotals(businessDate: string): Promise<DailyTotals[]> {
    return this.#reports.dailyTotals(businessDate);
  }
  counts(): Promise<StoreCounts> {
    return this.#reports.counts();
  }
  stationAlerts(): Promise<StationAlert[]> {
    return this.integrity.stationAlerts();
  }

  #closed = false;
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}

/**
 * The advisory-lock key of a card's R5 day: the first 8 bytes of SHA-256('r5-card:' + card key) as a
 * signed 64-bit integer (text, for pg's bigint). Distinct from the partition and migration locks
 * (small fixed numbers) but for a 2^-64 chance; a collision only makes two cards wait for each other.
 */
function cardLockKey(cardKey: string): string {
  return createHash('sha256').update(`r5-card:${cardKey}`).digest().readBigInt64BE(0).toString();
}
