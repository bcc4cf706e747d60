// In-memory fakes of the ports the ingest pipeline uses (store, verifier, bank, publisher), and a
// harness that builds a pipeline on them with a fake clock: pipeline tests without a broker, a
// database or worker threads. The verifier checks real signatures (stations sign with real keys)
// but answers when the test says (in order, reversed, or failing), so arrival-order and round
// behaviour can be driven. The publisher opens every message HQ sends under HQ's public key.

import { openVerifiedEnvelope, PayloadType, parseTopic } from '@bianmin/wire';
import { generateHqKeyPem, hqKeyFromPem, type LoadedHqKey } from '../../src/adapters/crypto/hq-key.js';
import { publicKeyFromSpki, verifyEnvelopeSignature } from '../../src/adapters/crypto/verify-core.js';
import { IngestPipeline, type PipelineDeps } from '../../src/app/ingest-pipeline.js';
import { createLedgerMirror } from '../../src/app/ledger-mirror-factory.js';
import { ProvenanceBook, type WithdrawalGrant } from '../../src/domain/provenance.js';
import type {
  DiscrepancyRecord,
  GapRecord,
  QuarantineRecord,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../../src/domain/types.js';
import type { WithdrawalApprovalRecord } from '../../src/domain/withdrawal-limits.js';
import { defaultCalendarDir, loadCalendarYears } from '../../src/main.js';
import type {
  AuthoriseOutcome,
  AuthoriseRequest,
  BankCore,
  SettleOutcome,
} from '../../src/ports/bank-core.js';
import type {
  IntegrityStore,
  ResumptionRecord,
  StationAlert,
  Suspension,
} from '../../src/ports/integrity-store.js';
import { silentLog } from '../../src/ports/log.js';
import type { Publisher, PublishOptions } from '../../src/ports/publisher.js';
import type { SignatureVerifier, VerdictCallback } from '../../src/ports/signature-verifier.js';
import type {
  ApprovalRecording,
  IngestBatch,
  IngestStore,
  QuotaPurchaseRecord,
  ReconciliationRecord,
  StationSeqState,
  StoredEventRef,
} from '../../src/ports/store.js';
import { FakeClock } from './fake-clock.js';
import { SimStation } from './station-sim.js';

export class FakeStore implements IngestStore {
  readonly stations: StationRecord[] = [];
  readonly events = new Map<string, StationEvent>();
  readonly quarantined: QuarantineRecord[] = [];
  readonly discrepancies: DiscrepancyRecord[] = [];
  readonly gaps: GapRecord[] = [];
  readonly ackedSeqs = new Map<string, number>();
  readonly statuses = new Map<string, StationStatus>();
  readonly settled = new Map<string, string>();
  /** Stored withdrawal completions whose settlement is pending (a test puts them here). */
  readonly pendingSettlementEvents: StationEvent[] = [];
  readonly approvals = new Map<string, WithdrawalApprovalRecord & { releasedAtMs?: number }>();
  readonly reconciliations: ReconciliationRecord[] = [];
  readonly meta = new Map<string, string>();
  /** commitBatch calls, committed or not. */
  commitCalls = 0;
  /** The next commitBatch calls throw these, in order. */
  readonly commitFailures: Error[] = [];
  /** The next findEvents call throws this. */
  findFailure: Error | undefined;

  async listStations(): Promise<StationRecord[]> {
    return [...this.stations];
  }
  async loadSeqStates(): Promise<StationSeqState[]> {
    return [...this.ackedSeqs].map(([stationId, ackedSeq]) => ({
      stationId,
      ackedSeq,
      storedAbove: [...this.events.values()]
        .filter((e) => e.stationId === stationId && e.seq > ackedSeq)
        .map((e) => e.seq),
    }));
  }
  async loadStatuses(): Promise<StationStatus[]> {
    return [...this.statuses.values()];
  }
  async findEvents(eventIds: readonly string[]): Promise<Map<string, StoredEventRef>> {
    const failure = this.findFailure;
    this.findFailure = undefined;
    if (failure !== undefined) throw failure;
    const found = new Map<string, StoredEventRef>();
    for (const id of eventIds) {
      const e = this.events.get(id);
      if (e !== undefined)
        found.set(id, { eventId: id, stationId: e.stationId, seq: e.seq, envelopeSha256: e.envelopeSha256 });
    }
    return found;
  }
  async eventsOfStation(stationId: string): Promise<StationEvent[]> {
    return this.eventsOf(stationId);
  }
  eventsOf(stationId: string): StationEvent[] {
    return [...this.events.values()].filter((e) => e.stationId === stationId).sort((a, b) => a.seq - b.seq);
  }
  async previousClose(stationId: string, beforeSeq: number): Promise<StationEvent | undefined> {
    return this.eventsOf(stationId)
      .filter((e) => e.kind === 'DAILY_CLOSE' && e.seq < beforeSeq)
      .at(-1);
  }
  async commitBatch(batch: IngestBatch): Promise<void> {
    this.commitCalls += 1;
    const failure = this.commitFailures.shift();
    if (failure !== undefined) throw failure;
    for (const e of batch.events) this.events.set(e.eventId, { ...e, envelope: new Uint8Array(e.envelope) });
    this.quarantined.push(...batch.quarantined);
    this.discrepancies.push(...batch.discrepancies);
    this.gaps.push(...batch.gapsOpened);
    for (const [stationId, seq] of batch.ackedSeqs) this.ackedSeqs.set(stationId, seq);
    for (const status of batch.statuses) this.statuses.set(status.stationId, status);
  }
  async pendingSettlements(): Promise<StationEvent[]> {
    return this.pendingSettlementEvents.filter((e) => !this.settled.has(e.eventId));
  }
  async markSettled(eventId: string, outcome: string): Promise<void> {
    this.settled.set(eventId, outcome);
  }
  async recordWithdrawalApproval(
    approval: WithdrawalApprovalRecord,
    cardDayFenMax: number,
  ): Promise<ApprovalRecording> {
    let cardDayFen = 0;
    for (const a of this.approvals.values())
      if (
        a.cardKey === approval.cardKey &&
        a.businessDate === approval.businessDate &&
        a.releasedAtMs === undefined &&
        a.requestId !== approval.requestId
      )
        cardDayFen += a.amountFen;
    if (cardDayFen + approval.amountFen > cardDayFenMax)
      return { recorded: false, code: 'HQ_AUTH_OVER_CARD_DAILY_LIMIT', cardDayFen };
    this.approvals.set(approval.requestId, { ...approval });
    return { recorded: true };
  }
  async releaseWithdrawalApproval(requestId: string, atMs: number): Promise<void> {
    const approval = this.approvals.get(requestId);
    if (approval !== undefined) approval.releasedAtMs = atMs;
  }
  async openWithdrawalApprovals(businessDateMin: string): Promise<WithdrawalApprovalRecord[]> {
    return [...this.approvals.values()].filter(
      (a) => a.releasedAtMs === undefined && a.businessDate >= businessDateMin,
    );
  }
  async saveReconciliation(record: ReconciliationRecord): Promise<void> {
    this.reconciliations.push(record);
  }
  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(key);
  }
  async setMeta(key: string, value: string): Promise<void> {
    this.meta.set(key, value);
  }
  readonly purchases: QuotaPurchaseRecord[] = [];
  async quotaPurchases(stationId: string): Promise<QuotaPurchaseRecord[]> {
    return this.purchases.filter((p) => p.stationId === stationId);
  }
}

/** The IntegrityStore port in memory (grants, suspensions, judgements, quarantine bounds). */
export class FakeIntegrityStore implements IntegrityStore {
  readonly grants = new Map<string, WithdrawalGrant>();
  readonly suspended = new Map<string, Suspension>();
  constructor(readonly store: FakeStore) {}
  async recordGrant(grant: WithdrawalGrant): Promise<void> {
    if (!this.grants.has(grant.requestId)) this.grants.set(grant.requestId, grant);
  }
  async grantsSince(grantedAtMsMin: number): Promise<WithdrawalGrant[]> {
    return [...this.grants.values()].filter((g) => g.grantedAtMs >= grantedAtMsMin);
  }
  async provenanceJudgements(stationId: string, codes: readonly string[]): Promise<Map<string, string[]>> {
    const judged = new Map<string, string[]>();
    for (const d of this.store.discrepancies) {
      if (d.stationId !== stationId || !codes.includes(d.code)) continue;
      judged.set(d.eventId, [...(judged.get(d.eventId) ?? []), d.code]);
    }
    return judged;
  }
  async suspend(suspension: Suspension): Promise<void> {
    if (!this.suspended.has(suspension.stationId)) this.suspended.set(suspension.stationId, suspension);
  }
  async resume(stationId: string): Promise<boolean> {
    return this.suspended.delete(stationId);
  }
  async resumptions(): Promise<ResumptionRecord[]> {
    return [];
  }
  async suspensions(): Promise<Suspension[]> {
    return [...this.suspended.values()];
  }
  async pruneQuarantine(): Promise<number> {
    return 0;
  }
  async quarantineDropped(): Promise<number> {
    return 0;
  }
  async stationAlerts(): Promise<StationAlert[]> {
    return [];
  }
}

interface PendingCheck {
  readonly keyRef: string;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  readonly done: VerdictCallback;
}

/** Checks real signatures; answers at once (auto) or when the test calls answer(). */
export class FakeVerifier implements SignatureVerifier {
  readonly #keys = new Map<string, ReturnType<typeof publicKeyFromSpki>>();
  readonly pending: PendingCheck[] = [];
  auto = true;
  /** The next check fails with this error (a broken worker). */
  failure: Error | undefined;
  checks = 0;

  addKey(keyRef: string, spkiDer: Uint8Array): number {
    this.#keys.set(keyRef, publicKeyFromSpki(spkiDer));
    return this.#keys.size;
  }
  async verify(keyRef: string, signed: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const key = this.#keys.get(keyRef);
    return key !== undefined && verifyEnvelopeSignature(key, signed, signature);
  }
  submit(keyRef: string, signed: Uint8Array, signature: Uint8Array, done: VerdictCallback): void {
    this.checks += 1;
    this.pending.push({ keyRef, signed, signature, done });
    if (this.auto) setImmediate(() => this.answerAll());
  }
  /** Answer the pending check at `index` (0: the oldest). */
  answer(index: number): void {
    const [check] = this.pending.splice(index, 1);
    if (check === undefined) throw new Error(`no pending check ${index}`);
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) {
      check.done(false, failure);
      return;
    }
    const key = this.#keys.get(check.keyRef);
    check.done(key !== undefined && verifyEnvelopeSignature(key, check.signed, check.signature), undefined);
  }
  answerAll(order: 'arrival' | 'reversed' = 'arrival'): void {
    while (this.pending.length > 0) this.answer(order === 'arrival' ? 0 : this.pending.length - 1);
  }
  async close(): Promise<void> {}
}

export class FakeBank implements BankCore {
  readonly requests: AuthoriseRequest[] = [];
  readonly posted: string[] = [];
  readonly released: string[] = [];
  decline: AuthoriseOutcome | undefined;
  async authorise(request: AuthoriseRequest): Promise<AuthoriseOutcome> {
    this.requests.push(request);
    return (
      this.decline ?? {
        approved: true,
        bankReference: `BR-${request.requestId}`,
        responseCode: '00',
        amountFen: request.amountFen,
        feeFen: request.feeFen,
      }
    );
  }
  async post(requestId: string): Promise<SettleOutcome> {
    this.posted.push(requestId);
    return 'done';
  }
  async release(requestId: string): Promise<SettleOutcome> {
    this.released.push(requestId);
    return 'done';
  }
}

export interface Sent {
  readonly stationId: string;
  readonly channel: string;
  readonly type: number;
  readonly body: Record<string, unknown>;
  readonly options: PublishOptions;
}

/** Records every publish, opened under HQ's public key. */
export class FakePublisher implements Publisher {
  readonly sent: Sent[] = [];
  readonly #hqPublicKeyPem: string;
  /** Make every publish reject (a broker that is down). */
  failing = false;

  constructor(hqPublicKeyPem: string) {
    this.#hqPublicKeyPem = hqPublicKeyPem;
  }
  async publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void> {
    if (this.failing) throw new Error('broker down (test)');
    const parsed = parseTopic(topic);
    const opened = openVerifiedEnvelope(payload, () => this.#hqPublicKeyPem);
    this.sent.push({
      stationId: parsed.stationId,
      channel: parsed.channel,
      type: opened.type,
      body: opened.body as unknown as Record<string, unknown>,
      options,
    });
  }
  acks(
    stationId: string,
  ): Array<{ handledThroughSeq: number; highestSeqReceived: number; refusals: unknown[] }> {
    return this.sent
      .filter((s) => s.stationId === stationId && s.type === PayloadType.PAYLOAD_TYPE_ACK)
      .map((s) => s.body as { handledThroughSeq: number; highestSeqReceived: number; refusals: unknown[] });
  }
  resends(stationId: string): number[] {
    return this.sent
      .filter((s) => s.stationId === stationId && s.type === PayloadType.PAYLOAD_TYPE_COMMAND)
      .map((s) => Number((s.body as { resendFrom?: { fromSeq?: number } }).resendFrom?.fromSeq ?? 0));
  }
}

export interface Harness {
  readonly pipeline: IngestPipeline;
  readonly clock: FakeClock;
  readonly store: FakeStore;
  readonly integrity: FakeIntegrityStore;
  readonly verifier: FakeVerifier;
  readonly bank: FakeBank;
  readonly publisher: FakePublisher;
  readonly hqKey: LoadedHqKey;
  readonly stations: SimStation[];
  /** A new pipeline over the same store (an HQ restart). */
  restart(): Promise<IngestPipeline>;
}

export function stationRecordOf(station: SimStation, enrolledAtMs: number): StationRecord {
  return {
    stationId: station.stationId,
    orgCode: station.orgCode,
    keyId: station.keyId,
    publicKeyPem: station.publicKeyPem,
    fingerprint: station.keyId,
    readerSerial: `CR-${station.stationId}`,
    pinPadSerial: `PP-${station.stationId}`,
    tokenSerial: `TK-${station.stationId}`,
    enrolledAtMs,
  };
}

const calendarYears = loadCalendarYears(defaultCalendarDir);

/** A started pipeline on fakes with `stationIds` enrolled. */
export async function startHarness(
  stationIds: readonly string[],
  options: Partial<
    Pick<
      PipelineDeps,
      'withdrawalFeeFen' | 'verifyEverySignature' | 'withdrawalLimits' | 'stationBounds' | 'authRateLimit'
    >
  > = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const store = new FakeStore();
  const integrity = new FakeIntegrityStore(store);
  const verifier = new FakeVerifier();
  const bank = new FakeBank();
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const hqKey = hqKeyFromPem(privateKeyPem);
  const publisher = new FakePublisher(publicKeyPem);
  const stations = stationIds.map((id) => new SimStation(id));
  for (const station of stations) store.stations.push(stationRecordOf(station, clock.nowMs()));
  const make = async (): Promise<IngestPipeline> => {
    const pipeline = new IngestPipeline({
      store,
      verifier,
      bank,
      publisher,
      clock,
      hqKey,
      ledger: createLedgerMirror(calendarYears),
      log: silentLog,
      integrity,
      provenance: new ProvenanceBook(),
      ...options,
    });
    await pipeline.start();
    return pipeline;
  };
  const harness: Harness & { pipeline: IngestPipeline } = {
    pipeline: await make(),
    clock,
    store,
    integrity,
    verifier,
    bank,
    publisher,
    hqKey,
    stations,
    async restart() {
      harness.pipeline = await make();
      return harness.pipeline;
    },
  };
  return harness;
}
