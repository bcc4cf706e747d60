// The Store port on SQLite through better-sqlite3 12: WAL journal, synchronous=FULL (a committed
// batch survives power loss; TOOLCHAIN.md: ~3.8k single-row commits/s, ~263k rows/s in batches
// of 1000, hence the ingest pipeline commits in batches). Idempotent by construction: events are
// keyed by event id and (station id, seq) is unique, so a batch replayed after a crash cannot
// double anything. The parts: connection.ts (open + schema), statements.ts (prepared once),
// batch-encoding.ts + batch-writer.ts (ingest commits, inline or on commit-thread.ts),
// report-queries.ts (the ReportStore reads), rows.ts (row mapping).
import type Database from 'better-sqlite3';
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
import { eventLookupChunkMax } from '../../limits.js';
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
import { encodeIngestBatch } from './batch-encoding.js';
import { BatchWriter } from './batch-writer.js';
import { CommitThread } from './commit-thread.js';
import { openDatabase } from './connection.js';
import { SqliteIntegrityStore } from './integrity-store.js';
import { SqliteReportQueries } from './report-queries.js';
import { type Row, toEvent, toStation, toStatus } from './rows.js';
import { storeStatements } from './statements.js';

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
  readonly #s: ReturnType<typeof storeStatements>;
  readonly #reports: SqliteReportQueries;
  /** Inline commits (no commit thread). */
  readonly #writer: BatchWriter | undefined;
  /** The ingest commit thread when `commitOnThread` (undefined: commits run inline). */
  readonly commitThread: CommitThread | undefined;

  constructor(options: SqliteStoreOptions) {
    this.db = openDatabase(options.path);
    this.#s = storeStatements(this.db);
    this.#reports = new SqliteReportQueries(this.db);
    if (options.commitOnThread === true) {
      if (options.path === ':memory:') throw new Error('commitOnThread needs a database file');
      this.commitThread = new CommitThread(options.path);
    } else {
      this.#writer = new BatchWriter(this.db);
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
    this.#s.insertStation.run({
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
    const row = this.#s.getStation.get(stationId) as Row | undefined;
    return row === undefined ? undefined : toStation(row);
  }

  async listStations(): Promise<StationRecord[]> {
    return (this.#s.listStations.all() as Row[]).map(toStation);
  }

  async loadSeqStates(): Promise<StationSeqState[]> {
    const states: StationSeqState[] = [];
    for (const row of this.#s.ackedSeqs.all() as Row[]) {
      const stationId = String(row.station_id);
      const ackedSeq = Number(row.acked_seq);
      const above = this.#s.seqsAbove.all(stationId, ackedSeq, stationId, ackedSeq) as Row[];
      states.push({ stationId, ackedSeq, storedAbove: above.map((r) => Number(r.seq)) });
    }
    return states;
  }

  async loadStatuses(): Promise<StationStatus[]> {
    return (this.#s.statuses.all() as Row[]).map(toStatus);
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
      for (const row of storeCall('look event ids up', () => this.#s.findEvents.all(chunk)) as Row[]) {
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
    return (this.#s.eventsOfStation.all(stationId) as Row[]).map(toEvent);
  }

  async previousClose(stationId: string, beforeSeq: number): Promise<StationEvent | undefined> {
    const row = storeCall('read the previous daily close', () =>
      this.#s.previousClose.get(stationId, beforeSeq),
    ) as Row | undefined;
    return row === undefined ? undefined : toEvent(row);
  }

  async commitBatch(batch: IngestBatch): Promise<void> {
    const encoded = encodeIngestBatch(batch);
    if (this.commitThread !== undefined) {
      await this.commitThread.commit(encoded);
      return;
    }
    this.#writer!.write(encoded);
  }

  async pendingSettlements(): Promise<StationEvent[]> {
    return (this.#s.pendingSettlements.all() as Row[]).map(toEvent);
  }

  async markSettled(eventId: string, outcome: string): Promise<void> {
    storeCall('mark a settlement done', () => this.#s.markSettled.run(outcome, eventId));
  }

  async recordQuotaPurchase(purchase: QuotaPurchaseRecord): Promise<void> {
    this.#s.insertQuotaPurchase.run(
      purchase.purchaseId,
      purchase.stationId,
      purchase.amountFen,
      purchase.quotaFenAfter,
      purchase.recordedAtMs,
    );
  }

  async quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]> {
    const rows = this.#s.quotaPurchases.all(stationId) as Row[];
    return rows.map((row) => ({
      purchaseId: String(row.purchase_id),
      stationId: String(row.station_id),
      amountFen: Number(row.amount_fen),
      quotaFenAfter: Number(row.quota_fen_after),
      recordedAtMs: Number(row.recorded_at_ms),
    }));
  }

  async saveConfig(config: ConfigRecord): Promise<void> {
    this.#s.insertConfig.run(
      config.stationId,
      config.version,
      config.issuedAtMs,
      Buffer.from(config.envelope),
      JSON.stringify(config.summary),
    );
  }

  async latestConfig(stationId: string): Promise<ConfigRecord | undefined> {
    const row = this.#s.latestConfig.get(stationId) as Row | undefined;
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
      // One immediate transaction: another process on the file waits, so the sum and the insert
      // see the same card day.
      const record = this.db.transaction((): ApprovalRecording => {
        const row = this.#s.cardDayApprovedFen.get(
          approval.cardKey,
          approval.businessDate,
          approval.requestId,
        ) as {
          fen: number;
        };
        const cardDayFen = Number(row.fen);
        if (cardDayFen + approval.amountFen > cardDayFenMax)
          return { recorded: false, code: 'HQ_AUTH_OVER_CARD_DAILY_LIMIT', cardDayFen };
        this.#s.recordApproval.run({
          request_id: approval.requestId,
          card_key: approval.cardKey,
          station_id: approval.stationId,
          business_date: approval.businessDate,
          amount_fen: approval.amountFen,
          approved_at_ms: approval.approvedAtMs,
        });
        return { recorded: true };
      });
      return record.immediate();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'a withdrawal approval could not be recorded', {
        cause: error,
        details: { requestId: approval.requestId, stationId: approval.stationId },
      });
    }
  }

  async releaseWithdrawalApproval(requestId: string, atMs: number): Promise<void> {
    try {
      this.#s.releaseApproval.run(atMs, requestId);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'a withdrawal release could not be recorded', {
        cause: error,
        details: { requestId },
      });
    }
  }

  async openWithdrawalApprovals(businessDateMin: string): Promise<WithdrawalApprovalRecord[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDateMin)) throw new Error('businessDateMin must be YYYY-MM-DD');
    const rows = this.#s.openApprovals.all(businessDateMin) as Row[];
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
      const info = this.#s.insertReconciliation.run(
        record.stationId,
        record.businessDate,
        record.closeEventId,
        record.reconciledAtMs,
        record.differences.length,
      );
      for (const d of record.differences)
        this.#s.insertReconciliationDifference.run(info.lastInsertRowid, d.code, d.detail);
    });
    storeCall('save a reconciliation', () => insert.immediate());
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.#s.getMeta.get(key) as Row | undefined;
    return row === undefined ? undefined : String(row.value);
  }

  async setMeta(key: string, value: string): Promise<void> {
    storeCall('write a meta value', () => this.#s.setMeta.run(key, value));
  }

  // The ReportStore reads (report-queries.ts).
  async eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]> {
    return this.#reports.eventsOfDay(stationId, businessDate);
  }
  async reconciliations(businessDate: string): Promise<ReconciliationRecord[]> {
    return this.#reports.reconciliations(businessDate);
  }
  async quarantine(limit: number): Promise<QuarantineRecord[]> {
    return this.#reports.quarantine(limit);
  }
  async discrepancies(limit: number): Promise<DiscrepancyRecord[]> {
    return this.#reports.discrepancies(limit);
  }
  async openGaps(limit: number): Promise<GapRecord[]> {
    return this.#reports.openGaps(limit);
  }
  async dailyTotals(businessDate: string): Promise<DailyTotals[]> {
    return this.#reports.dailyTotals(businessDate);
  }
  async counts(): Promise<StoreCounts> {
    return this.#reports.counts();
  }
  async stationAlerts(): Promise<StationAlert[]> {
    return new SqliteIntegrityStore(this.db).stationAlerts();
  }

  async close(): Promise<void> {
    await this.commitThread?.close();
    if (this.db.open) this.db.close();
  }
}

/** Run one SQLite call; a failure becomes HQ_STORE_FAILED naming what was being done. */
function storeCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof HqError) throw error;
    throw new HqError('HQ_STORE_FAILED', `the HQ store could not ${what}`, { cause: error });
  }
}
