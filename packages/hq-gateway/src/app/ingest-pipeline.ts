// The HQ ingest pipeline: every message from a station's up-topics moves forward through named
// steps, each in its own file under app/ingest/ (pure rules under domain/):
//   1. intake.ts            topic check, envelope decode, hash link read
//   2. signature-rounds.ts  signature checks on the verifier pool, planned in rounds of hash-linked runs
//   3. in-order.ts          arrival order kept; bodies opened; held event ids looked up
//   4. route.ts             to the step for the channel, or to quarantine.ts
//   5. store-event.ts       journaled events (sequence.ts: ack point, gaps, ledger mirror order)
//      authorise.ts         authorisation requests (domain/authorisation.ts), answered at once
//      status.ts            birth / death / telemetry, and the silence sweep
//   6. commit.ts            batches sealed (rows or delay) and committed in one transaction
//   7. settlement.ts, reconciliation.ts   after the commit
//   8. acks.ts              cumulative acks, coalesced per station over ackDelayMsMax
// This class only builds the shared context (context.ts), owns the lifecycle (start, flush,
// close, a fatal stop) and is the public face (counters, events, station queries).
// Events: 'quarantined' (code), 'duplicate' (stationId, seq), 'status' (stationId, kind),
// 'committed', 'dropped', 'authorised', 'reconciled', 'fatal' (error).
import { EventEmitter } from 'node:events';
import { WITHDRAWAL_FEE_FEN_STANDARD, WITHDRAWAL_LIMITS_DEFAULT } from '@bianmin/core-ledger';
import { AuthRateLimiter, authRateLimitDefault } from '../domain/auth-rate-limit.js';
import { stationBoundsDefault } from '../domain/containment.js';
import { feeSchedulesOf } from '../domain/fee-check.js';
import { StationHoldExpiryBook } from '../domain/station-hold-expiry.js';
import { StatusReplayGuard } from '../domain/station-status.js';
import type { StationRecord, StationStatus } from '../domain/types.js';
import { WithdrawalTally } from '../domain/withdrawal-limits.js';
import {
  batchDelayMsMax,
  clockSkewMsMaxDefault,
  stationSilenceMsMaxDefault,
  stationSilenceSweepMs,
  statusEnvelopesSeenPerStationMax,
} from '../limits.js';
import { asClock, type Clock, type TimerHandle } from '../ports/clock.js';
import type { Suspension } from '../ports/integrity-store.js';
import type { Log } from '../ports/log.js';
import type { NetworkBlock } from '../ports/running-stations.js';
import { CardKeySecret } from './card-key.js';
import { AckCoalescer } from './ingest/acks.js';
import { Background, errorFields } from './ingest/background.js';
import { Committer } from './ingest/commit.js';
import { configSent, type SentConfigRecord } from './ingest/config-sent.js';
import type { IngestContext, PipelineDeps } from './ingest/context.js';
import { newCounters, type PipelineCounters } from './ingest/counters.js';
import { Downlink } from './ingest/downlink.js';
import { HeldEvents } from './ingest/held-events.js';
import { InOrderQueue } from './ingest/in-order.js';
import { intake } from './ingest/intake.js';
import { reloadStations } from './ingest/reload.js';
import { addStation, restore } from './ingest/restore.js';
import { SignatureRounds } from './ingest/signature-rounds.js';
import type { StationState } from './ingest/station-state.js';
import { sweepSilence } from './ingest/status.js';
import { stationDefaults } from './operations.js';

export type { PipelineDeps } from './ingest/context.js';
export type { PipelineCounters } from './ingest/counters.js';
export { pemToSpkiDer } from './ingest/restore.js';

import { pemToSpkiDer } from './ingest/restore.js';

export class IngestPipeline extends EventEmitter {
  readonly counters: PipelineCounters = newCounters();
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #stations = new Map<string, StationState>();
  readonly #ctx: IngestContext;
  readonly #background: Background;
  readonly #rounds: SignatureRounds;
  readonly #queue: InOrderQueue;
  readonly #acks: AckCoalescer;
  readonly #committer: Committer;
  #fatal: Error | undefined;
  #closed = false;
  #silenceTimer: TimerHandle | undefined;

  constructor(deps: PipelineDeps) {
    super();
    this.#clock = asClock(deps.clock);
    this.#log = deps.log.child({ component: 'ingest' });
    const idleCheck = (): void => {
      this.emit('idle-check');
    };
    this.#background = new Background(this.#log, idleCheck);
    const ctx: IngestContext = {
      store: deps.store,
      verifier: deps.verifier,
      bank: deps.bank,
      ledger: deps.ledger,
      clock: this.#clock,
      log: this.#log,
      settings: {
        withdrawalFeeFen: deps.withdrawalFeeFen ?? WITHDRAWAL_FEE_FEN_STANDARD,
        withdrawalLimits: deps.withdrawalLimits ?? WITHDRAWAL_LIMITS_DEFAULT,
        stationSilenceMsMax: deps.stationSilenceMsMax ?? stationSilenceMsMaxDefault,
        cardKeySecret: deps.cardKeySecret ?? CardKeySecret.fromHqPrivateKey(deps.hqKey.privateKey),
        verifyEverySignature: deps.verifyEverySignature ?? false,
        feeSchedules:
          deps.feeSchedules ??
          feeSchedulesOf({
            withdrawalFeeFen: deps.withdrawalFeeFen ?? WITHDRAWAL_FEE_FEN_STANDARD,
            feeScheduleVersion: 1,
            feeScheduleEffectiveDate: '2025-01-01',
          }),
        clockSkewMsMax: deps.clockSkewMsMax ?? clockSkewMsMaxDefault,
        holdExpiryMs: deps.holdExpiryMs ?? stationDefaults.holdExpiryMs,
        stationBounds: deps.stationBounds ?? stationBoundsDefault,
      },
      integrity: deps.integrity,
      provenance: deps.provenance,
      reality: deps.reality,
      rollouts: deps.rollouts,
      ownsStation: deps.ownsStation ?? (() => true),
      statusGuard: new StatusReplayGuard(statusEnvelopesSeenPerStationMax),
      counters: this.counters,
      stations: this.#stations,
      held: new HeldEvents(),
      tally: new WithdrawalTally(),
      authRate: new AuthRateLimiter(deps.authRateLimit ?? authRateLimitDefault),
      holdExpiries: new StationHoldExpiryBook(),
      background: this.#background,
      downlink: new Downlink(deps.hqKey, deps.publisher, this.#clock),
      events: this,
      openBatch: () => this.#committer.open,
      scheduleCommit: () => this.#committer.schedule(),
      die: (error) => this.#die(error),
      dead: () => this.#fatal !== undefined,
    };
    this.#ctx = ctx;
    this.#queue = new InOrderQueue(ctx, idleCheck);
    this.#rounds = new SignatureRounds(ctx, () => this.#queue.pump());
    this.#acks = new AckCoalescer(ctx, idleCheck);
    this.#committer = new Committer(ctx, this.#acks, idleCheck);
  }

  /** Load enrolled stations, their sequence state and status, and rebuild the ledger mirror. */
  async start(): Promise<void> {
    await restore(this.#ctx);
  }

  /** Run sweepSilence every stationSilenceSweepMs until close() (main.ts, once HQ is connected). */
  startSilenceSweep(): void {
    if (this.#silenceTimer !== undefined || this.#closed) return;
    const arm = (): void => {
      this.#silenceTimer = this.#clock.setTimeout(
        () => {
          this.sweepSilence();
          if (!this.#closed) arm();
        },
        stationSilenceSweepMs,
        { background: true },
      );
    };
    arm();
  }

  /**
   * Mark offline (reason 'silence') every online station not heard from for longer than the
   * silence window, on the Clock's time; stored through the batch's status rows. Returns the
   * stations it silenced (tests call it directly with a fake clock).
   */
  sweepSilence(): string[] {
    if (this.#closed || this.#fatal !== undefined) return [];
    return sweepSilence(this.#ctx);
  }

  /** Bind a newly enrolled station without a restart. */
  addStation(record: StationRecord): void {
    if (this.#stations.has(record.stationId)) return;
    addStation(this.#ctx, record, 0, [], undefined);
  }

  stationFingerprint(stationId: string): string | undefined {
    return this.#stations.get(stationId)?.record.fingerprint;
  }

  /** Re-enrolled with a new key (the old one revoked): messages under the old key no longer verify. */
  rekeyStation(record: StationRecord): void {
    const station = this.#stations.get(record.stationId);
    if (station === undefined) {
      this.addStation(record);
      return;
    }
    this.#ctx.verifier.addKey(record.fingerprint, pemToSpkiDer(record.publicKeyPem));
    station.record = record;
    station.keyRef = record.fingerprint;
  }

  /** HQ sent a station a config (live, or its latest at start-up): its hold expiry is judged by it. */
  configSent(config: SentConfigRecord): void {
    configSent(this.#ctx, config);
  }

  /**
   * Lift a station's suspension (operations.resumeStation clears the stored row first): its
   * messages are checked and served again, its refusal count starts again from zero.
   */
  resumeStation(stationId: string): boolean {
    const station = this.#stations.get(stationId);
    if (station === undefined || station.suspension === null) return false;
    station.suspension = null;
    station.refusalCount = 0;
    this.#log.info({ stationId }, 'station resumed');
    return true;
  }

  /**
   * Suspend a station from outside (an operator, app/station-control.ts, stored first): its messages
   * are quarantined at intake from now on. Replaces a suspension held (a key revocation).
   */
  applySuspension(suspension: Suspension): void {
    const station = this.#stations.get(suspension.stationId);
    if (station === undefined) return;
    station.suspension = suspension;
    this.#log.warn(
      { stationId: suspension.stationId, code: suspension.reasonCode },
      'station suspended by an operator',
    );
  }

  /** R4: the station's lifecycle block, or null (undefined for an unknown station). */
  networkBlock(stationId: string): NetworkBlock | null | undefined {
    return this.#stations.get(stationId)?.networkBlock;
  }

  /** R4 (app/station-control.ts): decline the station's withdrawals from now on, or allow them again. */
  setNetworkBlock(stationId: string, block: NetworkBlock | null): void {
    const station = this.#stations.get(stationId);
    if (station === undefined) return;
    station.networkBlock = block;
    this.#log.info({ stationId, code: block?.code, state: block?.state }, 'station lifecycle gate');
  }

  /** The station's suspension, or null (undefined for an unknown station). */
  suspension(stationId: string): StationState['suspension'] | undefined {
    return this.#stations.get(stationId)?.suspension;
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

  /** The ingest loop is running: started, not closed, not stopped on a fatal error (/healthz). */
  get alive(): boolean {
    return !this.#closed && this.#fatal === undefined;
  }

  get queueLength(): number {
    return this.#queue.length;
  }

  /** Messages taken in and not yet routed into a batch (waiting for a verdict, or being processed). */
  get processing(): boolean {
    return this.#queue.length > 0 || this.#queue.busy;
  }

  /** Resolves when the queue has room again (MQTT intake applies back-pressure with it). */
  waitForRoom(): Promise<void> {
    return this.#queue.waitForRoom();
  }

  /** One MQTT message: intake, then its signature check is started (or it waits in order). */
  handleMessage(topic: string, payload: Uint8Array): void {
    if (this.#fatal !== undefined) throw this.#fatal;
    // After close(): not stored, not acked, so the kiosk resends it to the next HQ run.
    if (this.#closed) return;
    this.counters.received += 1;
    const item = intake(topic, payload, this.#clock.nowMs(), this.#stations);
    this.#queue.push(item);
    if (item.verdict === undefined) this.#rounds.submit(item);
    else this.#queue.pump();
  }

  /** Ask a station to resend its journal from `fromSeq` (a gap, or after an HQ restart). */
  async sendResend(stationId: string, fromSeq: number): Promise<void> {
    await this.#ctx.downlink.sendResend(stationId, fromSeq);
  }

  /**
   * After an HQ restart: every station is acknowledged again (the previous process may have
   * committed events and died before their ack went out; with nothing left to resend, no
   * duplicate would ever prompt a re-ack) and resends what HQ has not acknowledged. Only the
   * stations this gateway acts for (PipelineDeps.ownsStation).
   */
  async requestResendAll(): Promise<void> {
    await this.#requestResend([...this.#stations.keys()].filter((id) => this.#ctx.ownsStation(id)));
  }

  /**
   * A partition takeover (NATS mode): the selected stations' state is reloaded from the store
   * before any of their messages is handled (app/ingest/reload.ts), then each is acknowledged at
   * its stored ack point and asked to resend what follows, as after a restart. The caller hands
   * none of their messages until this resolves. Returns the reloaded station ids.
   */
  async reloadStations(select: (stationId: string) => boolean): Promise<string[]> {
    // Nothing of these stations is in flight: whatever was handed before is committed first.
    await this.flush();
    const reloaded = await reloadStations(this.#ctx, select);
    // Not awaited: during a node failover the downlink may take seconds to reconnect, and the next
    // partition's takeover must not wait for it (a resend request is a hint, as an ack is).
    this.#ctx.background.fireAndForget(this.#requestResend(reloaded));
    return reloaded;
  }

  async #requestResend(stationIds: readonly string[]): Promise<void> {
    const stations = stationIds.map((id) => this.#stations.get(id)).filter((s) => s !== undefined);
    for (const station of stations) {
      if (station.tracker.ackedSeq > 0) this.#committer.open.touched.add(station.record.stationId);
    }
    this.#committer.schedule();
    await Promise.all(stations.map((s) => this.sendResend(s.record.stationId, s.tracker.ackedSeq + 1)));
  }

  get idle(): boolean {
    return (
      this.#queue.length === 0 &&
      !this.#queue.busy &&
      this.#committer.open.empty &&
      this.#committer.inFlight === 0 &&
      this.#acks.size === 0 &&
      this.#background.size === 0
    );
  }

  /** Commit what is pending and wait until nothing is in flight (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#fatal !== undefined) throw this.#fatal;
      this.#committer.seal();
      if (this.#committer.inFlight === 0) this.#acks.sendDue();
      if (this.idle) return;
      await new Promise<void>((resolve) => {
        let timer: TimerHandle | undefined;
        const done = (): void => {
          this.off('idle-check', done);
          if (timer !== undefined) this.#clock.clearTimeout(timer);
          resolve();
        };
        this.on('idle-check', done);
        // A safety net on the clock's time: every step that can make the pipeline idle emits
        // 'idle-check' (a fake clock never fires this).
        timer = this.#clock.setTimeout(done, batchDelayMsMax);
      });
    }
  }

  /** Stop intake, commit what was accepted, and wait for background work. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#silenceTimer !== undefined) this.#clock.clearTimeout(this.#silenceTimer);
    this.#silenceTimer = undefined;
    await this.flush();
  }

  #die(error: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error instanceof Error ? error : new Error(String(error));
    this.#log.error(errorFields(error), 'fatal');
    this.emit('fatal', this.#fatal);
    this.emit('idle-check');
  }
}
