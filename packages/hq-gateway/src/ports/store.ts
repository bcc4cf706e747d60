// The Store port: everything HQ keeps. SQLite (better-sqlite3, WAL, synchronous=FULL; the embedded
// default) and PostgreSQL (production, several HQ processes on one database) implement it; every
// method is async and batch-shaped (one round trip per ingest batch, not per event). One contract
// suite (test/store-contract/) runs against both.

import type {
  DiscrepancyRecord,
  GapRecord,
  QuarantineRecord,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../domain/types.js';
import type { WithdrawalApprovalRecord } from '../domain/withdrawal-limits.js';
import type { StationAlert } from './integrity-store.js';

/** recordWithdrawalApproval's answer: recorded, or refused because the card's day is full (R5). */
export type ApprovalRecording =
  | { readonly recorded: true }
  | { readonly recorded: false; readonly code: 'HQ_AUTH_OVER_CARD_DAILY_LIMIT'; readonly cardDayFen: number };

export interface StoredEventRef {
  readonly eventId: string;
  readonly stationId: string;
  readonly seq: number;
  readonly envelopeSha256: string;
}

/** The station's sequence state at start-up. */
export interface StationSeqState {
  readonly stationId: string;
  readonly ackedSeq: number;
  /** Stored seqs above ackedSeq (out-of-order arrivals not yet contiguous). */
  readonly storedAbove: readonly number[];
}

/** What one ingest batch writes, in one transaction. */
export interface IngestBatch {
  readonly events: readonly StationEvent[];
  readonly quarantined: readonly QuarantineRecord[];
  readonly discrepancies: readonly DiscrepancyRecord[];
  readonly gapsOpened: readonly GapRecord[];
  /** Seqs that filled part of an open gap: the store narrows or closes those gaps. */
  readonly gapFills: ReadonlyArray<{
    readonly stationId: string;
    readonly seq: number;
    readonly atMs: number;
  }>;
  /** New cumulative ack point per station. */
  readonly ackedSeqs: ReadonlyMap<string, number>;
  readonly statuses: readonly StationStatus[];
}

export interface QuotaPurchaseRecord {
  readonly purchaseId: string;
  readonly stationId: string;
  readonly amountFen: number;
  readonly quotaFenAfter: number;
  readonly recordedAtMs: number;
}

export interface ConfigRecord {
  readonly stationId: string;
  readonly version: number;
  readonly issuedAtMs: number;
  /** The signed envelope as published. */
  readonly envelope: Uint8Array;
  readonly summary: Readonly<Record<string, unknown>>;
}

export interface ReconciliationRecord {
  readonly stationId: string;
  readonly businessDate: string;
  readonly closeEventId: string;
  readonly reconciledAtMs: number;
  readonly differences: ReadonlyArray<{ readonly code: string; readonly detail: string }>;
}

export interface StoreCounts {
  readonly events: number;
  readonly quarantinedByReason: Readonly<Record<string, number>>;
  readonly discrepancies: number;
  readonly openGaps: number;
  readonly stations: number;
}

export interface DailyTotals {
  readonly stationId: string;
  readonly businessDate: string;
  readonly rows: ReadonlyArray<{
    readonly kind: string;
    readonly count: number;
    readonly amountFen: number;
    readonly feeFen: number;
  }>;
}

/** What the ingest pipeline needs: load state at start, look ids up, commit batches, settle. */
export interface IngestStore {
  listStations(): Promise<StationRecord[]>;
  loadSeqStates(): Promise<StationSeqState[]>;
  loadStatuses(): Promise<StationStatus[]>;
  /** The stored events among these ids. */
  findEvents(eventIds: readonly string[]): Promise<Map<string, StoredEventRef>>;
  /** All events of a station in seq order (HQ rebuilds its ledger mirror from them at start-up). */
  eventsOfStation(stationId: string): Promise<StationEvent[]>;
  /** The station's latest stored daily close before `beforeSeq` (the R7 hash chain). */
  previousClose(stationId: string, beforeSeq: number): Promise<StationEvent | undefined>;
  /**
   * One transaction. Idempotent: an event whose id or (station id, seq) is already stored is not
   * stored again (a replayed batch, or the same event committed by another HQ process), and an ack
   * point never moves back (the stored one is the highest committed).
   */
  commitBatch(batch: IngestBatch): Promise<void>;
  /** Stored withdrawal completions whose bank settlement is not yet confirmed (re-driven at start). */
  pendingSettlements(): Promise<StationEvent[]>;
  markSettled(eventId: string, outcome: string): Promise<void>;
  /**
   * A withdrawal HQ approved against its R5 tally, durable before the bank is asked. Idempotent by
   * request id; recording a released request id again makes it count again (as the tally does).
   * R5 across HQ processes: recorded only if the card's open approvals of its business day in the
   * store (every gateway's, not only this process's tally) plus this one stay within
   * cardDayFenMax, decided in one transaction under the card's lock; otherwise nothing is written
   * and the answer carries the card's stored day total.
   */
  recordWithdrawalApproval(
    approval: WithdrawalApprovalRecord,
    cardDayFenMax: number,
  ): Promise<ApprovalRecording>;
  /** The approval no longer counts (bank decline, void, reversal); unknown or released ids: no-op. */
  releaseWithdrawalApproval(requestId: string, atMs: number): Promise<void>;
  /** Approvals not released with businessDate >= businessDateMin (YYYY-MM-DD), oldest first. */
  openWithdrawalApprovals(businessDateMin: string): Promise<WithdrawalApprovalRecord[]>;
  saveReconciliation(record: ReconciliationRecord): Promise<void>;
  /** A small named value HQ keeps across runs (e.g. the card-key fingerprint); undefined if unset. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** The station's recorded quota purchases (R3 provenance; `hq quota purchase` may run in another process). */
  quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]>;
}

/** What HQ's operations (enrolment, quota purchases, configs) need. */
export interface StationStore {
  enrolStation(station: StationRecord): Promise<'enrolled' | 'unchanged'>;
  getStation(stationId: string): Promise<StationRecord | undefined>;
  listStations(): Promise<StationRecord[]>;
  recordQuotaPurchase(purchase: QuotaPurchaseRecord): Promise<void>;
  quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]>;
  saveConfig(config: ConfigRecord): Promise<void>;
  latestConfig(stationId: string): Promise<ConfigRecord | undefined>;
}

/** What reports and `hq status` read (never written through). */
export interface ReportStore {
  listStations(): Promise<StationRecord[]>;
  loadStatuses(): Promise<StationStatus[]>;
  eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]>;
  reconciliations(businessDate: string): Promise<ReconciliationRecord[]>;
  quarantine(limit: number): Promise<QuarantineRecord[]>;
  discrepancies(limit: number): Promise<DiscrepancyRecord[]>;
  openGaps(limit: number): Promise<GapRecord[]>;
  dailyTotals(businessDate: string): Promise<DailyTotals[]>;
  counts(): Promise<StoreCounts>;
  /** Per station: suspension and discrepancies (count, newest code and why) for `hq status` (issue 8). */
  stationAlerts(): Promise<StationAlert[]>;
}

/** Everything HQ keeps: one adapter (SQLite today, PostgreSQL next) implements all three. */
export interface Store extends IngestStore, StationStore, ReportStore {
  close(): Promise<void>;
}
