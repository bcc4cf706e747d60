// HQ's link to a NATS cluster (issue 14): the gateway's GatewayLink when the broker kind is 'nats'.
// Up: the kiosks' MQTT publishes are stored by the cluster in the R3 stream BIANMIN_UP on
// bianmin.up.<partition>.<station>.<channel>; this link owns some partitions (PostgreSQL advisory
// locks, partition-locks.ts), reads each owned partition through its durable consumer `hq-p<p>`,
// hands the messages to ingest as the MQTT topic the kiosk used, waits for the commit barrier
// (the pipeline's flush: everything handed over is committed and the cumulative acks are sent),
// and only then acks the JetStream messages (AckAll on the last one of each partition's batch).
// A gateway killed mid-batch leaves its messages unacked for the next owner.
// Takeover: the new owner deletes the partition's consumer and makes it again from its ack floor,
// so the previous owner's unacked messages come again first and in stream order (not after
// ack_wait, behind newer ones); the ones that were committed but not acked are stored once by the
// database's uniqueness and per-station high-water mark.
// Down: acks, authorisation responses, configs and commands are published through MQTT to the
// cluster's MQTT listeners (QoS and retain as the channel says), which reach the kiosk's MQTT
// subscription on whichever node it is on. Provenance: a JetStream message does not say which
// broker user published it; the cluster's per-station publish permission on the mapped subject
// and the station's signature on every envelope do that job (docs/decisions/hq-nats-cluster.md).
import { createHash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { HqError } from '../../errors.js';
import { natsAckWaitMs, natsClaimPollMs, natsFetchBatchMax } from '../../limits.js';
import type { Log } from '../../ports/log.js';
import type { PublishOptions } from '../../ports/publisher.js';
import { parseUpSubject, partitionFilter, partitionOfStation, upStreamName } from './partition.js';
import { PartitionLocks } from './partition-locks.js';

export interface NatsLinkOptions {
  /** nats://host:port of every node (the client fails over between them). */
  readonly natsUrls: readonly string[];
  /** mqtt://host:port of every node's MQTT listener (downlink). */
  readonly mqttUrls: readonly string[];
  readonly username: string;
  readonly password: string;
  /** This gateway's name: the downlink MQTT client id is `<clientId>-down`. */
  readonly clientId: string;
  /** Partition count of the cluster's subject mapping. */
  readonly partitions: number;
  /** PostgreSQL connection string for the partition locks (the HQ store's database). */
  readonly lockDatabaseUrl: string;
  /** Resolves when everything handed to onMessage so far is committed (IngestPipeline.flush). */
  readonly commitBarrier: () => Promise<void>;
  readonly log: Log;
  /** Claim poll period (ms); default natsClaimPollMs. */
  readonly claimPollMs?: number;
}

export interface NatsLinkCounters {
  delivered: number;
  acked: number;
  wrongPartition: number;
  takeovers: number;
}

type MessageHandler = (topic: string, payload: Uint8Array) => Promise<void> | undefined;

export function consumerName(partition: number): string {
  return `hq-p${partition}`;
}

export class NatsLink {
  readonly #options: NatsLinkOptions;
  readonly #log: Log;
  readonly #locks: PartitionLocks;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #down: MqttClient | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;
  /** Partitions whose consumer was re-made from the ack floor by this owner. */
  readonly #ready = new Set<number>();
  readonly counters: NatsLinkCounters = { delivered: 0, acked: 0, wrongPartition: 0, takeovers: 0 };

  constructor(options: NatsLinkOptions) {
    if (options.natsUrls.length === 0 || options.mqttUrls.length === 0) {
      throw new Error('assert: natsUrls and mqttUrls are not empty');
    }
    this.#options = options;
    this.#log = options.log.child({ component: 'nats' });
    this.#locks = new PartitionLocks(options.lockDatabaseUrl, this.#log);
    this.#locks.onLost(() => this.#ready.clear());
  }

  /** Partitions this gateway owns now. */
  get owned(): readonly number[] {
    return [...this.#locks.owned].sort((a, b) => a - b);
  }

  async connect(onMessage: MessageHandler): Promise<void> {
    if (this.#nc !== undefined) throw new Error('already connected');
    const options = this.#options;
    try {
      this.#nc = await connect({
        servers: [...options.natsUrls],
        user: options.username,
        pass: options.password,
        name: options.clientId,
        maxReconnectAttempts: -1,
      });
      this.#jsm = await this.#nc.jetstreamManager({ timeout: 10_000 });
      this.#js = this.#nc.jetstream({ timeout: 10_000 });
      this.#down = await connectDown(options);
      await this.#locks.connect();
    } catch (error) {
      await this.close();
      throw new HqError('HQ_NATS_FAILED', 'cannot connect to the NATS cluster', { cause: error });
    }
    this.#loop = this.#run(onMessage);
  }

  async #run(onMessage: MessageHandler): Promise<void> {
    let lastClaimMs = 0;
    while (!this.#closed) {
      try {
        const nowMs = Date.now();
        if (nowMs - lastClaimMs >= (this.#options.claimPollMs ?? natsClaimPollMs)) {
          lastClaimMs = nowMs;
          await this.#claim();
        }
        if (this.#ready.size === 0) {
          await delay(this.#options.claimPollMs ?? natsClaimPollMs);
          continue;
        }
        await this.#round(onMessage);
      } catch (error) {
        if (this.#closed) return;
        this.#log.warn({ code: 'HQ_NATS_FAILED', error: (error as Error).message }, 'round failed, retrying');
        await delay(this.#options.claimPollMs ?? natsClaimPollMs);
      }
    }
  }

  async #claim(): Promise<void> {
    if (!this.#locks.connected) await this.#locks.connect();
    for (let partition = 0; partition < this.#options.partitions; partition += 1) {
      if (this.#ready.has(partition)) continue;
      if (!(await this.#locks.tryClaim(partition))) continue;
      await this.#takeOver(partition);
      this.#ready.add(partition);
      this.counters.takeovers += 1;
      this.#log.info({ partition }, 'partition owned');
    }
  }

  /** Re-makes partition p's durable consumer from its ack floor (see the file comment). */
  async #takeOver(partition: number): Promise<void> {
    const jsm = this.#jsm!;
    const name = consumerName(partition);
    let floorSeq = 0;
    const info = await jsm.consumers.info(upStreamName, name).catch(() => undefined);
    if (info !== undefined) {
      floorSeq = info.ack_floor.stream_seq;
      await jsm.consumers.delete(upStreamName, name);
    }
    await jsm.consumers.add(upStreamName, {
      durable_name: name,
      filter_subject: partitionFilter(partition),
      ack_policy: AckPolicy.All,
      ack_wait: natsAckWaitMs * 1_000_000,
      max_ack_pending: natsFetchBatchMax * 4,
      ...(floorSeq === 0
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floorSeq + 1 }),
    });
  }

  /** One round: fetch from every owned partition, hand over in order, commit, then ack. */
  async #round(onMessage: MessageHandler): Promise<void> {
    const js = this.#js!;
    const partitions = [...this.#ready];
    const batches = await Promise.all(
      partitions.map(async (partition) => {
        const consumer = await js.consumers.get(upStreamName, consumerName(partition));
        const messages: JsMsg[] = [];
        const iterator = await consumer.fetch({ max_messages: natsFetchBatchMax, expires: 1_000 });
        for await (const message of iterator) messages.push(message);
        return { partition, messages };
      }),
    );
    let handed = 0;
    for (const { partition, messages } of batches) {
      for (const message of messages) {
        const waiting = this.#hand(partition, message, onMessage);
        if (waiting !== undefined) await waiting;
        handed += 1;
      }
    }
    if (handed === 0) return;
    await this.#options.commitBarrier();
    for (const { partition, messages } of batches) {
      const last = messages.at(-1);
      // Lost the partition meanwhile: the next owner re-reads from the ack floor.
      if (last === undefined || !this.#ready.has(partition) || !this.#locks.owned.has(partition)) continue;
      await last.ackAck();
      this.counters.acked += messages.length;
    }
  }

  #hand(partition: number, message: JsMsg, onMessage: MessageHandler): Promise<void> | undefined {
    const parsed = parseUpSubject(message.subject);
    if (!parsed.ok || partitionOfStation(parsed.stationId, this.#options.partitions) !== partition) {
      this.counters.wrongPartition += 1;
      this.#log.warn(
        {
          code: 'HQ_NATS_WRONG_PARTITION',
          subject: message.subject.slice(0, 128),
          partition,
          sha256: createHash('sha256').update(message.data).digest('hex'),
        },
        'message on the wrong partition dropped',
      );
      return undefined;
    }
    this.counters.delivered += 1;
    return onMessage(parsed.topic, message.data);
  }

  async publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void> {
    const down = this.#down;
    if (down === undefined) throw new HqError('HQ_NATS_FAILED', 'not connected');
    await down.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
      qos: options.qos,
      retain: options.retain,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#loop?.catch(() => undefined);
    this.#ready.clear();
    await this.#locks.close();
    const down = this.#down;
    this.#down = undefined;
    if (down !== undefined) await down.endAsync(true).catch(() => undefined);
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc !== undefined) await nc.close().catch(() => undefined);
  }
}

async function connectDown(options: NatsLinkOptions): Promise<MqttClient> {
  const servers = options.mqttUrls.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port) };
  });
  // mqtt.js moves to the next server of the list on each reconnect.
  const client = mqtt.connect({
    servers,
    protocolVersion: 4,
    clean: true,
    clientId: `${options.clientId}-down`,
    username: options.username,
    password: options.password,
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    keepalive: 30,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
