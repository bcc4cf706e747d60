// The kiosk's MQTT link (mqtt.js 5, MQTT 3.1.1 = protocolVersion 4, QoS 1, client id = station
// id). mqtt.js keeps its queue in memory and reconnects on a fixed period; neither fits a kiosk,
// so reconnectPeriod is 0 and this class drives reconnects itself (capped exponential backoff
// with jitter) with a fresh client per attempt. The SQLite outbox is the source of truth: rows
// are published in seq order with at most `windowMax` in flight and leave the outbox only when
// HQ's cumulative ack covers them. Each attempt takes the next persisted bdSeq, registers a
// signed Death{bdSeq} as the last will and publishes Birth{bdSeq} after CONNACK (Sparkplug B).
// Several brokers (config mqtt.urls, the nodes of a cluster): each attempt goes to one of them,
// the first at start; a failed connect or a lost connection moves to the next in the list
// (domain/outbox/broker-rotation.ts), after the same backoff. Each attempt logs its broker.
// While online, a down channel that stays silent while the kiosk awaits its answer gets the down
// subscriptions renewed (downlink-renewal.ts: a NATS MQTT consumer can die with its node while
// the connection lives).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { backoffDelayMs } from '../../domain/outbox/backoff.js';
import { nextBrokerIndex } from '../../domain/outbox/broker-rotation.js';
import type { DownlinkStallPolicy } from '../../domain/outbox/downlink-watch.js';
import {
  applyAck,
  inFlightCount,
  markSent,
  type OutboxWindow,
  planSends,
  rewind,
  startWindow,
} from '../../domain/outbox/window.js';
import { mqttBrokerUrlsMax } from '../../limits.js';
import type { ClockPort, TimerHandle } from '../../ports/clock.js';
import type { OutboxPort } from '../../ports/outbox.js';
import type {
  DirectSendOptions,
  DownlinkCounts,
  DownMessage,
  LinkState,
  PublisherPort,
} from '../../ports/publisher.js';
import { DownlinkRenewal } from './downlink-renewal.js';
import { loadMqttTls, type MqttTlsFiles, type MqttTlsOptions } from './tls.js';

export interface StatusMessages {
  /** Takes the next bdSeq and persists it before returning (strictly increasing across restarts). */
  nextBdSeq(): number;
  death(bdSeq: number): Promise<Uint8Array>;
  birth(bdSeq: number): Promise<Uint8Array>;
  telemetry(bdSeq: number): Promise<Uint8Array>;
}

export interface MqttLinkTopics {
  readonly event: string;
  readonly birth: string;
  readonly death: string;
  readonly telemetry: string;
  /** Down topics to subscribe to (QoS 1). */
  readonly subscribe: readonly string[];
  /** The down topic of HQ's acks (one of `subscribe`): it answers journaled events. */
  readonly ack: string;
  /** The down topic of authorisation responses (one of `subscribe`): it answers sendDirect(..., { expectsAnswer }). */
  readonly authResponse: string;
}

export interface MqttLinkOptions {
  /** The broker, when `brokerUrls` is absent. */
  readonly brokerUrl: string;
  /** Brokers in the order tried (1..mqttBrokerUrlsMax); default [brokerUrl]. */
  readonly brokerUrls?: readonly string[];
  readonly stationId: string;
  readonly username?: string;
  readonly password?: string;
  /** TLS files (config mqtt.tls); required by the production broker. Read once, in the constructor. */
  readonly tls?: MqttTlsFiles;
  readonly topics: MqttLinkTopics;
  readonly outbox: OutboxPort;
  readonly status: StatusMessages;
  readonly clock: ClockPort;
  readonly logger: Logger;
  /** Events published and not yet acknowledged by HQ, at most. */
  readonly windowMax: number;
  /** No ack progress for this long with events in flight: send them again. */
  readonly ackTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds: number;
  /** Acks are applied to the window at once but outbox rows are deleted at most this often (one fsync per batch). */
  readonly ackFlushMs: number;
  /** Waits (ms) of silence on an awaited down channel before its subscriptions are renewed. */
  readonly downlinkStall: DownlinkStallPolicy;
  /** A renewal's UNSUBACK or SUBACK within this (ms), or it counts as refused. */
  readonly downlinkRenewTimeoutMs: number;
  /** Makes the client of one connect attempt; default mqtt.connect (tests wrap it to reach the client). */
  readonly connect?: (brokerUrl: string, options: IClientOptions) => MqttClient;
}

export class MqttLink implements PublisherPort {
  readonly #options: MqttLinkOptions;
  readonly #log: Logger;
  readonly #tls: MqttTlsOptions | undefined;
  #state: LinkState = { kind: 'idle' };
  readonly #brokerUrls: readonly string[];
  /** Index in #brokerUrls of the broker the current (or next) attempt goes to. */
  #brokerIndex = 0;
  #client: MqttClient | null = null;
  #window: OutboxWindow;
  #retryTimer: TimerHandle | null = null;
  #heartbeatTimer: TimerHandle | null = null;
  #ackTimer: TimerHandle | null = null;
  #pumping = false;
  #flushTimer: TimerHandle | null = null;
  #flushedThroughSeq: number;
  /** The signed Death of the current connection (its last will), published on a clean stop. */
  #will: Uint8Array | null = null;
  readonly #downHandlers: ((message: DownMessage) => void)[] = [];
  readonly #stateHandlers: ((state: LinkState) => void)[] = [];
  readonly #renewal: DownlinkRenewal;

  constructor(options: MqttLinkOptions) {
    if (options.windowMax < 1) throw new Error('assert: windowMax >= 1');
    this.#options = options;
    this.#brokerUrls = options.brokerUrls ?? [options.brokerUrl];
    if (this.#brokerUrls.length < 1 || this.#brokerUrls.length > mqttBrokerUrlsMax)
      throw new Error(`assert: 1..${mqttBrokerUrlsMax} broker URLs`);
    this.#tls = options.tls === undefined ? undefined : loadMqttTls(options.tls);
    this.#log = options.logger.child({ component: 'mqtt-link' });
    this.#window = startWindow(options.outbox.ackedThroughSeq());
    this.#flushedThroughSeq = this.#window.ackedThroughSeq;
    this.#renewal = new DownlinkRenewal({
      policy: options.downlinkStall,
      channelTopics: { ack: options.topics.ack, answer: options.topics.authResponse },
      subscribe: options.topics.subscribe,
      renewTimeoutMs: options.downlinkRenewTimeoutMs,
      clock: options.clock,
      logger: options.logger,
      eventsUnacknowledged: () => options.outbox.headSeq() > this.#window.ackedThroughSeq,
      onRenewed: (client) => {
        // HQ's acks of the silence went to the dead subscription: send the window again, HQ acks anew.
        if (this.#client !== client || this.#state.kind !== 'online') return;
        this.#window = rewind(this.#window);
        this.#pump();
      },
    });
  }

  state(): LinkState {
    return this.#state;
  }

  /** The broker the current (or next) connection attempt goes to. */
  brokerUrl(): string {
    return this.#brokerUrls[this.#brokerIndex]!;
  }

  /** Down subscription renewals since start (the agent's status). */
  downlinkCounts(): DownlinkCounts {
    return this.#renewal.counts();
  }

  onDown(handler: (message: DownMessage) => void): void {
    this.#downHandlers.push(handler);
  }

  onStateChange(handler: (state: LinkState) => void): void {
    this.#stateHandlers.push(handler);
  }

  start(): void {
    if (this.#state.kind !== 'idle') throw new Error('assert: start() once');
    void this.#connect(1);
  }

  /**
   * Stops for good. When online, first publishes the Death registered as the last will (a clean
   * DISCONNECT makes the broker drop the will, and HQ must still see the station go away).
   */
  async stop(): Promise<void> {
    this.#flushAcks();
    this.#retryTimer?.cancel();
    this.#heartbeatTimer?.cancel();
    this.#ackTimer?.cancel();
    this.#renewal.offline();
    const client = this.#client;
    const wasOnline = this.#state.kind === 'online';
    this.#client = null;
    this.#setState({ kind: 'stopped' });
    if (client === null) return;
    if (wasOnline && this.#will !== null) {
      const published = client
        .publishAsync(this.#options.topics.death, Buffer.from(this.#will), { qos: 1 })
        .then(() => client.endAsync(false)) // DISCONNECT: the broker drops the will (no second Death)
        .catch((error: unknown) =>
          this.#log.warn({ code: 'AGENT_LINK_PUBLISH_FAILED', err: String(error) }, 'death not published'),
        );
      // A broker that stopped answering must not hold the shutdown: give up after the connect timeout.
      let timer: TimerHandle | null = null;
      await Promise.race([
        published,
        new Promise<void>((resolve) => {
          timer = this.#options.clock.setTimer(this.#options.connectTimeoutMs, resolve);
        }),
      ]);
      (timer as TimerHandle | null)?.cancel();
    }
    await client.endAsync(true).catch(() => undefined);
  }

  outboxChanged(): void {
    this.#pump();
    this.#renewal.changed();
  }

  acknowledged(ackSeq: number): void {
    // An ack that arrives while stop() publishes the Death must not arm the flush timer: it would
    // fire after the journal is closed and crash the shutdown. HQ sees those events again (dedupes).
    if (this.#state.kind === 'stopped') return;
    const verdict = applyAck(this.#window, ackSeq, this.#options.outbox.headSeq());
    if (verdict.kind === 'beyond_head') {
      this.#log.warn({ code: 'AGENT_ACK_BEYOND_HEAD', ackSeq }, 'HQ acked a seq never stored; ignored');
      return;
    }
    if (verdict.kind === 'stale') return;
    this.#window = verdict.window;
    if (this.#flushTimer === null) {
      this.#flushTimer = this.#options.clock.setTimer(this.#options.ackFlushMs, () => this.#flushAcks());
    }
    this.#armAckTimer(true);
    this.#pump();
    this.#renewal.changed();
  }

  async sendDirect(topic: string, payload: Uint8Array, options: DirectSendOptions = {}): Promise<boolean> {
    const client = this.#client;
    if (client === null || this.#state.kind !== 'online') return false;
    try {
      await client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
      if (options.expectsAnswer === true && this.#client === client) this.#renewal.answerExpected();
      return true;
    } catch (error) {
      this.#log.warn({ code: 'AGENT_LINK_PUBLISH_FAILED', err: String(error) }, 'direct publish failed');
      return false;
    }
  }

  resendUnacked(): void {
    this.#window = rewind(this.#window);
    this.#pump();
  }

  /**
   * Deletes acknowledged rows, once per batch of acks: each delete is an fsync'd commit, and HQ
   * acks every event. Until the flush a crash only means HQ sees those events again (it dedupes).
   */
  #flushAcks(): void {
    this.#flushTimer?.cancel();
    this.#flushTimer = null;
    const through = this.#window.ackedThroughSeq;
    if (through <= this.#flushedThroughSeq) return;
    this.#options.outbox.acknowledgeThrough(through);
    this.#flushedThroughSeq = through;
  }

  /** For telemetry and tests. */
  window(): OutboxWindow {
    return this.#window;
  }

  #isStopped(): boolean {
    return this.#state.kind === 'stopped';
  }

  #setState(state: LinkState): void {
    this.#state = state;
    for (const handler of this.#stateHandlers) handler(state);
  }

  async #connect(attempt: number): Promise<void> {
    if (this.#state.kind === 'stopped') return;
    const options = this.#options;
    this.#setState({ kind: 'connecting', attempt, sinceMs: options.clock.nowMs() });
    const bdSeq = options.status.nextBdSeq();
    let will: Uint8Array;
    try {
      will = await options.status.death(bdSeq);
    } catch (error) {
      this.#scheduleRetry(attempt, 'AGENT_LINK_SIGN_FAILED', error);
      return;
    }
    if (this.#isStopped()) return;
    this.#will = will;
    const brokerUrl = this.brokerUrl();
    this.#log.info({ brokerUrl, brokerIndex: this.#brokerIndex, attempt }, 'connecting');
    const client = (options.connect ?? mqtt.connect)(brokerUrl, {
      clientId: options.stationId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs,
      keepalive: options.keepaliveSeconds,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: options.topics.death, payload: Buffer.from(will), qos: 1, retain: false },
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(this.#tls === undefined ? {} : this.#tls),
    });
    this.#client = client;
    let settled = false;
    const lost = (code: string, error?: unknown): void => {
      if (settled || this.#client !== client) return;
      settled = true;
      this.#onLost(client, attempt, code, error);
    };
    client.on('error', (error) => lost('AGENT_LINK_ERROR', error));
    client.on('close', () => lost('AGENT_LINK_CLOSED'));
    client.on('offline', () => lost('AGENT_LINK_OFFLINE'));
    client.on('message', (topic, payload) => {
      if (this.#client === client) this.#renewal.heard(topic);
      const message = { topic, payload: new Uint8Array(payload) };
      for (const handler of this.#downHandlers) handler(message);
    });
    client.on('connect', () => {
      void this.#onConnected(client, bdSeq).catch((error: unknown) => lost('AGENT_LINK_ERROR', error));
    });
  }

  async #onConnected(client: MqttClient, bdSeq: number): Promise<void> {
    const options = this.#options;
    await client.subscribeAsync(
      options.topics.subscribe.map((topic) => topic),
      { qos: 1 },
    );
    const birth = await options.status.birth(bdSeq);
    await client.publishAsync(options.topics.birth, Buffer.from(birth), { qos: 1 });
    if (this.#client !== client) return;
    this.#window = rewind(this.#window);
    this.#setState({ kind: 'online', sinceMs: options.clock.nowMs(), bdSeq });
    this.#log.info(
      { bdSeq, ackedThroughSeq: this.#window.ackedThroughSeq, brokerUrl: this.brokerUrl() },
      'link online',
    );
    this.#armHeartbeat(client, bdSeq);
    this.#renewal.online(client);
    this.#pump();
  }

  #onLost(client: MqttClient, attempt: number, code: string, error?: unknown): void {
    this.#heartbeatTimer?.cancel();
    this.#ackTimer?.cancel();
    this.#ackTimer = null;
    this.#renewal.offline();
    this.#client = null;
    client.removeAllListeners('connect');
    client.on('error', () => undefined);
    client.end(true);
    this.#window = rewind(this.#window);
    const wasOnline = this.#state.kind === 'online';
    const from = this.brokerUrl();
    this.#brokerIndex = nextBrokerIndex(this.#brokerIndex, this.#brokerUrls.length);
    if (this.#brokerUrls.length > 1)
      this.#log.info({ code, from, next: this.brokerUrl() }, 'moving to the next broker');
    this.#scheduleRetry(wasOnline ? 1 : attempt, code, error);
  }

  #scheduleRetry(attempt: number, code: string, error?: unknown): void {
    if (this.#state.kind === 'stopped') return;
    const options = this.#options;
    const delayMs = backoffDelayMs(options, attempt, options.clock.random01());
    this.#log.warn(
      { code, attempt, delayMs, err: error === undefined ? undefined : String(error) },
      'link down',
    );
    this.#setState({
      kind: 'backoff',
      attempt,
      retryAtMs: options.clock.nowMs() + delayMs,
      lastErrorCode: code,
    });
    this.#retryTimer = options.clock.setTimer(delayMs, () => {
      this.#retryTimer = null;
      void this.#connect(attempt + 1);
    });
  }

  #armHeartbeat(client: MqttClient, bdSeq: number): void {
    const options = this.#options;
    this.#heartbeatTimer = options.clock.setTimer(options.heartbeatMs, () => {
      if (this.#client !== client) return;
      void options.status
        .telemetry(bdSeq)
        .then((payload) => client.publishAsync(options.topics.telemetry, Buffer.from(payload), { qos: 0 }))
        .catch((error: unknown) => this.#log.warn({ code: 'AGENT_LINK_PUBLISH_FAILED', err: String(error) }))
        .finally(() => {
          if (this.#client === client) this.#armHeartbeat(client, bdSeq);
        });
    });
  }

  /** (Re)starts the ack timer when events are in flight; `progress` means an ack just moved. */
  #armAckTimer(progress: boolean): void {
    if (progress) {
      this.#ackTimer?.cancel();
      this.#ackTimer = null;
    }
    if (this.#ackTimer !== null || inFlightCount(this.#window) === 0 || this.#state.kind !== 'online') return;
    this.#ackTimer = this.#options.clock.setTimer(this.#options.ackTimeoutMs, () => {
      this.#ackTimer = null;
      if (inFlightCount(this.#window) === 0) return;
      this.#log.warn({ code: 'AGENT_ACK_TIMEOUT', ...this.#window }, 'no ack in time; resending the window');
      this.#window = rewind(this.#window);
      this.#pump();
    });
  }

  /** Publishes what the window allows. Re-entrant calls coalesce. */
  #pump(): void {
    if (this.#pumping) return;
    const client = this.#client;
    if (client === null || this.#state.kind !== 'online') return;
    this.#pumping = true;
    try {
      for (;;) {
        const plan = planSends(this.#window, this.#options.outbox.headSeq(), this.#options.windowMax);
        if (plan === null) break;
        const rows = this.#options.outbox.read(plan.fromSeq, plan.toSeq);
        if (rows.length !== plan.toSeq - plan.fromSeq + 1 || rows[0]?.seq !== plan.fromSeq) {
          throw new Error(`assert: outbox rows ${plan.fromSeq}..${plan.toSeq} missing`);
        }
        for (const row of rows) {
          client.publish(this.#options.topics.event, Buffer.from(row.envelopeBytes), { qos: 1 }, (error) => {
            if (error !== undefined && error !== null) {
              this.#log.warn({ code: 'AGENT_LINK_PUBLISH_FAILED', seq: row.seq, err: String(error) });
            }
          });
        }
        this.#window = markSent(this.#window, plan.toSeq);
      }
    } finally {
      this.#pumping = false;
    }
    this.#armAckTimer(false);
  }
}
