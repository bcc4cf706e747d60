// HQ's MQTT link (mqtt.js 5, MQTT 3.1.1 so aedes and NATS work too): a persistent session
// (clean: false, fixed client id) subscribed at QoS 1 to every station's up-topics, or through a
// shared subscription for scale-out. Intake back-pressure: mqtt.js reads the next packet only
// after handleMessage's callback, which waits while the ingest queue is full. Reconnects use
// capped exponential back-off with jitter (not mqtt.js's fixed period). The link state is one
// discriminated union. Two kinds of message never reach ingest: one over mqttPayloadBytesMax
// (dropped before any decoding: HQ_MQTT_MESSAGE_OVERSIZED) and a retained one, which on HQ's
// up-topics can only be a station's old message replayed by the broker on a new subscription
// (HQ_MQTT_RETAINED_UP; docs/security.md). Both are counted and logged with the payload's SHA-256.
// TLS files (CA, client certificate and key, server name) come from the config (tls.ts).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hqSharedSubscription, hqSubscription } from '@bianmin/wire';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { HqError } from '../../errors.js';
import { mqttPayloadBytesMax, reconnectMsMax, reconnectMsMin } from '../../limits.js';
import type { Log } from '../../ports/log.js';
import type { Publisher, PublishOptions } from '../../ports/publisher.js';
import { loadMqttTls, type MqttTlsFiles, type MqttTlsOptions } from './tls.js';

export interface MqttLinkOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Fixed, so the broker keeps the session and queues QoS 1 messages while HQ is down. */
  readonly clientId: string;
  /** Shared-subscription group name; absent = a plain subscription. */
  readonly sharedGroup?: string;
  readonly connectTimeoutMs?: number;
  /** TLS files (config mqttCaFile, mqttCertFile, mqttKeyFile, mqttServerName); read in the constructor. */
  readonly tls?: MqttTlsFiles;
  /** Largest payload handed to ingest; default mqttPayloadBytesMax (tests lower it). */
  readonly payloadBytesMax?: number;
  readonly log: Log;
}

/** Messages the link kept from ingest, by reason. */
export interface MqttLinkCounters {
  /** Over the payload cap: HQ_MQTT_MESSAGE_OVERSIZED. */
  oversized: number;
  /** Retained deliveries on up-topics: HQ_MQTT_RETAINED_UP. */
  retainedUp: number;
}

export type LinkState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected'; readonly sinceMs: number }
  | { readonly kind: 'waiting'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'closed' };

export type MessageHandler = (topic: string, payload: Uint8Array) => Promise<void> | undefined;

export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceilingMs = Math.min(reconnectMsMax, reconnectMsMin * 2 ** Math.min(attempt, 16));
  return Math.round(ceilingMs / 2 + random() * (ceilingMs / 2));
}

export class MqttLink extends EventEmitter implements Publisher {
  #client: MqttClient | undefined;
  #state: LinkState = { kind: 'idle' };
  #timer: NodeJS.Timeout | undefined;
  #corked = false;
  readonly #options: MqttLinkOptions;
  readonly #log: Log;
  readonly #tls: MqttTlsOptions | undefined;
  readonly #payloadBytesMax: number;
  readonly counters: MqttLinkCounters = { oversized: 0, retainedUp: 0 };

  constructor(options: MqttLinkOptions) {
    super();
    this.#options = options;
    this.#log = options.log.child({ component: 'mqtt' });
    this.#tls = options.tls === undefined ? undefined : loadMqttTls(options.tls);
    this.#payloadBytesMax = options.payloadBytesMax ?? mqttPayloadBytesMax;
    if (!(Number.isSafeInteger(this.#payloadBytesMax) && this.#payloadBytesMax > 0)) {
      throw new Error('assert: payloadBytesMax is a positive integer');
    }
  }

  get state(): LinkState {
    return this.#state;
  }

  #setState(state: LinkState): void {
    this.#state = state;
    this.emit('state', state);
  }

  /** Connect, subscribe, and deliver every message to `onMessage`. Resolves on the first CONNACK. */
  async connect(onMessage: MessageHandler): Promise<void> {
    if (this.#client !== undefined) throw new Error('already connected');
    const options = this.#options;
    const client = mqtt.connect(options.url, {
      protocolVersion: 4,
      clean: false,
      clientId: options.clientId,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(this.#tls === undefined ? {} : this.#tls),
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      keepalive: 30,
      resubscribe: false,
      // mqtt.js traces every packet through `debug` even when tracing is off (an argument array
      // per call, ~0.5 KB of garbage per message at HQ's rate); a no-op unless DEBUG asks for it.
      ...(mqttTraceWanted() ? {} : { log: noTrace }),
    });
    this.#client = client;
    this.#setState({ kind: 'connecting', attempt: 0 });
    client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void): void => {
      this.#corkUntilIdle(client);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      if (this.#keptFromIngest(packet, payload)) {
        callback(); // PUBACK: the broker must not deliver it again
        return;
      }
      let waiting: Promise<void> | undefined;
      try {
        waiting = onMessage(packet.topic, payload);
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (waiting === undefined) callback();
      else waiting.then(() => callback(), callback);
    };
    client.on('connect', (connack) => {
      this.#setState({ kind: 'connected', sinceMs: Date.now() });
      this.#log.info({ sessionPresent: connack.sessionPresent }, 'connected');
      if (!connack.sessionPresent) {
        const topic =
          options.sharedGroup === undefined ? hqSubscription : hqSharedSubscription(options.sharedGroup);
        client.subscribe(topic, { qos: 1 }, (error) => {
          if (error) this.#log.error({ code: 'HQ_MQTT_FAILED', error: error.message }, 'subscribe failed');
        });
      }
    });
    client.on('close', () => this.#scheduleReconnect());
    client.on('error', (error) =>
      this.#log.warn({ code: 'HQ_MQTT_FAILED', error: error.message }, 'mqtt error'),
    );
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        client.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        if (this.#state.kind === 'connected') return;
        client.off('connect', onConnect);
        reject(new HqError('HQ_MQTT_FAILED', `cannot connect to ${options.url}`, { cause: error }));
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    }).catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
  }

  /** True (counted, logged) for a message that must not reach ingest: over the cap, or retained. */
  #keptFromIngest(packet: IPublishPacket, payload: Uint8Array): boolean {
    const oversized = payload.byteLength > this.#payloadBytesMax;
    if (!oversized && !packet.retain) return false;
    const code = oversized ? 'HQ_MQTT_MESSAGE_OVERSIZED' : 'HQ_MQTT_RETAINED_UP';
    if (oversized) this.counters.oversized += 1;
    else this.counters.retainedUp += 1;
    this.#log.warn(
      {
        code,
        topic: packet.topic.slice(0, 128),
        sizeBytes: payload.byteLength,
        sha256: createHash('sha256').update(payload).digest('hex'),
      },
      oversized
        ? 'message over the payload cap dropped before decoding'
        : 'retained up-topic message ignored',
    );
    return true;
  }

  /**
   * mqtt.js handles each received packet in its own tick and writes each PUBACK on its own, one
   * writev syscall per message. Corking the socket until the event loop is idle (setImmediate,
   * after mqtt.js's nextTick chain over a TCP chunk's packets) sends those PUBACKs (and any acks
   * published meanwhile) in one write. Nothing is held longer than one turn of the loop.
   */
  #corkUntilIdle(client: MqttClient): void {
    if (this.#corked) return;
    const stream = client.stream;
    if (stream === undefined || stream.destroyed) return;
    this.#corked = true;
    stream.cork();
    setImmediate(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  #scheduleReconnect(): void {
    const state = this.#state;
    if (state.kind === 'closed' || state.kind === 'waiting' || this.#client === undefined) return;
    const attempt = state.kind === 'connecting' ? state.attempt + 1 : 0;
    const delayMs = backoffDelayMs(attempt);
    this.#setState({ kind: 'waiting', attempt, delayMs });
    this.#log.warn({ code: 'HQ_MQTT_FAILED', attempt, delayMs }, 'link down, reconnecting');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state.kind !== 'waiting' || this.#client === undefined) return;
      this.#setState({ kind: 'connecting', attempt });
      this.#client.reconnect();
    }, delayMs);
  }

  async publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void> {
    const client = this.#client;
    if (client === undefined) throw new HqError('HQ_MQTT_FAILED', 'not connected');
    // mqtt.js queues publishes while offline (QoS 1 resent after reconnect).
    await client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
      qos: options.qos,
      retain: options.retain,
    });
  }

  async close(): Promise<void> {
    this.#setState({ kind: 'closed' });
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await client.endAsync(true);
  }
}

function noTrace(): void {}

/** True when DEBUG names mqtt.js's trace namespaces (`DEBUG=mqttjs*`). */
function mqttTraceWanted(): boolean {
  return /mqttjs/.test(process.env.DEBUG ?? '');
}
