// The Store port on SQLite through better-sqlite3 12: WAL journal, synchronous=FULL (a committed
// batch survives power loss; TOOLCHAIN.md: ~3.8k single-row commits/s, ~263k rows/s in batches
// of 1000, hence the ingest pipeline commits in batches). Idempotent by construction: events are
// keyed by event id and (station id, seq) is unique, so a batch replayed after a crash cannot
// double anything.
import Database from 'better-sqlite3';
import type {
  BusinessType,
  DiscrepancyRecord,
  EventKind,
  GapRecord,
  OfflineReason,
  QuarantineRecord,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../../domain/types.js';
import type { WithdrawalApprovalRecord } from '../../domain/withdrawal-limits.js';
import { HqError } from '../../errors.js';
import { eventLookupChunkMax, quarantineBytesMax } from '../../limits.js';
import type {
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
import { CommitThread } from './commit-thread.js';
import { addedColumns, schemaSql } from './schema.js';

type Row = Record<string, unknown>;

export interface SqliteStoreOptions {
  /** Database file path, or ':memory:' for unit tests. */
  readonly path: string;
  /**
   * Commit ingest batches on a worker thread with its own connection (commit-thread.ts), so the
   * caller's thread keeps reading MQTT while the fsync runs. Needs a file path. Default false.
   */
  readonly commitOnThread?: boolean;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly #statements: ReturnType<typeof prepare>;
  /** The ingest commit thread when `commitOnThread` (undefined: commits run inline). */
  readonly commitThread: CommitThread | undefined;

  constructor(options: SqliteStoreOptions) {
    try {
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(schemaSql);
      addMissingColumns(this.db);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', `cannot open the HQ store at ${options.path}`, {
        cause: error,
        details: { path: options.path },
      });
    }
    this.#statements = prepare(this.db);
    if (options.commitOnThread === true) {
      if (options.path === ':memory:') throw new Error('commitOnThread needs a database file');
      this.commitThread = new CommitThread(options.path);
    }
  }

  /** Resolves when the commit thread (if any) has opened the database. */
  async ready(): Promise<void> {
    await this.commitThread?.ready();
  }

  async enrolStation(station: StationRecord): Promise<'enrolled' | 'unchanged'> {
    const existing = await this.getStation(station.stationId);
    if (existing !== undefined) {
      if (existing.fingerprint === station.fingerprint && existing.keyId === station.keyId)
        return 'unchanged';
      throw new HqError(
        'HQ_STATION_KEY_CONFLICT',
        `station ${station.stationId} is enrolled with another key`,
        {
          details: { stationId: station.stationId, enrolledFingerprint: existing.fingerprint },
        },
      );
    }
    this.#statements.insertStation.run({
      station_id: station.stationId,
      org_code: station.orgCode,
      key_id: station.keyId,
      public_key_pem: station.publicKeyPem,
      fingerprint: station.fingerprint,
      reader_serial: station.readerSerial,
      pin_pad_serial: station.pinPadSerial,
      token_serial: station.tokenSerial,
      enrolled_at_ms: station.enrolledAtMs,
    });
    return 'enrolled';
  }

  async getStation(stationId: string): Promise<StationRecord | undefined> {
    const row = this.#statements.getStation.get(stationId) as Row | undefined;
    return row === undefined ? undefined : toStation(row);
  }

  async listStations(): Promise<StationRecord[]> {
    return (this.#statements.listStations.all() as Row[]).map(toStation);
  }

  async loadSeqStates(): Promise<StationSeqState[]> {
    const states: StationSeqState[] = [];
    for (const row of this.db.prepare('SELECT station_id, acked_seq FROM stations').all() as Row[]) {
      const stationId = String(row.station_id);
      const ackedSeq = Number(row.acked_seq);
      const above = this.#statements.seqsAbove.all(stationId, ackedSeq, stationId, ackedSeq) as Row[];
      states.push({ stationId, ackedSeq, storedAbove: above.map((r) => Number(r.seq)) });
    }
    return states;
  }

  async loadStatuses(): Promise<StationStatus[]> {
    const rows = this.db
      .prepare(
        `SELECT station_id, online, offline_reason, last_seen_ms, bd_seq, peripherals_json, outbox_depth
         FROM stations`,
      )
      .all() as Row[];
    return rows.map((row) => ({
      stationId: String(row.station_id),
      online: Number(row.online) === 1,
      offlineReason: toOfflineReason(row.offline_reason),
      lastSeenMs: Number(row.last_seen_ms),
      bdSeq: Number(row.bd_seq),
      peripherals: JSON.parse(String(row.peripherals_json)) as StationStatus['peripherals'],
      outboxDepth: Number(row.outbox_depth),
    }));
  }

  async findEvents(eventIds: readonly string[]): Promise<Map<string, StoredEventRef>> {
    const found = new Map<string, StoredEventRef>();
    // One query per eventLookupChunkMax ids (a short chunk repeats its last id), not one per id.
    const chunk: string[] = new Array(eventLookupChunkMax);
    for (let start = 0; start < eventIds.length; start += eventLookupChunkMax) {
      const end = Math.min(eventIds.length, start + eventLookupChunkMax);
      for (let index = 0; index < eventLookupChunkMax; index += 1) {
        chunk[index] = eventIds[Math.min(start + index, end - 1)]!;
      }
      for (const row of this.#statements.findEvents.all(chunk) as Row[]) {
        const eventId = String(row.event_id);
        found.set(eventId, {
          eventId,
          stationId: String(row.station_id),
          seq: Number(row.seq),
          envelopeSha256: String(row.envelope_sha256),
        });
      }
    }
    return found;
  }

  async eventsOfStation(stationId: string): Promise<StationEvent[]> {
    return (this.#statements.eventsOfStation.all(stationId) as Row[]).map(toEvent);
  }

  async eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]> {
    return (this.#statements.eventsOfDay.all(stationId, businessDate) as Row[]).map(toEvent);
  }

  async previousClose(stationId: string, beforeSeq: number): Promise<StationEvent | undefined> {
    const row = this.db
      .prepare(
        `SELECT * FROM events WHERE station_id = ? AND kind = 'DAILY_CLOSE' AND seq < ?
         ORDER BY seq DESC LIMIT 1`,
      )
      .get(stationId, beforeSeq) as Row | undefined;
    return row === undefined ? undefined : toEvent(row);
  }

  async commitBatch(batch: IngestBatch): Promise<void> {
    const encoded = encodeIngestBatch(batch);
    if (this.commitThread !== undefined) {
      await this.commitThread.commit(encoded);
      return;
    }
    this.commitEncoded(encoded);
  }

  /** Write an encoded ingest batch in one transaction (here, or on the commit thread). */
  commitEncoded(encoded: EncodedBatch): void {
    const s = this.#statements;
    const envelopes = Buffer.from(
      encoded.envelopes.buffer,
      encoded.envelopes.byteOffset,
      encoded.envelopes.byteLength,
    );
    const offsets = encoded.envelopeOffsets;
    const run = this.db.transaction(() => {
      // Positional parameters in the column order of insertEvent (no object per row); the envelope
      // is bound as a view of the batch's envelope buffer, not a copy.
      for (let index = 0; index < encoded.eventRows.length; index += 1) {
        const row = encoded.eventRows[index]!;
        const offset = offsets[2 * index]!;
        row[envelopeParameter] = envelopes.subarray(offset, offset + offsets[2 * index + 1]!);
        s.insertEvent.run(row);
      }
      for (const q of encoded.quarantined) s.insertQuarantine.run(q);
      for (const d of encoded.discrepancies) s.insertDiscrepancy.run(d);
      for (const gap of encoded.gapsOpened) s.insertGap.run(gap);
      for (const fill of encoded.gapFills) this.#fillGap(fill.stationId, fill.seq, fill.atMs);
      for (const [stationId, ackedSeq] of encoded.ackedSeqs) s.updateAcked.run(ackedSeq, stationId);
      for (const st of encoded.statuses) s.updateStatus.run(st);
    });
    try {
      run.immediate();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'an ingest batch could not be committed', {
        cause: error,
        details: { events: encoded.eventRows.length },
      });
    }
  }

  /** Narrow the open gap holding `seq`: split it around the seq, close it when empty. */
  #fillGap(stationId: string, seq: number, atMs: number): void {
    const gap = this.#statements.gapHolding.get(stationId, seq, seq) as Row | undefined;
    if (gap === undefined) return;
    const id = Number(gap.id);
    const fromSeq = Number(gap.from_seq);
    const toSeq = Number(gap.to_seq);
    this.#statements.closeGap.run(atMs, id);
    const foundAtMs = Number(gap.found_at_ms);
    if (fromSeq <= seq - 1) {
      this.#statements.insertGap.run({
        station_id: stationId,
        from_seq: fromSeq,
        to_seq: seq - 1,
        found_at_ms: foundAtMs,
      });
    }
    if (seq + 1 <= toSeq) {
      this.#statements.insertGap.run({
        station_id: stationId,
        from_seq: seq + 1,
        to_seq: toSeq,
        found_at_ms: foundAtMs,
      });
    }
  }

  async pendingSettlements(): Promise<StationEvent[]> {
    const rows = this.db
      .prepare("SELECT * FROM events WHERE settle_state = 'pending' ORDER BY station_id, seq")
      .all();
    return (rows as Row[]).map(toEvent);
  }

  async markSettled(eventId: string, outcome: string): Promise<void> {
    this.db
      .prepare("UPDATE events SET settle_state = 'done', settle_outcome = ? WHERE event_id = ?")
      .run(outcome, eventId);
  }

  async recordQuotaPurchase(purchase: QuotaPurchaseRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO quota_purchases (purchase_id, station_id, amount_fen, quota_fen_after, recorded_at_ms)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(
        purchase.purchaseId,
        purchase.stationId,
        purchase.amountFen,
        purchase.quotaFenAfter,
        purchase.recordedAtMs,
      );
  }

  async quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM quota_purchases WHERE station_id = ? ORDER BY recorded_at_ms, purchase_id')
      .all(stationId) as Row[];
    return rows.map((row) => ({
      purchaseId: String(row.purchase_id),
      stationId: String(row.station_id),
      amountFen: Number(row.amount_fen),
      quotaFenAfter: Number(row.quota_fen_after),
      recordedAtMs: Number(row.recorded_at_ms),
    }));
  }

  async saveConfig(config: ConfigRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO configs (station_id, version, issued_at_ms, envelope, summary_json) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        config.stationId,
        config.version,
        config.issuedAtMs,
        Buffer.from(config.envelope),
        JSON.stringify(config.summary),
      );
  }

  async latestConfig(stationId: string): Promise<ConfigRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM configs WHERE station_id = ? ORDER BY version DESC LIMIT 1')
      .get(stationId) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      stationId,
      version: Number(row.version),
      issuedAtMs: Number(row.issued_at_ms),
      envelope: new Uint8Array(row.envelope as Buffer),
      summary: JSON.parse(String(row.summary_json)) as Record<string, unknown>,
    };
  }

  async recordWithdrawalApproval(approval: WithdrawalApprovalRecord): Promise<void> {
    if (!(Number.isSafeInteger(approval.amountFen) && approval.amountFen >= 0)) {
      throw new Error('amountFen must be fen');
    }
    try {
      this.#statements.recordApproval.run({
        request_id: approval.requestId,
        card_key: approval.cardKey,
        station_id: approval.stationId,
        business_date: approval.businessDate,
        amount_fen: approval.amountFen,
        approved_at_ms: approval.approvedAtMs,
      });
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'a withdrawal approval could not be recorded', {
        cause: error,
        details: { requestId: approval.requestId, stationId: approval.stationId },
      });
    }
  }

  async releaseWithdrawalApproval(requestId: string, atMs: number): Promise<void> {
    try {
      this.#statements.releaseApproval.run(atMs, requestId);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'a withdrawal release could not be recorded', {
        cause: error,
        details: { requestId },
      });
    }
  }

  async openWithdrawalApprovals(businessDateMin: string): Promise<WithdrawalApprovalRecord[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDateMin)) throw new Error('businessDateMin must be YYYY-MM-DD');
    const rows = this.#statements.openApprovals.all(businessDateMin) as Row[];
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
    const insert = this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO reconciliations (station_id, business_date, close_event_id, reconciled_at_ms, difference_count)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(
          record.stationId,
          record.businessDate,
          record.closeEventId,
          record.reconciledAtMs,
          record.differences.length,
        );
      const addDifference = this.db.prepare(
        'INSERT INTO reconciliation_differences (reconciliation_id, code, detail) VALUES (?, ?, ?)',
      );
      for (const d of record.differences) addDifference.run(info.lastInsertRowid, d.code, d.detail);
    });
    insert.immediate();
  }

  async reconciliations(businessDate: string): Promise<ReconciliationRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM reconciliations WHERE business_date = ? ORDER BY station_id, id')
      .all(businessDate) as Row[];
    const differences = this.db.prepare(
      'SELECT code, detail FROM reconciliation_differences WHERE reconciliation_id = ? ORDER BY id',
    );
    return rows.map((row) => ({
      stationId: String(row.station_id),
      businessDate: String(row.business_date),
      closeEventId: String(row.close_event_id),
      reconciledAtMs: Number(row.reconciled_at_ms),
      differences: (differences.all(row.id) as Row[]).map((d) => ({
        code: String(d.code),
        detail: String(d.detail),
      })),
    }));
  }

  async quarantine(limit: number): Promise<QuarantineRecord[]> {
    const rows = this.db.prepare('SELECT * FROM quarantine ORDER BY id DESC LIMIT ?').all(limit) as Row[];
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

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM hq_meta WHERE key = ?').get(key) as Row | undefined;
    return row === undefined ? undefined : String(row.value);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO hq_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  async discrepancies(limit: number): Promise<DiscrepancyRecord[]> {
    const rows = this.db.prepare('SELECT * FROM discrepancies ORDER BY id LIMIT ?').all(limit) as Row[];
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
    const rows = this.db
      .prepare('SELECT * FROM gaps WHERE closed_at_ms IS NULL ORDER BY station_id, from_seq LIMIT ?')
      .all(limit) as Row[];
    return rows.map((row) => ({
      stationId: String(row.station_id),
      fromSeq: Number(row.from_seq),
      toSeq: Number(row.to_seq),
      foundAtMs: Number(row.found_at_ms),
    }));
  }

  async dailyTotals(businessDate: string): Promise<DailyTotals[]> {
    const rows = this.db
      .prepare(
        `SELECT station_id, kind, COUNT(*) AS count, SUM(amount_fen) AS amount_fen, SUM(fee_fen) AS fee_fen
         FROM events WHERE business_date = ? GROUP BY station_id, kind ORDER BY station_id, kind`,
      )
      .all(businessDate) as Row[];
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
    const one = (sql: string): number => Number((this.db.prepare(sql).get() as Row).n);
    const quarantinedByReason: Record<string, number> = {};
    for (const row of this.db
      .prepare('SELECT reason_code, COUNT(*) AS n FROM quarantine GROUP BY reason_code')
      .all() as Row[]) {
      quarantinedByReason[String(row.reason_code)] = Number(row.n);
    }
    return {
      events: one('SELECT COUNT(*) AS n FROM events'),
      quarantinedByReason,
      discrepancies: one('SELECT COUNT(*) AS n FROM discrepancies'),
      openGaps: one('SELECT COUNT(*) AS n FROM gaps WHERE closed_at_ms IS NULL'),
      stations: one('SELECT COUNT(*) AS n FROM stations'),
    };
  }

  async close(): Promise<void> {
    await this.commitThread?.close();
    if (this.db.open) this.db.close();
  }
}

function prepare(db: Database.Database) {
  return {
    insertStation: db.prepare(
      `INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
         pin_pad_serial, token_serial, enrolled_at_ms)
       VALUES (@station_id, @org_code, @key_id, @public_key_pem, @fingerprint, @reader_serial,
         @pin_pad_serial, @token_serial, @enrolled_at_ms)`,
    ),
    getStation: db.prepare('SELECT * FROM stations WHERE station_id = ?'),
    listStations: db.prepare('SELECT * FROM stations ORDER BY station_id'),
    seqsAbove: db.prepare(
      `SELECT seq FROM events WHERE station_id = ? AND seq > ?
       UNION SELECT handled_seq AS seq FROM quarantine WHERE station_id = ? AND handled_seq > ?`,
    ),
    findEvents: db.prepare(
      `SELECT event_id, station_id, seq, envelope_sha256 FROM events
       WHERE event_id IN (${new Array(eventLookupChunkMax).fill('?').join(',')})`,
    ),
    eventsOfStation: db.prepare('SELECT * FROM events WHERE station_id = ? ORDER BY seq'),
    eventsOfDay: db.prepare('SELECT * FROM events WHERE station_id = ? AND business_date = ? ORDER BY seq'),
    insertEvent: db.prepare(
      `INSERT INTO events (event_id, station_id, seq, kind, created_at_ms, business_date, business_type,
         transaction_id, amount_fen, fee_fen, quota_fen_after, detail_json, envelope, envelope_sha256, settle_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertQuarantine: db.prepare(
      `INSERT INTO quarantine (received_at_ms, topic, station_id, reason_code, detail, size_bytes, raw, handled_seq)
       VALUES (@received_at_ms, @topic, @station_id, @reason_code, @detail, @size_bytes, @raw, @handled_seq)`,
    ),
    insertDiscrepancy: db.prepare(
      `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms)
       VALUES (@station_id, @event_id, @code, @expected, @actual, @detail, @found_at_ms)`,
    ),
    insertGap: db.prepare(
      `INSERT INTO gaps (station_id, from_seq, to_seq, found_at_ms)
       VALUES (@station_id, @from_seq, @to_seq, @found_at_ms)`,
    ),
    gapHolding: db.prepare(
      `SELECT * FROM gaps WHERE station_id = ? AND closed_at_ms IS NULL AND from_seq <= ? AND to_seq >= ?`,
    ),
    closeGap: db.prepare('UPDATE gaps SET closed_at_ms = ? WHERE id = ?'),
    updateAcked: db.prepare('UPDATE stations SET acked_seq = ? WHERE station_id = ?'),
    updateStatus: db.prepare(
      `UPDATE stations SET online = @online, offline_reason = @offline_reason,
         last_seen_ms = @last_seen_ms, bd_seq = @bd_seq, peripherals_json = @peripherals_json, outbox_depth = @outbox_depth WHERE station_id = @station_id`,
    ),
    // A request id approved again after its release counts again (WithdrawalTally does the same).
    recordApproval: db.prepare(
      `INSERT INTO withdrawal_approvals (request_id, card_key, station_id, business_date, amount_fen,
         approved_at_ms)
       VALUES (@request_id, @card_key, @station_id, @business_date, @amount_fen, @approved_at_ms)
       ON CONFLICT (request_id) DO UPDATE SET released_at_ms = NULL`,
    ),
    releaseApproval: db.prepare(
      'UPDATE withdrawal_approvals SET released_at_ms = ? WHERE request_id = ? AND released_at_ms IS NULL',
    ),
    openApprovals: db.prepare(
      `SELECT * FROM withdrawal_approvals WHERE business_date >= ? AND released_at_ms IS NULL
       ORDER BY approved_at_ms, request_id`,
    ),
  };
}

/** Add the columns a store file made by an older HQ lacks (schema.ts addedColumns). */
function addMissingColumns(db: Database.Database): void {
  for (const { table, column, sql } of addedColumns) {
    const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(sql);
  }
}

function toOfflineReason(value: unknown): OfflineReason | null {
  if (value === 'death' || value === 'silence') return value;
  if (value === null) return null;
  throw new Error(`stations.offline_reason holds an unknown value: ${String(value)}`);
}

/** A Buffer over the same bytes (better-sqlite3 binds Buffers as BLOBs; no copy). */
/** Where insertEvent takes the envelope among its positional parameters. */
const envelopeParameter = 12;

type SqlValue = string | number | null | Uint8Array;

/**
 * An ingest batch as the SQL parameters it writes, in a form a worker thread can receive cheaply:
 * plain arrays and records of primitives, and every envelope copied once into one buffer (a
 * message's envelope is a view into the MQTT client's 64 KiB read buffer, which a structured
 * clone would copy whole).
 */
export interface EncodedBatch {
  /** insertEvent's parameters per event; the envelope slot is filled at write time. */
  readonly eventRows: SqlValue[][];
  readonly envelopes: Uint8Array;
  /** Per event: offset and length of its envelope in `envelopes`. */
  readonly envelopeOffsets: Uint32Array;
  readonly quarantined: Array<Record<string, SqlValue>>;
  readonly discrepancies: Array<Record<string, SqlValue>>;
  readonly gapsOpened: Array<Record<string, SqlValue>>;
  readonly gapFills: Array<{ readonly stationId: string; readonly seq: number; readonly atMs: number }>;
  readonly ackedSeqs: Array<[string, number]>;
  readonly statuses: Array<Record<string, SqlValue>>;
}

export function encodeIngestBatch(batch: IngestBatch): EncodedBatch {
  let size = 0;
  for (const event of batch.events) size += event.envelope.byteLength;
  const envelopes = new Uint8Array(size);
  const envelopeOffsets = new Uint32Array(2 * batch.events.length);
  const eventRows: SqlValue[][] = new Array(batch.events.length);
  let offset = 0;
  for (let index = 0; index < batch.events.length; index += 1) {
    const event = batch.events[index]!;
    envelopes.set(event.envelope, offset);
    envelopeOffsets[2 * index] = offset;
    envelopeOffsets[2 * index + 1] = event.envelope.byteLength;
    offset += event.envelope.byteLength;
    eventRows[index] = [
      event.eventId,
      event.stationId,
      event.seq,
      event.kind,
      event.createdAtMs,
      event.businessDate,
      event.businessType,
      event.transactionId,
      event.amountFen,
      event.feeFen,
      event.quotaFenAfter,
      JSON.stringify(event.detail),
      null,
      event.envelopeSha256,
      needsSettlement(event) ? 'pending' : null,
    ];
  }
  return {
    eventRows,
    envelopes,
    envelopeOffsets,
    quarantined: batch.quarantined.map((q) => ({
      received_at_ms: q.receivedAtMs,
      topic: q.topic,
      station_id: q.stationId,
      reason_code: q.reasonCode,
      detail: q.detail,
      size_bytes: q.sizeBytes,
      // An exact-size copy (not a view of a larger buffer).
      raw: new Uint8Array(q.raw.subarray(0, quarantineBytesMax)),
      handled_seq: q.handledSeq,
    })),
    discrepancies: batch.discrepancies.map((d) => ({
      station_id: d.stationId,
      event_id: d.eventId,
      code: d.code,
      expected: d.expected,
      actual: d.actual,
      detail: d.detail,
      found_at_ms: d.foundAtMs,
    })),
    gapsOpened: batch.gapsOpened.map((gap) => ({
      station_id: gap.stationId,
      from_seq: gap.fromSeq,
      to_seq: gap.toSeq,
      found_at_ms: gap.foundAtMs,
    })),
    gapFills: batch.gapFills.map((fill) => ({ stationId: fill.stationId, seq: fill.seq, atMs: fill.atMs })),
    ackedSeqs: [...batch.ackedSeqs],
    statuses: batch.statuses.map((st) => ({
      station_id: st.stationId,
      online: st.online ? 1 : 0,
      offline_reason: st.offlineReason,
      last_seen_ms: st.lastSeenMs,
      bd_seq: st.bdSeq,
      peripherals_json: JSON.stringify(st.peripherals),
      outbox_depth: st.outboxDepth,
    })),
  };
}

/** Withdrawal completions the bank must hear about (post or release of the hold). */
export function needsSettlement(event: StationEvent): boolean {
  return (
    event.kind === 'WITHDRAWAL_POSTED' ||
    event.kind === 'WITHDRAWAL_VOIDED' ||
    event.kind === 'WITHDRAWAL_REVERSED'
  );
}

function toStation(row: Row): StationRecord {
  return {
    stationId: String(row.station_id),
    orgCode: String(row.org_code),
    keyId: String(row.key_id),
    publicKeyPem: String(row.public_key_pem),
    fingerprint: String(row.fingerprint),
    readerSerial: String(row.reader_serial),
    pinPadSerial: String(row.pin_pad_serial),
    tokenSerial: String(row.token_serial),
    enrolledAtMs: Number(row.enrolled_at_ms),
  };
}

function toEvent(row: Row): StationEvent {
  return {
    eventId: String(row.event_id),
    stationId: String(row.station_id),
    seq: Number(row.seq),
    kind: String(row.kind) as EventKind,
    createdAtMs: Number(row.created_at_ms),
    businessDate: String(row.business_date),
    businessType: row.business_type === null ? null : (String(row.business_type) as BusinessType),
    transactionId: row.transaction_id === null ? null : String(row.transaction_id),
    amountFen: Number(row.amount_fen),
    feeFen: Number(row.fee_fen),
    quotaFenAfter: row.quota_fen_after === null ? null : Number(row.quota_fen_after),
    detail: JSON.parse(String(row.detail_json)) as Record<string, unknown>,
    envelope: new Uint8Array(row.envelope as Buffer),
    envelopeSha256: String(row.envelope_sha256),
  };
}
