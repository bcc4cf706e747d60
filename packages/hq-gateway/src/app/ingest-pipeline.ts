// The HQ ingest pipeline: every message from a station's up-topics goes through
//   topic check -> envelope decode -> signature check (worker pool, in parallel) -> in-order
//   processing (header and topic checks, replay checks, ledger re-check, status) -> batched
//   commit -> cumulative ack.
// Messages are processed in arrival order even though their signatures are verified in parallel,
// so a station's events meet the sequence tracker and the ledger in the order they were sent.
// A batch commits at batchRowsMax rows or batchDelayMsMax after its first row; acks go out only
// after the commit, so an ack never covers an event HQ could still lose. A station's acks are
// coalesced over ackDelayMsMax (cumulative: the newest ack point wins, refusals are concatenated),
// so under load a station gets one signed ack per interval rather than one per batch. Refused messages are
// quarantined with their raw bytes and reason code, counted, and the gateway keeps running.
import { EventEmitter } from 'node:events';
import {
  WITHDRAWAL_FEE_FEN_STANDARD,
  WITHDRAWAL_LIMITS_DEFAULT,
  type WithdrawalLimits,
} from '@bianmin/core-ledger';
import {
  channelPublishOptions,
  type DownChannel,
  decodeSignedHeader,
  downTopic,
  type EnvelopeParts,
  type KnownPayloadType,
  type OpenedEnvelope,
  type ParsedTopic,
  type PayloadInput,
  PayloadType,
  parseTopic,
} from '@bianmin/wire';
import {
  CodecFailure,
  decodeAuthRequest,
  decodeStatus,
  describe,
  type EnvelopeLink,
  envelopeLink,
  type HqKey,
  openChecked,
  openParts,
  sealHq,
  shanghaiDate,
  toStationEvent,
} from '../adapters/wire/codec.js';
import { EventIdFilter } from '../domain/event-id-filter.js';
import { checkCloseSeal, type KioskClose, type LedgerMirror } from '../domain/ledger-mirror.js';
import { SeqTracker } from '../domain/seq-tracker.js';
import { applyStatus, initialStatus, type StatusInput } from '../domain/station-status.js';
import type {
  DiscrepancyRecord,
  GapRecord,
  QuarantineRecord,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../domain/types.js';
import { planChains } from '../domain/verify-plan.js';
import { declineReasonOfLimit, WithdrawalTally } from '../domain/withdrawal-limits.js';
import type { HqCode } from '../errors.js';
import {
  ackDelayMsMax,
  batchDelayMsMax,
  batchRowsMax,
  ingestQueueMax,
  mirrorPendingMax,
  stationSilenceMsMaxDefault,
  stationSilenceSweepMs,
  verifyRunLengthMax,
  withdrawalTallyRestoreMsBack,
} from '../limits.js';
import type { BankCore, BankDeclineCode } from '../ports/bank-core.js';
import type { Clock } from '../ports/clock.js';
import type { Log } from '../ports/log.js';
import type { Publisher } from '../ports/publisher.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';
import type { Store, StoredEventRef } from '../ports/store.js';
import { CardKeySecret, cardKeyOf } from './card-key.js';
import { classifyRepeat } from './repeats.js';

export interface PipelineDeps {
  readonly store: Store;
  readonly verifier: SignatureVerifier;
  readonly bank: BankCore;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly hqKey: HqKey;
  readonly ledger: LedgerMirror;
  readonly log: Log;
  /** The withdrawal fee the schedule in force sets (R5); default 100 fen. */
  readonly withdrawalFeeFen?: number;
  /**
   * Check every event's own signature instead of one per run of hash-linked events
   * (domain/verify-plan.ts). Default false: a run is checked at its newest signature.
   */
  readonly verifyEverySignature?: boolean;
  /** R5 limits checked before the bank: the station config's (main.ts); default core-ledger's. */
  readonly withdrawalLimits?: WithdrawalLimits;
  /** Nothing heard from an online station for longer than this (ms) → offline, 'silence'. */
  readonly stationSilenceMsMax?: number;
  /** Keys the per-card tally key (HMAC); default derived from hqKey (docs/decisions/hq-card-key-hmac.md). */
  readonly cardKeySecret?: CardKeySecret;
}

export interface PipelineCounters {
  received: number;
  stored: number;
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  duplicates: number;
  discrepancies: number;
  gaps: number;
  acksSent: number;
  authRequests: number;
  authApproved: number;
  authDeclined: number;
  staleDeaths: number;
  batches: number;
  settlements: number;
  /** Batches that did not commit (or were sealed behind one that did not): dropped, resend asked. */
  batchesDropped: number;
  /** ECDSA checks asked of the verifier. */
  signatureChecks: number;
  /** Events authenticated through a later event's signature and the hash links (not their own). */
  authenticatedByLink: number;
}

interface Refusal {
  readonly seq: number;
  readonly eventId: string;
  readonly reason: number;
  readonly code: string;
  readonly detail: string;
}

interface AckDue {
  handledThroughSeq: number;
  highestSeqReceived: number;
  refusals: Refusal[];
}

interface StationState {
  readonly record: StationRecord;
  readonly keyRef: string;
  readonly tracker: SeqTracker;
  status: StationStatus;
  refusals: Refusal[];
  /** The newest stored event: its seq and envelope SHA-256 (hex), for the chain-link check. */
  chainTip: { seq: number; sha256Hex: string } | null;
  /** The next seq the ledger mirror takes: it re-checks a station's events in seq order. */
  mirrorNextSeq: number;
  /** Handled seqs beyond a gap, waiting for the mirror: the event, or null for a refused seq. */
  readonly mirrorPending: Map<number, StationEvent | null>;
}

interface Item {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly receivedAtMs: number;
  readonly parsed: ParsedTopic | null;
  readonly station: StationState | null;
  readonly parts: EnvelopeParts | null;
  failure: { code: HqCode; detail: string } | null;
  /** undefined while the signature check runs. */
  verdict: boolean | undefined;
  opened: OpenedEnvelope | null;
  /** Journaled events: the envelope hash and the (unverified) link to the one before. */
  readonly link: EnvelopeLink | null;
}

class Batch {
  readonly events: StationEvent[] = [];
  readonly quarantined: QuarantineRecord[] = [];
  readonly discrepancies: DiscrepancyRecord[] = [];
  readonly gapsOpened: GapRecord[] = [];
  readonly gapFills: Array<{ stationId: string; seq: number; atMs: number }> = [];
  readonly statuses = new Map<string, StationStatus>();
  /** Stations to (re-)acknowledge after the commit. */
  readonly touched = new Set<string>();
  readonly resendFrom = new Map<string, number>();
  readonly closes: StationEvent[] = [];
  readonly settlements: StationEvent[] = [];
  /** Filled when the batch is sealed: what each touched station's ack will say. */
  acks = new Map<string, AckDue>();
  /** The pipeline's commit-failure count when sealed: a failure since then drops this batch. */
  failuresAtSeal = 0;

  get rowCount(): number {
    return this.events.length + this.quarantined.length + this.statuses.size;
  }

  get empty(): boolean {
    return this.rowCount === 0 && this.touched.size === 0;
  }
}

const R = {
  malformed: 1,
  badSignature: 2,
  unknownKey: 3,
  stationMismatch: 4,
  conflict: 5,
  unsupportedVersion: 7,
} as const;

function refusalReason(code: HqCode): number {
  switch (code) {
    case 'HQ_SIGNATURE_INVALID':
      return R.badSignature;
    case 'HQ_KEY_UNKNOWN':
      return R.unknownKey;
    case 'HQ_STATION_MISMATCH':
      return R.stationMismatch;
    case 'HQ_REPLAY_SEQ':
    case 'HQ_REPLAY_EVENT_ID':
      return R.conflict;
    case 'HQ_VERSION_UNSUPPORTED':
      return R.unsupportedVersion;
    default:
      return R.malformed;
  }
}

const declineReasonByCode: Record<BankDeclineCode, number> = {
  HQ_BANK_PIN_WRONG: 1,
  HQ_BANK_INSUFFICIENT_FUNDS: 3,
  HQ_BANK_DAILY_LIMIT: 4,
  HQ_BANK_ACCOUNT_UNKNOWN: 7,
  HQ_BANK_PIN_BLOCK_INVALID: 10,
  HQ_BANK_AMOUNT_INVALID: 10,
};

export class IngestPipeline extends EventEmitter {
  readonly counters: PipelineCounters = {
    received: 0,
    stored: 0,
    quarantined: 0,
    quarantinedByReason: {},
    duplicates: 0,
    discrepancies: 0,
    gaps: 0,
    acksSent: 0,
    authRequests: 0,
    authApproved: 0,
    authDeclined: 0,
    staleDeaths: 0,
    batches: 0,
    settlements: 0,
    batchesDropped: 0,
    signatureChecks: 0,
    authenticatedByLink: 0,
  };
  readonly #deps: PipelineDeps;
  readonly #log: Log;
  readonly #stations = new Map<string, StationState>();
  #queue: Item[] = [];
  #pumping = false;
  #batch = new Batch();
  #batchTimer: NodeJS.Timeout | undefined;
  #commitChain: Promise<void> = Promise.resolve();
  #commitsInFlight = 0;
  #commitFailures = 0;
  /** Event ids accepted into a batch that is not yet committed -> their envelope SHA-256. */
  readonly #inflightEventIds = new Map<string, string>();
  /** Every stored event id (Bloom filter): the store is asked only about ids it may hold. */
  readonly #storedEventIds = new EventIdFilter();
  #roomWaiters: Array<() => void> = [];
  /** Messages waiting for their signature check to be planned (#plan). */
  #unplanned: Item[] = [];
  #planScheduled = false;
  /** Checks of planned runs (#plan) submitted and not yet answered: the next round waits for 0. */
  #plannedInFlight = 0;
  #fatal: Error | undefined;
  #closed = false;
  #asyncWork = new Set<Promise<unknown>>();
  /** Committed acks not yet published, per station (coalesced over ackDelayMsMax). */
  #acksDue = new Map<string, AckDue>();
  #ackTimer: NodeJS.Timeout | undefined;
  readonly #withdrawalFeeFen: number;
  readonly #withdrawalLimits: WithdrawalLimits;
  /** Withdrawals HQ approved, per card and station day (R5 limits before the bank). */
  readonly #tally = new WithdrawalTally();
  readonly #stationSilenceMsMax: number;
  readonly #cardKeySecret: CardKeySecret;
  #silenceTimer: NodeJS.Timeout | undefined;

  constructor(deps: PipelineDeps) {
    super();
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'ingest' });
    this.#withdrawalFeeFen = deps.withdrawalFeeFen ?? WITHDRAWAL_FEE_FEN_STANDARD;
    this.#withdrawalLimits = deps.withdrawalLimits ?? WITHDRAWAL_LIMITS_DEFAULT;
    this.#stationSilenceMsMax = deps.stationSilenceMsMax ?? stationSilenceMsMaxDefault;
    this.#cardKeySecret = deps.cardKeySecret ?? CardKeySecret.fromHqPrivateKey(deps.hqKey.privateKey);
  }

  /** Load enrolled stations, their sequence state and status, and rebuild the ledger mirror. */
  async start(): Promise<void> {
    const { store } = this.#deps;
    const seqStates = new Map((await store.loadSeqStates()).map((s) => [s.stationId, s]));
    const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
    for (const record of await store.listStations()) {
      const seq = seqStates.get(record.stationId);
      this.#addStation(record, seq?.ackedSeq ?? 0, seq?.storedAbove ?? [], statuses.get(record.stationId));
      const station = this.#stations.get(record.stationId)!;
      // The mirror re-checks in seq order: the contiguous prefix now, what lies beyond a gap once
      // the gap is filled (refused seqs beyond it are placeholders).
      const above = new Set(seq?.storedAbove ?? []);
      for (const event of await store.eventsOfStation(record.stationId)) {
        if (event.seq < station.mirrorNextSeq) this.#deps.ledger.apply(event);
        else station.mirrorPending.set(event.seq, mirrorCopy(event));
        above.delete(event.seq);
        this.#storedEventIds.add(event.eventId);
        if (station.chainTip === null || event.seq > station.chainTip.seq)
          station.chainTip = { seq: event.seq, sha256Hex: event.envelopeSha256 };
      }
      for (const refused of above)
        if (refused >= station.mirrorNextSeq) station.mirrorPending.set(refused, null);
    }
    // The R5 tally of the current business day(s), before the settlements re-driven below: a
    // release they make must find its approval.
    const tallyDateMin = shanghaiDate(this.#deps.clock.nowMs() - withdrawalTallyRestoreMsBack);
    const restored = this.#tally.restore(await store.openWithdrawalApprovals(tallyDateMin));
    // The restored approvals are keyed with the card-key secret of the run that made them: if the
    // secret changed, today's per-card tally cannot match them (the per-station tally still does).
    const fingerprint = this.#cardKeySecret.fingerprint();
    const storedFingerprint = await store.getMeta(cardKeyFingerprintMeta);
    if (storedFingerprint !== undefined && storedFingerprint !== fingerprint) {
      this.#log.warn(
        { code: 'HQ_CARD_KEY_CHANGED', withdrawalApprovalsRestored: restored },
        "the card-key secret changed since the last run: today's per-card withdrawal tally starts again",
      );
    }
    if (storedFingerprint !== fingerprint) await store.setMeta(cardKeyFingerprintMeta, fingerprint);
    for (const event of await store.pendingSettlements()) this.#settle(event);
    this.#log.info(
      { stations: this.#stations.size, withdrawalApprovalsRestored: restored },
      'ingest pipeline started',
    );
  }

  /** Run sweepSilence every stationSilenceSweepMs until close() (main.ts, once HQ is connected). */
  startSilenceSweep(): void {
    if (this.#silenceTimer !== undefined || this.#closed) return;
    this.#silenceTimer = setInterval(() => this.sweepSilence(), stationSilenceSweepMs);
    this.#silenceTimer.unref();
  }

  /**
   * Mark offline (reason 'silence') every online station not heard from for longer than the
   * silence window, on the Clock's time; stored through the batch's status rows. Returns the
   * stations it silenced (tests call it directly with a fake clock).
   */
  sweepSilence(): string[] {
    if (this.#closed || this.#fatal !== undefined) return [];
    const atMs = this.#deps.clock.nowMs();
    const silenced: string[] = [];
    for (const station of this.#stations.values()) {
      const input = { kind: 'silence', atMs, silenceMsMax: this.#stationSilenceMsMax } as const;
      const { status, outcome } = applyStatus(station.status, input);
      if (outcome !== 'silenced') continue;
      const stationId = station.record.stationId;
      station.status = status;
      this.#batch.statuses.set(stationId, status);
      silenced.push(stationId);
      const silentMs = atMs - status.lastSeenMs;
      this.#log.warn(
        { code: 'HQ_STATION_SILENT', stationId, lastSeenMs: status.lastSeenMs, silentMs },
        'silent',
      );
      this.emit('status', stationId, 'silence');
    }
    if (silenced.length > 0) this.#scheduleCommit();
    return silenced;
  }

  /** Bind a newly enrolled station without a restart. */
  addStation(record: StationRecord): void {
    if (this.#stations.has(record.stationId)) return;
    this.#addStation(record, 0, [], undefined);
  }

  #addStation(
    record: StationRecord,
    ackedSeq: number,
    above: readonly number[],
    status?: StationStatus,
  ): void {
    const keyRef = record.fingerprint;
    this.#deps.verifier.addKey(keyRef, pemToSpkiDer(record.publicKeyPem));
    this.#deps.ledger.registerStation(record);
    this.#stations.set(record.stationId, {
      record,
      keyRef,
      tracker: new SeqTracker(ackedSeq, above),
      status: status ?? initialStatus(record.stationId),
      refusals: [],
      chainTip: null,
      mirrorNextSeq: ackedSeq + 1,
      mirrorPending: new Map(),
    });
  }

  stationIds(): string[] {
    return [...this.#stations.keys()];
  }

  ackedSeq(stationId: string): number {
    return this.#stations.get(stationId)?.tracker.ackedSeq ?? 0;
  }

  status(stationId: string): StationStatus | undefined {
    return this.#stations.get(stationId)?.status;
  }

  get queueLength(): number {
    return this.#queue.length;
  }

  /** Resolves when the queue has room again (MQTT intake applies back-pressure with it). */
  waitForRoom(): Promise<void> {
    if (this.#queue.length < ingestQueueMax) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Intake of one MQTT message: synchronous checks, then the signature check is started. */
  handleMessage(topic: string, payload: Uint8Array): void {
    if (this.#fatal !== undefined) throw this.#fatal;
    // After close(): not stored, not acked, so the kiosk resends it to the next HQ run.
    if (this.#closed) return;
    this.counters.received += 1;
    const receivedAtMs = this.#deps.clock.nowMs();
    let parsed: ParsedTopic | null = null;
    let station: StationState | null = null;
    let parts: EnvelopeParts | null = null;
    let failure: Item['failure'] = null;
    try {
      parsed = parseTopic(topic);
      if (parsed.direction !== 'up') throw new Error('not an up-topic');
    } catch (error) {
      parsed = null;
      failure = { code: 'HQ_TOPIC_UNKNOWN', detail: describe(error) };
    }
    if (failure === null && parsed !== null) {
      station = this.#stations.get(parsed.stationId) ?? null;
      if (station === null) failure = { code: 'HQ_STATION_UNKNOWN', detail: `station ${parsed.stationId}` };
    }
    if (failure === null) {
      try {
        parts = openParts(payload);
      } catch (error) {
        failure =
          error instanceof CodecFailure
            ? { code: error.code, detail: error.message }
            : { code: 'HQ_ENVELOPE_DECODE_FAILED', detail: describe(error) };
      }
    }
    const item: Item = {
      topic,
      payload,
      receivedAtMs,
      parsed,
      station,
      parts,
      failure,
      verdict: failure === null ? undefined : false,
      opened: null,
      link:
        failure === null && parts !== null && parsed?.channel === 'event'
          ? envelopeLink(parts, payload)
          : null,
    };
    this.#queue.push(item);
    if (item.verdict === undefined) {
      // Only journaled events chain. An authorisation request or a status message is checked at
      // once (a customer waits on the first), as is every message when each signature is checked.
      if (item.link === null || this.#deps.verifyEverySignature === true) this.#check(item, []);
      else {
        this.#unplanned.push(item);
        this.#schedulePlan();
      }
    } else {
      this.#pump();
    }
  }

  /**
   * Signature checks are planned in rounds: a round starts once the previous round's checks are
   * all answered, and takes every message that arrived meanwhile. Under load a round holds many
   * events per station, linked into runs that one check each authenticates; when idle a round
   * holds one message, checked at once.
   */
  #schedulePlan(): void {
    if (this.#planScheduled || this.#plannedInFlight > 0 || this.#unplanned.length === 0) return;
    this.#planScheduled = true;
    setImmediate(() => {
      this.#planScheduled = false;
      this.#plan();
    });
  }

  #plan(): void {
    if (this.#fatal !== undefined || this.#plannedInFlight > 0) return;
    const items = this.#unplanned;
    this.#unplanned = [];
    const runs = planChains(
      items.map((item) => ({
        group: item.station,
        sha256: item.link?.sha256 ?? null,
        prev: item.link?.prev ?? null,
      })),
      verifyRunLengthMax,
    );
    for (const run of runs) {
      const head = items[run[run.length - 1]!]!;
      const linked = run.slice(0, -1).map((index) => items[index]!);
      this.#check(head, linked, true);
    }
  }

  /**
   * Check `head`'s signature; when it holds, `linked` (the events it links back to) are authentic
   * too. When it fails, each of `linked` is checked on its own. `planned`: part of a planning
   * round (#plan), which the next round waits for.
   */
  #check(head: Item, linked: readonly Item[], planned = false): void {
    const station = head.station!;
    const parts = head.parts!;
    if (planned) this.#plannedInFlight += 1;
    this.counters.signatureChecks += 1;
    this.#deps.verifier.submit(station.keyRef, parts.signed, parts.signature, (ok, error) => {
      if (planned) this.#plannedInFlight -= 1;
      if (error !== undefined) {
        this.#die(error);
        return;
      }
      head.verdict = ok;
      if (ok) {
        for (const item of linked) item.verdict = true;
        this.counters.authenticatedByLink += linked.length;
      } else {
        for (const item of linked) this.#check(item, [], planned);
      }
      this.#pump();
      this.#schedulePlan();
    });
  }

  #pump(): void {
    if (this.#pumping || this.#fatal !== undefined) return;
    const ready: Item[] = [];
    while (ready.length < batchRowsMax && this.#queue.length > ready.length) {
      const item = this.#queue[ready.length]!;
      if (item.verdict === undefined) break;
      ready.push(item);
    }
    if (ready.length === 0) return;
    this.#pumping = true;
    this.#queue.splice(0, ready.length);
    this.#processReady(ready).then(
      () => {
        this.#pumping = false;
        this.#wakeRoomWaiters();
        this.#pump();
      },
      (error: unknown) => this.#die(error),
    );
  }

  async #processReady(ready: Item[]): Promise<void> {
    const eventIds: string[] = [];
    // In-flight at lookup time: their batch may commit (and leave #inflightEventIds) during the
    // lookup below, so they are remembered here, or a resend would look like a reused seq.
    const inflight: StoredEventRef[] = [];
    for (const item of ready) {
      if (item.failure !== null || item.verdict !== true || item.parts === null || item.parsed === null)
        continue;
      try {
        item.opened = openChecked(item.parts, item.parsed, item.link?.decoded);
        if (item.parsed.channel === 'event') {
          const { eventId, stationId, seq } = item.opened.header;
          const heldSha256 = this.#inflightEventIds.get(eventId);
          if (heldSha256 === undefined) {
            if (this.#storedEventIds.mightContain(eventId)) eventIds.push(eventId);
          } else inflight.push({ eventId, stationId, seq, envelopeSha256: heldSha256 });
        }
      } catch (error) {
        item.failure =
          error instanceof CodecFailure
            ? { code: error.code, detail: error.message }
            : { code: 'HQ_BODY_DECODE_FAILED', detail: describe(error) };
      }
    }
    const stored =
      eventIds.length === 0 ? new Map<string, StoredEventRef>() : await this.#deps.store.findEvents(eventIds);
    for (const ref of inflight) stored.set(ref.eventId, ref);
    for (const item of ready) this.#apply(item, stored);
    this.#scheduleCommit();
  }

  #apply(item: Item, stored: ReadonlyMap<string, StoredEventRef>): void {
    if (item.failure !== null) {
      this.#quarantine(item, item.failure.code, item.failure.detail, item.verdict === true);
      return;
    }
    if (item.verdict !== true) {
      this.#quarantine(
        item,
        'HQ_SIGNATURE_INVALID',
        "signature does not verify under the station's key",
        false,
      );
      return;
    }
    const opened = item.opened!;
    const station = item.station!;
    if (opened.header.keyId !== station.record.keyId) {
      this.#quarantine(item, 'HQ_KEY_UNKNOWN', `key id ${opened.header.keyId.slice(0, 16)}…`, false);
      return;
    }
    switch (item.parsed!.channel) {
      case 'event':
        this.#applyEvent(item, opened, station, stored);
        return;
      case 'auth-req':
        this.#track(this.#authorise(station, opened));
        return;
      default:
        this.#applyStatus(station, opened);
    }
  }

  #applyEvent(
    item: Item,
    opened: OpenedEnvelope,
    station: StationState,
    stored: ReadonlyMap<string, StoredEventRef>,
  ): void {
    const { eventId, seq } = opened.header;
    const stationId = station.record.stationId;
    const heldSha256 = this.#inflightEventIds.get(eventId) ?? stored.get(eventId)?.envelopeSha256;
    if (heldSha256 !== undefined) {
      this.#batch.touched.add(stationId); // re-ack: the kiosk may have lost the first ack
      if (classifyRepeat(item.payload, heldSha256) === 'duplicate') {
        // A resend of the very bytes HQ holds: not a refusal, so not quarantined (R8).
        this.counters.duplicates += 1;
        this.emit('duplicate', stationId, seq);
        return;
      }
      const detail = `event ${eventId} seq ${seq} reused with other bytes`;
      this.#quarantine(item, 'HQ_REPLAY_EVENT_ID', detail, false);
      return;
    }
    if (station.tracker.has(seq)) {
      this.#batch.touched.add(stationId);
      this.#quarantine(item, 'HQ_REPLAY_SEQ', `seq ${seq} already used by another event`, false);
      return;
    }
    let event: StationEvent;
    try {
      event = toStationEvent(opened, item.payload, item.link?.sha256.toString('hex'));
    } catch (error) {
      const code = error instanceof CodecFailure ? error.code : 'HQ_BODY_DECODE_FAILED';
      this.#quarantine(item, code, describe(error), true);
      return;
    }
    this.#acceptSeq(station, seq);
    station.status = applyStatus(station.status, { kind: 'seen', atMs: item.receivedAtMs }).status;
    this.#batch.statuses.set(stationId, station.status);
    const nowMs = this.#deps.clock.nowMs();
    this.#toMirror(station, seq, event, nowMs);
    this.#checkChainLink(station, event, opened.header.prevEnvelopeSha256, nowMs);
    this.#batch.events.push(event);
    this.#inflightEventIds.set(eventId, event.envelopeSha256);
    if (event.kind === 'DAILY_CLOSE') this.#batch.closes.push(event);
    if (
      event.kind === 'WITHDRAWAL_POSTED' ||
      event.kind === 'WITHDRAWAL_VOIDED' ||
      event.kind === 'WITHDRAWAL_REVERSED'
    ) {
      this.#batch.settlements.push(event);
    }
  }

  /**
   * Hand a handled seq to the ledger mirror, which re-checks a station's events in seq order (the
   * kiosk computed each `quota_fen_after` in that order): an event beyond a gap waits until the
   * gap is filled (a resend after an HQ restart can deliver seqs 48.. before 35..47). `event` null:
   * a refused seq, skipped. A seq the mirror already took (a resend after a dropped batch) is not
   * taken twice. Past `mirrorPendingMax` waiting seqs the mirror takes events as they come (and
   * may then report discrepancies that are only an ordering artefact): memory stays bounded.
   */
  #toMirror(station: StationState, seq: number, event: StationEvent | null, nowMs: number): void {
    if (seq < station.mirrorNextSeq || station.mirrorPending.has(seq)) return;
    if (seq === station.mirrorNextSeq && station.mirrorPending.size === 0) {
      // In order, nothing waiting: the usual case, no copy.
      station.mirrorNextSeq += 1;
      if (event !== null) this.#mirrorApply(event, nowMs);
      return;
    }
    if (event !== null && station.mirrorPending.size >= mirrorPendingMax) {
      // Too much waiting: take this one now, out of order, and leave a placeholder for its seq.
      this.#log.error(
        { code: 'HQ_SEQ_GAP', stationId: station.record.stationId, waiting: station.mirrorPending.size },
        'ledger mirror: too many events beyond a gap; re-checking this one out of order',
      );
      this.#mirrorApply(event, nowMs);
      station.mirrorPending.set(seq, null);
    } else {
      station.mirrorPending.set(seq, event === null ? null : mirrorCopy(event));
    }
    for (;;) {
      const next = station.mirrorPending.get(station.mirrorNextSeq);
      if (next === undefined) break;
      station.mirrorPending.delete(station.mirrorNextSeq);
      station.mirrorNextSeq += 1;
      if (next !== null) this.#mirrorApply(next, nowMs);
    }
  }

  #mirrorApply(event: StationEvent, nowMs: number): void {
    for (const d of this.#deps.ledger.apply(event)) {
      this.counters.discrepancies += 1;
      this.#batch.discrepancies.push({
        stationId: event.stationId,
        eventId: event.eventId,
        foundAtMs: nowMs,
        ...d,
      });
      this.#log.warn(
        { code: d.code, stationId: event.stationId, eventId: event.eventId, seq: event.seq },
        'ledger discrepancy',
      );
    }
  }

  /**
   * An event names the envelope HQ stored for the seq before it; when it names another one, the
   * kiosk's journal forked or was rolled back (restored from a backup, a cloned station): the
   * event is authentic and stored, and the break is recorded as a discrepancy. Checked when the
   * events arrive in order (the usual case); a link into a gap is not checked.
   */
  #checkChainLink(station: StationState, event: StationEvent, prev: Uint8Array, nowMs: number): void {
    const tip = station.chainTip;
    if (prev.length > 0 && tip !== null && tip.seq === event.seq - 1) {
      const prevHex = Buffer.from(prev.buffer, prev.byteOffset, prev.byteLength).toString('hex');
      if (prevHex !== tip.sha256Hex) {
        const code = 'HQ_DISCREPANCY_CHAIN_BROKEN';
        this.counters.discrepancies += 1;
        this.#batch.discrepancies.push({
          stationId: event.stationId,
          eventId: event.eventId,
          code,
          expected: tip.sha256Hex,
          actual: prevHex,
          detail: `seq ${event.seq} links to an envelope other than the stored seq ${tip.seq}`,
          foundAtMs: nowMs,
        });
        this.#log.warn({ code, stationId: event.stationId, seq: event.seq }, 'chain link broken');
      }
    }
    if (tip === null || event.seq > tip.seq)
      station.chainTip = { seq: event.seq, sha256Hex: event.envelopeSha256 };
  }

  /** Record a handled seq: ack point, gaps found (reported, resend asked) and gaps filled. */
  #acceptSeq(station: StationState, seq: number): void {
    const stationId = station.record.stationId;
    const nowMs = this.#deps.clock.nowMs();
    const acceptance = station.tracker.accept(seq);
    this.#batch.touched.add(stationId);
    if (acceptance.gapOpened !== null) {
      this.counters.gaps += 1;
      this.#batch.gapsOpened.push({ stationId, ...acceptance.gapOpened, foundAtMs: nowMs });
      if (!this.#batch.resendFrom.has(stationId))
        this.#batch.resendFrom.set(stationId, acceptance.gapOpened.fromSeq);
      this.#log.warn({ code: 'HQ_SEQ_GAP', stationId, ...acceptance.gapOpened }, 'sequence gap');
    }
    if (acceptance.fillsGap) this.#batch.gapFills.push({ stationId, seq, atMs: nowMs });
  }

  #applyStatus(station: StationState, opened: OpenedEnvelope): void {
    const body = decodeStatus(opened.header.type, opened.body);
    const atMs = this.#deps.clock.nowMs();
    const input: StatusInput =
      body.kind === 'telemetry'
        ? { kind: 'telemetry', atMs, peripherals: body.peripherals, outboxDepth: body.outboxDepth }
        : { kind: body.kind, bdSeq: body.bdSeq, atMs };
    const { status, outcome } = applyStatus(station.status, input);
    if (outcome === 'stale_death') {
      this.counters.staleDeaths += 1;
      this.#log.info({ stationId: station.record.stationId, bdSeq: body.bdSeq }, 'stale death ignored');
      this.emit('status', station.record.stationId, 'stale_death');
      return;
    }
    station.status =
      body.kind === 'birth'
        ? { ...status, peripherals: body.peripherals, outboxDepth: body.outboxDepth }
        : status;
    this.#batch.statuses.set(station.record.stationId, station.status);
    // A birth means a (re)connected kiosk: tell it at once where HQ stands.
    if (body.kind === 'birth') this.#batch.touched.add(station.record.stationId);
    this.emit('status', station.record.stationId, body.kind);
  }

  #quarantine(item: Item, code: HqCode, detail: string, verified: boolean): void {
    const station = item.station;
    let handledSeq: number | null = null;
    if (verified && station !== null && item.parts !== null && item.parsed?.channel === 'event') {
      handledSeq = this.#handledSeqOf(station, item.parts, code, detail);
    }
    this.counters.quarantined += 1;
    this.counters.quarantinedByReason[code] = (this.counters.quarantinedByReason[code] ?? 0) + 1;
    this.#batch.quarantined.push({
      receivedAtMs: item.receivedAtMs,
      topic: item.topic.slice(0, 256),
      stationId: item.parsed?.stationId ?? null,
      reasonCode: code,
      detail: detail.slice(0, 500),
      sizeBytes: item.payload.length,
      raw: item.payload,
      handledSeq,
    });
    this.#log.warn(
      { code, topic: item.topic.slice(0, 128), size: item.payload.length, handledSeq },
      'quarantined',
    );
    this.emit('quarantined', code);
  }

  /**
   * An authentic event (its signature verified) refused for its content still counts as handled:
   * its seq joins the ack with a refusal, so the kiosk stops resending it (docs/protocol.md Ack).
   */
  #handledSeqOf(station: StationState, parts: EnvelopeParts, code: HqCode, detail: string): number | null {
    let header: { stationId: string; seq: number; eventId: string };
    try {
      header = decodeSignedHeader(parts.signed).header;
    } catch {
      return null;
    }
    if (header.stationId !== station.record.stationId || header.seq < 1 || station.tracker.has(header.seq)) {
      return null;
    }
    this.#acceptSeq(station, header.seq);
    this.#toMirror(station, header.seq, null, this.#deps.clock.nowMs());
    station.refusals.push({
      seq: header.seq,
      eventId: header.eventId,
      reason: refusalReason(code),
      code,
      detail,
    });
    return header.seq;
  }

  #scheduleCommit(): void {
    if (this.#batch.empty) return;
    if (this.#batch.rowCount >= batchRowsMax) {
      this.#seal();
      return;
    }
    if (this.#batchTimer === undefined) this.#batchTimer = setTimeout(() => this.#seal(), batchDelayMsMax);
  }

  #seal(): void {
    if (this.#batchTimer !== undefined) {
      clearTimeout(this.#batchTimer);
      this.#batchTimer = undefined;
    }
    const batch = this.#batch;
    if (batch.empty) return;
    this.#batch = new Batch();
    for (const stationId of batch.touched) {
      const station = this.#stations.get(stationId);
      if (station === undefined) continue;
      batch.acks.set(stationId, {
        handledThroughSeq: station.tracker.ackedSeq,
        highestSeqReceived: station.tracker.highWaterSeq,
        refusals: station.refusals,
      });
      station.refusals = [];
    }
    batch.failuresAtSeal = this.#commitFailures;
    this.#commitsInFlight += 1;
    this.#commitChain = this.#commitChain
      .then(() => this.#commit(batch))
      .catch((error: unknown) => this.#die(error))
      .finally(() => {
        this.#commitsInFlight -= 1;
        this.emit('idle-check');
      });
  }

  async #commit(batch: Batch): Promise<void> {
    if (!(await this.#storeBatch(batch))) return;
    this.#afterCommit(batch);
  }

  /** Store the batch in one transaction; false (batch dropped) when it did not commit. */
  async #storeBatch(batch: Batch): Promise<boolean> {
    if (batch.failuresAtSeal !== this.#commitFailures) {
      this.#dropBatch(batch, 'sealed behind a batch that did not commit');
      return false;
    }
    try {
      await this.#deps.store.commitBatch(this.#batchRows(batch));
    } catch (error) {
      this.#commitFailures += 1;
      if ((error as { code?: unknown }).code === 'HQ_COMMIT_THREAD_FAILED') {
        // Nothing can be stored any more: stop, rather than drop every batch and ask every
        // station to resend, forever (the kiosks keep their events until a new HQ run acks them).
        this.#die(error);
        return false;
      }
      this.#dropBatch(batch, describe(error));
      return false;
    }
    return true;
  }

  /**
   * A batch that did not commit: its event ids and seqs are forgotten (a resend is then accepted
   * again, not taken for a duplicate), its acks are never sent, and its stations are asked to
   * resend. Batches sealed behind it are dropped too: their acks were computed over its seqs.
   * Its events were applied to the ledger mirror already; core-ledger's idempotency (same id,
   * same content: first result) makes applying them again on the resend harmless.
   */
  #dropBatch(batch: Batch, reason: string): void {
    const seqsByStation = new Map<string, number[]>();
    const add = (stationId: string, seq: number): void => {
      const seqs = seqsByStation.get(stationId) ?? [];
      seqs.push(seq);
      seqsByStation.set(stationId, seqs);
    };
    for (const event of batch.events) {
      this.#inflightEventIds.delete(event.eventId);
      add(event.stationId, event.seq);
    }
    for (const row of batch.quarantined) {
      if (row.stationId !== null && row.handledSeq !== null) add(row.stationId, row.handledSeq);
    }
    for (const [stationId, seqs] of seqsByStation) {
      const station = this.#stations.get(stationId);
      if (station === undefined) continue;
      station.tracker.forget(seqs);
      this.#fireAndForget(this.sendResend(stationId, station.tracker.ackedSeq + 1));
    }
    this.counters.batchesDropped += 1;
    this.#log.error(
      { code: 'HQ_STORE_FAILED', events: batch.events.length, error: reason },
      'batch not committed: dropped, resend asked',
    );
    this.emit('dropped', { events: batch.events.length, reason });
  }

  #batchRows(batch: Batch): Parameters<Store['commitBatch']>[0] {
    return {
      events: batch.events,
      quarantined: batch.quarantined,
      discrepancies: batch.discrepancies,
      gapsOpened: batch.gapsOpened,
      gapFills: batch.gapFills,
      ackedSeqs: new Map([...batch.acks].map(([stationId, ack]) => [stationId, ack.handledThroughSeq])),
      statuses: [...batch.statuses.values()],
    };
  }

  #afterCommit(batch: Batch): void {
    for (const event of batch.events) {
      this.#storedEventIds.add(event.eventId);
      this.#inflightEventIds.delete(event.eventId);
    }
    this.counters.stored += batch.events.length;
    this.counters.batches += 1;
    for (const [stationId, ack] of batch.acks) {
      const due = this.#acksDue.get(stationId);
      if (due === undefined) {
        this.#acksDue.set(stationId, ack);
        continue;
      }
      // Cumulative: the newer ack point covers the older; refusals are listed once each.
      due.handledThroughSeq = Math.max(due.handledThroughSeq, ack.handledThroughSeq);
      due.highestSeqReceived = Math.max(due.highestSeqReceived, ack.highestSeqReceived);
      for (const refusal of ack.refusals) due.refusals.push(refusal);
    }
    if (this.#acksDue.size > 0 && this.#ackTimer === undefined) {
      this.#ackTimer = setTimeout(() => this.#sendAcks(), ackDelayMsMax);
    }
    for (const [stationId, fromSeq] of batch.resendFrom)
      this.#fireAndForget(this.sendResend(stationId, fromSeq));
    for (const event of batch.settlements) this.#settle(event);
    for (const event of batch.closes) this.#track(this.#reconcile(event));
    this.emit('committed', { events: batch.events.length, quarantined: batch.quarantined.length });
  }

  /**
   * Publish the committed acks. Acks and resend commands are not awaited: a publish can stay
   * pending across a broker restart, and the commit chain must not wait for it. Acks are
   * cumulative and idempotent, so a lost one is repaired by the next ack (or a birth).
   */
  #sendAcks(): void {
    if (this.#ackTimer !== undefined) {
      clearTimeout(this.#ackTimer);
      this.#ackTimer = undefined;
    }
    if (this.#acksDue.size === 0) return;
    const acks = this.#acksDue;
    this.#acksDue = new Map();
    const nowMs = this.#deps.clock.nowMs();
    for (const [stationId, ack] of acks) {
      this.#fireAndForget(
        this.#send(stationId, 'ack', PayloadType.PAYLOAD_TYPE_ACK, {
          handledThroughSeq: ack.handledThroughSeq,
          highestSeqReceived: ack.highestSeqReceived,
          refusals: ack.refusals,
          ackedAtMs: nowMs,
        }).then(() => {
          this.counters.acksSent += 1;
        }),
      );
    }
    this.emit('idle-check');
  }

  /** Ask a station to resend its journal from `fromSeq` (a gap, or after an HQ restart). */
  async sendResend(stationId: string, fromSeq: number): Promise<void> {
    const nowMs = this.#deps.clock.nowMs();
    await this.#send(stationId, 'cmd', PayloadType.PAYLOAD_TYPE_COMMAND, {
      commandId: `resend-${stationId}-${fromSeq}-${nowMs}`,
      notAfterMs: nowMs + 10 * 60_000,
      resendFrom: { fromSeq },
    });
  }

  /**
   * After an HQ restart: every station is acknowledged again (the previous process may have
   * committed events and died before their ack went out; with nothing left to resend, no
   * duplicate would ever prompt a re-ack) and resends what HQ has not acknowledged.
   */
  async requestResendAll(): Promise<void> {
    for (const station of this.#stations.values()) {
      if (station.tracker.ackedSeq > 0) this.#batch.touched.add(station.record.stationId);
    }
    this.#scheduleCommit();
    await Promise.all(
      [...this.#stations.values()].map((s) => this.sendResend(s.record.stationId, s.tracker.ackedSeq + 1)),
    );
  }

  async #send<T extends KnownPayloadType>(
    stationId: string,
    channel: DownChannel,
    type: T,
    body: PayloadInput<T>,
  ) {
    const bytes = sealHq(this.#deps.hqKey, stationId, type, body, this.#deps.clock.nowMs());
    await this.#deps.publisher.publish(downTopic(stationId, channel), bytes, channelPublishOptions[channel]);
  }

  #settle(event: StationEvent): void {
    const requestId = String(event.detail.requestId ?? '');
    if (event.kind !== 'WITHDRAWAL_POSTED') this.#tally.released(requestId);
    const atMs = this.#deps.clock.nowMs();
    const bank = this.#deps.bank;
    // A release is durable before the settlement is marked done: after a crash in between, the
    // settlement is re-driven at start-up and records the release again (idempotent).
    const released =
      event.kind === 'WITHDRAWAL_POSTED'
        ? Promise.resolve()
        : this.#deps.store.releaseWithdrawalApproval(requestId, atMs);
    const settle = () =>
      event.kind === 'WITHDRAWAL_POSTED' ? bank.post(requestId, atMs) : bank.release(requestId, atMs);
    const work = released.then(settle).then(async (outcome) => {
      this.counters.settlements += 1;
      if (outcome !== 'done' && outcome !== 'already_done') {
        this.#log.warn(
          { code: outcome, stationId: event.stationId, eventId: event.eventId },
          'bank settlement',
        );
      }
      await this.#deps.store.markSettled(event.eventId, outcome);
    });
    this.#track(work);
  }

  async #authorise(station: StationState, opened: OpenedEnvelope): Promise<void> {
    this.counters.authRequests += 1;
    const request = decodeAuthRequest(opened.body);
    const stationId = station.record.stationId;
    const nowMs = this.#deps.clock.nowMs();
    const ask = {
      requestId: request.requestId,
      cardKey: cardKeyOf(this.#cardKeySecret, request.pan),
      stationId,
      businessDate: shanghaiDate(opened.header.createdAtMs),
      amountFen: request.amountFen,
    };
    const overLimit = this.#tally.check(this.#withdrawalLimits, ask);
    let decision: { approved: boolean; declineReason: number; responseCode: string; bankReference: string };
    if (request.expiresAtMs > 0 && nowMs > request.expiresAtMs) {
      decision = { approved: false, declineReason: 9, responseCode: '68', bankReference: '' };
    } else if (request.pinBlockFormat !== 4) {
      decision = { approved: false, declineReason: 10, responseCode: '30', bankReference: '' };
    } else if (request.feeFen !== this.#withdrawalFeeFen) {
      decision = { approved: false, declineReason: 13, responseCode: '30', bankReference: '' };
    } else if (overLimit.length > 0) {
      // R5 before the bank; every broken limit is logged, the first (fixed order) goes on the wire.
      const declineReason = declineReasonOfLimit[overLimit[0]!];
      decision = { approved: false, declineReason, responseCode: '61', bankReference: '' };
      this.#log.info({ code: overLimit[0], codes: overLimit, stationId }, 'authorisation declined');
    } else {
      const reservedNow = this.#tally.approved(ask); // reserved now, so a concurrent request sees it
      try {
        // Durable before the bank is asked, so a restart still counts what the bank may hold. If
        // it cannot be stored the bank is not asked and no answer goes out (logged HQ_STORE_FAILED
        // by #track): the kiosk times out and reverses, as for any unanswered request.
        await this.#deps.store.recordWithdrawalApproval({ ...ask, approvedAtMs: nowMs });
      } catch (error) {
        if (reservedNow) this.#tally.released(ask.requestId); // a re-asked approval keeps counting
        throw error;
      }
      const outcome = await this.#deps.bank.authorise({
        requestId: request.requestId,
        transactionId: request.transactionId,
        stationId,
        pan: request.pan,
        pinBlock: request.pinBlock,
        amountFen: request.amountFen,
        feeFen: request.feeFen,
        businessDate: shanghaiDate(opened.header.createdAtMs),
        atMs: nowMs,
      });
      decision = outcome.approved
        ? { approved: true, declineReason: 0, responseCode: '00', bankReference: outcome.bankReference }
        : {
            approved: false,
            declineReason: declineReasonByCode[outcome.code],
            responseCode: outcome.responseCode,
            bankReference: '',
          };
      if (!outcome.approved) {
        this.#tally.released(ask.requestId);
        // Not awaited: the decline goes out at once. Should the write fail (logged), the stored
        // approval keeps counting after a restart: HQ then declines more, never allows more.
        this.#track(this.#deps.store.releaseWithdrawalApproval(ask.requestId, nowMs));
      }
      if (!outcome.approved) this.#log.info({ code: outcome.code, stationId }, 'authorisation declined');
    }
    if (decision.approved) this.counters.authApproved += 1;
    else this.counters.authDeclined += 1;
    // Not awaited (a publish may stay pending while the broker is down); the bank's answer is
    // idempotent by request id, so a kiosk that times out reverses and HQ releases the hold.
    this.#fireAndForget(
      this.#send(stationId, 'auth-resp', PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
        requestId: request.requestId,
        transactionId: request.transactionId,
        decision: decision.approved ? 1 : 2,
        declineReason: decision.declineReason,
        bankResponseCode: decision.responseCode,
        bankReference: decision.bankReference,
        amountFen: request.amountFen,
        feeFen: decision.approved ? request.feeFen : 0,
        respondedAtMs: this.#deps.clock.nowMs(),
      }),
    );
    this.emit('authorised', { stationId, requestId: request.requestId, approved: decision.approved });
  }

  async #reconcile(close: StationEvent): Promise<void> {
    const detail = close.detail as Partial<KioskClose> & { lastSeq?: number };
    const differences = this.#deps.ledger
      .reconcileClose(close.stationId, close.businessDate, detail.totals ?? [])
      .map((d) => ({ ...d }));
    const previous = await this.#deps.store.previousClose(close.stationId, close.seq);
    differences.push(
      ...checkCloseSeal(
        {
          stationId: close.stationId,
          businessDate: close.businessDate,
          closeSequence: Number(detail.closeSequence ?? 0),
          closedAtMs: Number(detail.closedAtMs ?? 0),
          holdsPendingCount: Number(detail.holdsPendingCount ?? 0),
          closeHash: String(detail.closeHash ?? ''),
          previousCloseHash: String(detail.previousCloseHash ?? ''),
          totals: detail.totals ?? [],
        },
        previous === undefined ? undefined : String(previous.detail.closeHash ?? ''),
      ),
    );
    const station = this.#stations.get(close.stationId);
    const lastSeq = Number(detail.lastSeq ?? 0);
    if (station !== undefined && lastSeq > station.tracker.ackedSeq) {
      differences.push({
        code: 'HQ_RECON_DIFFERENCE',
        detail: `events up to seq ${lastSeq} are covered by the close, HQ holds all only up to ${station.tracker.ackedSeq}`,
      });
    }
    await this.#deps.store.saveReconciliation({
      stationId: close.stationId,
      businessDate: close.businessDate,
      closeEventId: close.eventId,
      reconciledAtMs: this.#deps.clock.nowMs(),
      differences,
    });
    if (differences.length > 0) {
      this.#log.warn(
        { code: 'HQ_RECON_DIFFERENCE', stationId: close.stationId, count: differences.length },
        'R8',
      );
    }
    this.emit('reconciled', { stationId: close.stationId, businessDate: close.businessDate, differences });
  }

  /** A publish HQ does not wait for (flush() neither): logged when it fails. */
  #fireAndForget(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      this.#log.warn({ code: 'HQ_MQTT_FAILED', error: describe(error) }, 'publish failed');
    });
  }

  #track(work: Promise<unknown>, code: HqCode = 'HQ_STORE_FAILED'): void {
    const tracked = work.catch((error: unknown) => {
      this.#log.error({ code, error: describe(error) }, 'background work failed');
    });
    this.#asyncWork.add(tracked);
    void tracked.finally(() => {
      this.#asyncWork.delete(tracked);
      this.emit('idle-check');
    });
  }

  #wakeRoomWaiters(): void {
    if (this.#queue.length >= ingestQueueMax) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  get idle(): boolean {
    return (
      this.#queue.length === 0 &&
      !this.#pumping &&
      this.#batch.empty &&
      this.#commitsInFlight === 0 &&
      this.#acksDue.size === 0 &&
      this.#asyncWork.size === 0
    );
  }

  /** Commit what is pending and wait until nothing is in flight (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#fatal !== undefined) throw this.#fatal;
      this.#seal();
      if (this.#commitsInFlight === 0) this.#sendAcks();
      if (this.idle) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.off('idle-check', done);
          resolve();
        };
        this.on('idle-check', done);
        setTimeout(done, batchDelayMsMax);
      });
    }
  }

  /** Stop intake, commit what was accepted, and wait for background work. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#silenceTimer);
    this.#silenceTimer = undefined;
    await this.flush();
  }

  #die(error: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error instanceof Error ? error : new Error(String(error));
    this.#log.error(
      { code: (error as { code?: string }).code ?? 'HQ_STORE_FAILED', error: describe(error) },
      'fatal',
    );
    this.emit('fatal', this.#fatal);
  }
}

/** Where HQ keeps the fingerprint of the card-key secret of its last run (hq_meta). */
const cardKeyFingerprintMeta = 'card_key_fingerprint';

/** An event as the mirror keeps it while it waits: without its envelope (a view into a 64 KiB read buffer). */
function mirrorCopy(event: StationEvent): StationEvent {
  return event.envelope.byteLength === 0 ? event : { ...event, envelope: noBytes };
}

const noBytes = new Uint8Array(0);

/** SPKI DER of a PEM public key. */
export function pemToSpkiDer(pem: string): Uint8Array {
  const base64 = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
