// One simulated kiosk inside a swarm process: a real MQTT 3.1.1 session as the station's own broker
// user (persistent session, QoS 1, a signed death as its last will, a birth on every connect), its
// journaled events sealed ahead of time (sealer.ts) and sent in seq order through an outbox that
// only HQ's cumulative ack empties, resent on HQ's resend command or when acks stall. Withdrawals
// do the round trip: the request is signed when sent (its expiry is the kiosk's own deadline),
// then the kiosk waits for the answer: approved -> authorised + posted; declined -> declined; no
// answer in time -> reversed (R5). When the answer leaves the plan, the rest of the day is re-sealed
// from that point. The kiosk keeps its own totals and a digest of its journal for the final check.
import { createHash } from 'node:crypto';
import { openEnvelope, PayloadType, upTopic } from '@bianmin/wire';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type DownlinkStallPolicy,
  renewalWaitMs,
} from '../../packages/device-agent/src/domain/outbox/downlink-watch.js';
import { downlinkStallMsInitial, downlinkStallMsMax } from '../../packages/device-agent/src/limits.js';
import {
  gracefulEndMsMax,
  subscribeAttemptsMax,
  subscribeRetryMsCap,
  subscribeRetryMsMin,
} from './limits.js';
import type { StationPlan } from './plan.js';
import type { SealedEvent, StationSealer, WithdrawalIds } from './sealer.js';

/** The real agent's downlink policy (one home): first wait 10-20 s, doubling with jitter up to 5 min. */
const stallPolicy: DownlinkStallPolicy = {
  stallMsInitial: downlinkStallMsInitial,
  stallMsMax: downlinkStallMsMax,
};

export const bookedTypes = ['CASH_WITHDRAWAL', 'BILL_PAYMENT', 'MOBILE_TOPUP'] as const;
export type BookedType = (typeof bookedTypes)[number];
export interface TypeTotals {
  count: number;
  amountFen: number;
  feeFen: number;
}

/** What a kiosk reports at the end: compared with what HQ stored. */
export interface KioskReport {
  readonly stationId: string;
  readonly lastSeq: number;
  readonly ackedSeq: number;
  /** SHA-256 over the hex SHA-256 of every journaled envelope, in seq order. */
  readonly journalDigest: string;
  readonly totals: Record<BookedType, TypeTotals>;
  readonly auth: { sent: number; approved: number; declined: number; reversed: number; late: number };
  readonly outboxDepth: number;
}

export interface KioskSettings {
  readonly servers: readonly { host: string; port: number }[];
  readonly password: string;
  readonly tpk: Uint8Array;
  readonly pan: string;
  readonly pin: string;
  readonly authWaitMs: number;
  /** Called when HQ's ack covers an event first published at `firstPublishedAtMs`. */
  readonly onAcked: (stationId: string, count: number, firstPublishedAtMs: number) => void;
}

/** A step made ready to run: its journaled events sealed (a withdrawal: the approved path). */
interface Prepared {
  readonly events: SealedEvent[];
  readonly withdrawal?: WithdrawalIds;
}

export class Kiosk {
  readonly plan: StationPlan;
  readonly #sealer: StationSealer;
  readonly #settings: KioskSettings;
  readonly #prepared: Prepared[] = [];
  /** The journal: every sealed event in seq order (index seq - 1). */
  readonly #journal: SealedEvent[] = [];
  readonly #firstPublishedAtMs: number[] = [];
  readonly #outbox = new Map<number, Uint8Array>();
  readonly #totals: Record<BookedType, TypeTotals> = {
    CASH_WITHDRAWAL: { count: 0, amountFen: 0, feeFen: 0 },
    BILL_PAYMENT: { count: 0, amountFen: 0, feeFen: 0 },
    MOBILE_TOPUP: { count: 0, amountFen: 0, feeFen: 0 },
  };
  readonly auth = { sent: 0, approved: 0, declined: 0, reversed: 0, late: 0 };
  readonly #pendingAuth = new Map<string, (answer: AuthAnswer | null) => void>();
  #client: MqttClient | undefined;
  #online = false;
  #bdSeq = 0;
  #quotaFen = 0;
  ackedSeq = 0;
  lastAckProgressAtMs = 0;
  #lastResendAtMs = 0;
  #stepIndex = 0;

  constructor(plan: StationPlan, sealer: StationSealer, settings: KioskSettings) {
    this.plan = plan;
    this.#sealer = sealer;
    this.#settings = settings;
  }

  get stationId(): string {
    return this.plan.stationId;
  }

  get outboxDepth(): number {
    return this.#outbox.size;
  }

  get lastSeq(): number {
    return this.#journal.length;
  }

  /** Seal the whole planned day ahead of time (createdAtMs: `dayStartMs` + each step's offset). */
  prepare(dayStartMs: number): void {
    this.#journal.length = 0;
    const opening = this.#sealer.quotaApplied(
      `qp-${this.stationId}`,
      this.plan.purchaseFen,
      this.plan.purchaseFen,
      dayStartMs,
    );
    this.#quotaFen = this.plan.purchaseFen;
    this.#openingEvent = opening;
    this.#sealFrom(0, dayStartMs);
  }

  #openingEvent: SealedEvent | undefined;

  /** (Re-)seal steps from `index` on, continuing the sealer's seq and chain. */
  #sealFrom(index: number, dayStartMs: number): void {
    let quotaFen = this.#quotaFen;
    this.#prepared.length = index;
    for (const step of this.plan.steps.slice(index)) {
      const atMs = Math.max(dayStartMs + step.atMs, this.#sealedAtLeastMs);
      if (step.kind === 'bill' || step.kind === 'topup') {
        quotaFen -= step.amountFen;
        if (!(quotaFen >= 0)) throw new Error('assert: the plan never takes the quota below zero (R2)');
        const event =
          step.kind === 'bill'
            ? this.#sealer.billPayment(step.amountFen, quotaFen, atMs)
            : this.#sealer.mobileTopUp(step.amountFen, quotaFen, atMs);
        this.#prepared.push({ events: [event] });
      } else if (step.kind === 'withdrawal') {
        const ids = {
          requestId: `rq-${this.stationId}-${this.#prepared.length}-${this.#sealer.nextSeq}`,
          transactionId: `wd-${this.stationId}-${this.#prepared.length}-${this.#sealer.nextSeq}`,
          pan: this.#settings.pan,
          amountFen: step.amountFen,
        };
        const authorised = this.#sealer.withdrawalAuthorised(ids, 'sim-bank', atMs);
        const posted = this.#sealer.withdrawalPosted(ids, 'sim-bank', atMs);
        this.#prepared.push({ events: [authorised, posted], withdrawal: ids });
      } else {
        this.#prepared.push({ events: [] });
      }
    }
  }

  /** When the day's first connect was subscribed (the connect storm's figure); undefined before. */
  firstConnectedAtMs: number | undefined;

  /** Re-sealed events must not go back in time (HQ's ledger orders a station's events by seq). */
  #sealedAtLeastMs = 0;

  /** Run the day: each step at its offset from `dayStartMs` (wall clock), in order. */
  async run(dayStartMs: number): Promise<void> {
    await this.#connect();
    this.#journalAndSend([this.#openingEvent!]);
    for (this.#stepIndex = 0; this.#stepIndex < this.plan.steps.length; this.#stepIndex += 1) {
      const step = this.plan.steps[this.#stepIndex]!;
      const waitMs = dayStartMs + step.atMs - Date.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const prepared = this.#prepared[this.#stepIndex]!;
      switch (step.kind) {
        case 'bill':
          this.#book('BILL_PAYMENT', step.amountFen, 0);
          this.#quotaFen -= step.amountFen;
          this.#journalAndSend(prepared.events);
          break;
        case 'topup':
          this.#book('MOBILE_TOPUP', step.amountFen, 0);
          this.#quotaFen -= step.amountFen;
          this.#journalAndSend(prepared.events);
          break;
        case 'withdrawal':
          await this.#withdraw(prepared, dayStartMs);
          break;
        case 'telemetry':
          this.#sendStatus(
            'telemetry',
            this.#sealer.telemetry(this.#bdSeq, this.lastSeq, this.#quotaFen, Date.now()),
          );
          break;
        case 'offline':
          await this.#goOffline();
          break;
        case 'online':
          await this.#connect();
          break;
      }
    }
  }

  async #withdraw(prepared: Prepared, dayStartMs: number): Promise<void> {
    const ids = prepared.withdrawal!;
    const nowMs = Date.now();
    const request = this.#sealer.authRequest(
      {
        ...ids,
        pin: this.#settings.pin,
        tpk: this.#settings.tpk,
        expiresAtMs: nowMs + this.#settings.authWaitMs,
      },
      nowMs,
    );
    this.auth.sent += 1;
    const answer = await new Promise<AuthAnswer | null>((resolve) => {
      const timer = setTimeout(() => {
        this.#pendingAuth.delete(ids.requestId);
        resolve(null);
      }, this.#settings.authWaitMs);
      this.#pendingAuth.set(ids.requestId, (value) => {
        clearTimeout(timer);
        this.#pendingAuth.delete(ids.requestId);
        resolve(value);
      });
      this.#client?.publish(upTopic(this.stationId, 'auth-req'), Buffer.from(request), { qos: 1 });
    });
    if (answer !== null && answer.decision === 1) {
      this.auth.approved += 1;
      this.#book('CASH_WITHDRAWAL', ids.amountFen, 100);
      this.#journalAndSend(prepared.events);
      return;
    }
    // Off the plan: journal the real outcome in place of the approved path, re-seal the rest.
    const first = prepared.events[0]!;
    const prev = this.#journal.at(-1);
    this.#sealer.rewind(first.seq, prev === undefined ? undefined : Buffer.from(prev.sha256Hex, 'hex'));
    const atMs = Date.now();
    this.#sealedAtLeastMs = atMs;
    let event: SealedEvent;
    if (answer === null) {
      this.auth.reversed += 1;
      event = this.#sealer.withdrawalReversed(ids, atMs);
    } else {
      this.auth.declined += 1;
      event = this.#sealer.withdrawalDeclined(ids, answer.declineReason, answer.bankResponseCode, atMs);
    }
    this.#journalAndSend([event]);
    this.#sealFrom(this.#stepIndex + 1, dayStartMs);
  }

  #book(type: BookedType, amountFen: number, feeFen: number): void {
    const totals = this.#totals[type];
    totals.count += 1;
    totals.amountFen += amountFen;
    totals.feeFen += feeFen;
  }

  #journalAndSend(events: readonly SealedEvent[]): void {
    for (const event of events) {
      if (!(event.seq === this.#journal.length + 1)) throw new Error('assert: journal seqs are contiguous');
      this.#journal.push(event);
      this.#outbox.set(event.seq, event.bytes);
      if (this.#online) this.#publishEvent(event.seq, event.bytes);
    }
  }

  #publishEvent(seq: number, bytes: Uint8Array): void {
    if (this.#firstPublishedAtMs[seq] === undefined) this.#firstPublishedAtMs[seq] = Date.now();
    this.#client?.publish(upTopic(this.stationId, 'event'), Buffer.from(bytes), { qos: 1 });
  }

  /** Send the outbox from `fromSeq` in seq order (a drain, HQ's resend command, a stall). */
  resend(fromSeq = 1): void {
    if (!this.#online) return;
    this.#lastResendAtMs = Date.now();
    const seqs = [...this.#outbox.keys()].filter((seq) => seq >= fromSeq).sort((a, b) => a - b);
    for (const seq of seqs) this.#publishEvent(seq, this.#outbox.get(seq)!);
  }

  /** The swarm's watchdog: resend when acks stalled with events outstanding. */
  checkStall(nowMs: number): void {
    if (this.#outbox.size === 0 || !this.#online) return;
    const since = Math.max(this.lastAckProgressAtMs, this.#lastResendAtMs);
    if (nowMs - since <= this.#stallWaitMs) return;
    // The kiosk agent's waits (downlink-watch.ts): capped exponential backoff with jitter, so a
    // fleet whose HQ is down does not resend and renew in lockstep.
    this.#stallRenewals += 1;
    this.#stallWaitMs = renewalWaitMs(stallPolicy, this.#stallRenewals, Math.random());
    this.resend(this.ackedSeq + 1);
    void this.#renewSubscription();
  }

  #renewing = false;

  /**
   * Acks stalled: the downlink may be dead while the connection lives. NATS MQTT delivers a QoS 1
   * subscription through a JetStream consumer; an R1 one on a killed node delivers nothing more,
   * and a SUBSCRIBE on top of the session's subscription changes nothing: unsubscribe, then
   * subscribe again (refused until the cluster gave up on the dead consumer: #subscribe retries).
   */
  async #renewSubscription(): Promise<void> {
    const client = this.#client;
    if (this.#renewing || client === undefined) return;
    this.#renewing = true;
    try {
      await client.unsubscribeAsync(this.#downFilter).catch(() => undefined);
      await this.#subscribe(client);
    } finally {
      this.#renewing = false;
    }
  }

  get #downFilter(): string {
    return `bianmin/v1/st/${this.stationId}/down/#`;
  }

  /** Stalls (resend + renewal) since the last ack progress, and the wait before the next one. */
  #stallRenewals = 0;
  #stallWaitMs = renewalWaitMs(stallPolicy, 0, Math.random());

  #sendStatus(channel: 'telemetry' | 'birth' | 'death', bytes: Uint8Array): void {
    this.#client?.publish(upTopic(this.stationId, channel), Buffer.from(bytes), {
      qos: channel === 'telemetry' ? 0 : 1,
    });
  }

  async #connect(): Promise<void> {
    this.#bdSeq += 1;
    const bdSeq = this.#bdSeq;
    const will = this.#sealer.death(bdSeq, Date.now());
    const client = mqtt.connect({
      servers: this.#settings.servers.map((server) => ({ ...server })),
      protocolVersion: 4,
      clientId: this.stationId,
      username: this.stationId,
      password: this.#settings.password,
      clean: false,
      keepalive: 30,
      // Spread reconnects over time: 10,000 kiosks must not hit a surviving node in the same ms.
      reconnectPeriod: 500 + Math.floor(Math.random() * 1_500),
      connectTimeout: 10_000,
      // Subscribed here (#subscribe), not by mqtt.js: a refused SUBSCRIBE must be retried.
      resubscribe: false,
      will: { topic: upTopic(this.stationId, 'death'), payload: Buffer.from(will), qos: 1, retain: false },
    });
    this.#client = client;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    client.on('error', () => undefined); // reconnect handles it; the summary counts what matters
    let first = true;
    client.on('connect', (connack) => {
      this.#sendStatus('birth', this.#sealer.birth(bdSeq, this.lastSeq, Date.now()));
      // A broker that kept the session keeps its subscription; a fresh session needs it again.
      if (!first && !connack.sessionPresent) void this.#subscribe(client);
      first = false;
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await this.#subscribe(client);
    this.firstConnectedAtMs ??= Date.now();
    this.#online = true;
    this.resend(this.ackedSeq + 1);
  }

  /**
   * SUBSCRIBE to the station's down topics until the broker grants it: nats-server 2.9.10 refuses
   * some (SUBACK 0x80) for a while after a node died. Capped exponential backoff with jitter; a
   * kiosk that never gets its downlink fails the swarm rather than waiting for acks forever.
   */
  async #subscribe(client: MqttClient): Promise<void> {
    let waitMs = subscribeRetryMsMin;
    for (let attempt = 0; attempt < subscribeAttemptsMax; attempt += 1) {
      if (this.#client !== client) return; // went offline meanwhile: the next connect subscribes
      const granted = await client.subscribeAsync(this.#downFilter, { qos: 1 }).catch(() => undefined);
      if (granted?.every((grant) => grant.qos !== 128)) return;
      this.subscribeRefusals += 1;
      await new Promise((resolve) => setTimeout(resolve, waitMs * (0.75 + Math.random() * 0.5)));
      waitMs = Math.min(subscribeRetryMsCap, waitMs * 2);
    }
    throw new Error(`${this.stationId}: SUBSCRIBE refused ${subscribeAttemptsMax} times`);
  }

  /** SUBSCRIBEs the broker refused (or that failed) and were tried again. */
  subscribeRefusals = 0;

  async #goOffline(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    this.#sendStatus('death', this.#sealer.death(this.#bdSeq, Date.now()));
    this.#online = false;
    this.#client = undefined;
    // A graceful end waits for the in-flight QoS 1 publishes; with the link already broken (its
    // node killed) they never complete, so the line drops after a bound, as a real one would. The
    // outbox resends whatever HQ had not acknowledged after the next connect.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      client.endAsync(false).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), gracefulEndMsMax);
      }),
    ]);
    clearTimeout(timer);
    if (!ended) await client.endAsync(true);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const channel = topic.slice(topic.lastIndexOf('/') + 1);
    if (channel === 'config') return; // retained StationConfig: this simulator needs none of it
    const opened = openEnvelope(new Uint8Array(payload));
    if (opened.type === PayloadType.PAYLOAD_TYPE_ACK) {
      this.#onAck(opened.body.handledThroughSeq);
    } else if (opened.type === PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE) {
      const body = opened.body;
      const resolve = this.#pendingAuth.get(body.requestId);
      if (resolve === undefined) this.auth.late += 1;
      else
        resolve({
          decision: body.decision,
          declineReason: body.declineReason,
          bankResponseCode: body.bankResponseCode,
        });
    } else if (opened.type === PayloadType.PAYLOAD_TYPE_COMMAND) {
      const fromSeq = opened.body.resendFrom?.fromSeq;
      if (fromSeq !== undefined && fromSeq !== null) this.resend(Number(fromSeq));
    }
  }

  #onAck(handledThroughSeq: number): void {
    if (handledThroughSeq <= this.ackedSeq) return;
    const through = Math.min(handledThroughSeq, this.lastSeq);
    let firstPublishedAtMs = 0;
    for (let seq = this.ackedSeq + 1; seq <= through; seq += 1) {
      this.#outbox.delete(seq);
      firstPublishedAtMs = Math.max(firstPublishedAtMs, this.#firstPublishedAtMs[seq] ?? 0);
    }
    const count = through - this.ackedSeq;
    this.ackedSeq = through;
    this.lastAckProgressAtMs = Date.now();
    this.#stallRenewals = 0;
    this.#stallWaitMs = renewalWaitMs(stallPolicy, 0, Math.random());
    this.#settings.onAcked(this.stationId, count, firstPublishedAtMs);
  }

  /** All journaled events acknowledged by HQ. */
  get drained(): boolean {
    return this.#outbox.size === 0 && this.ackedSeq === this.lastSeq;
  }

  /** The journal's events in seq order (the raw-pipe baseline republishes these bytes). */
  journalBytes(): readonly Uint8Array[] {
    return this.#journal.map((event) => event.bytes);
  }

  report(): KioskReport {
    const digest = createHash('sha256');
    for (const event of this.#journal) digest.update(event.sha256Hex);
    return {
      stationId: this.stationId,
      lastSeq: this.lastSeq,
      ackedSeq: this.ackedSeq,
      journalDigest: digest.digest('hex'),
      totals: structuredClone(this.#totals),
      auth: { ...this.auth },
      outboxDepth: this.#outbox.size,
    };
  }

  async close(): Promise<void> {
    for (const resolve of this.#pendingAuth.values()) resolve(null);
    const client = this.#client;
    this.#client = undefined;
    this.#online = false;
    if (client !== undefined) await client.endAsync(true);
  }
}

interface AuthAnswer {
  readonly decision: number;
  readonly declineReason: number;
  readonly bankResponseCode: string;
}
