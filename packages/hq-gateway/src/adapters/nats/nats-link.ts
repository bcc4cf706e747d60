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
// database's uniqueness and per-station high-water mark. Before the partition is read, the
// gateway's in-memory state of its stations is reloaded from the store (onPartitionGained): it was
// loaded at this gateway's start and the previous owner stored events since. The claim/round loop
// itself is partition-rounds.ts (broker-free, tested on fakes). The gateways share the partitions:
// each claims only up to its target among the live lock sessions and gives its excess up between
// rounds, committed and acked first (partition-rounds.ts, domain/partition-share.ts).
// Down: acks, authorisation responses, configs and commands are published through MQTT to the
// cluster's MQTT listeners (QoS and retain as the channel says), which reach the kiosk's MQTT
// subscription on whichever node it is on. Provenance: a JetStream message does not say which
// broker user published it; the cluster's per-station publish permission on the mapped subject
// and the station's signature on every envelope do that job (docs/decisions/hq-nats-cluster.md).
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
import { natsAckWaitMs, natsClaimPollMs, natsDownConnectWaitMs, natsFetchBatchMax } from '../../limits.js';
import type { Log } from '../../ports/log.js';
import type { PublishOptions } from '../../ports/publisher.js';
import { partitionFilter, upStreamName } from './partition.js';
import { PartitionLocks } from './partition-locks.js';
import {
  type MessageHandler,
  type PartitionBackend,
  type PartitionCounters,
  type PartitionMessage,
  PartitionRounds,
} from './partition-rounds.js';

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
  /**
   * A partition was taken over: resolves once the gateway's state for its stations is reloaded
   * from the store (IngestPipeline.reloadStations). None of its messages is handed before.
   */
  readonly onPartitionGained?: (partition: number) => Promise<void>;
  /** Partitions lost (lock connection gone): their stations are no longer acted for. */
  readonly onPartitionsLost?: (partitions: readonly number[]) => void;
}

export type NatsLinkCounters = PartitionCounters;

export function consumerName(partition: number): string {
  return `hq-p${partition}`;
}

export class NatsLink {
  readonly #options: NatsLinkOptions;
  readonly #log: Log;
  readonly #locks: PartitionLocks;
  readonly #rounds: PartitionRounds;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #down: MqttClient | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;

  constructor(options: NatsLinkOptions) {
    if (options.natsUrls.length === 0 || options.mqttUrls.length === 0) {
      throw new Error('assert: natsUrls and mqttUrls are not empty');
    }
    this.#options = options;
    this.#log = options.log.child({ component: 'nats' });
    this.#locks = new PartitionLocks(options.lockDatabaseUrl, this.#log);
    this.#rounds = new PartitionRounds(this.#backend(), {
      partitions: options.partitions,
      fetchBatchMax: natsFetchBatchMax,
      commitBarrier: options.commitBarrier,
      log: this.#log,
      ...(options.onPartitionGained === undefined ? {} : { onGained: options.onPartitionGained }),
      ...(options.onPartitionsLost === undefined ? {} : { onLost: options.onPartitionsLost }),
    });
    this.#locks.onLost(() => this.#rounds.loseAll());
  }

  get counters(): NatsLinkCounters {
    return this.#rounds.counters;
  }

  /** Partitions this gateway should own at its last claim poll (undefined before the first). */
  get target(): number | undefined {
    return this.#rounds.target;
  }

  /** Partitions this gateway owns now. */
  get owned(): readonly number[] {
    return [...this.#locks.owned].sort((a, b) => a - b);
  }

  /** Whether this gateway acts for the station now (its partition taken over, reloaded and held). */
  ownsStation(stationId: string): boolean {
    return this.#rounds.ownsStation(stationId);
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
    const claimPollMs = this.#options.claimPollMs ?? natsClaimPollMs;
    let lastClaimMs = 0;
    while (!this.#closed) {
      try {
        const nowMs = Date.now();
        if (nowMs - lastClaimMs >= claimPollMs) {
          lastClaimMs = nowMs;
          await this.#rounds.claim();
        }
        if (this.#rounds.ready.length === 0) {
          await delay(claimPollMs);
          continue;
        }
        await this.#rounds.round(onMessage);
      } catch (error) {
        if (this.#closed) return;
        this.#log.warn({ code: 'HQ_NATS_FAILED', error: (error as Error).message }, 'round failed, retrying');
        await delay(claimPollMs);
      }
    }
  }

  /** The locks and JetStream as the round loop sees them. */
  #backend(): PartitionBackend {
    return {
      ensureLocks: async () => {
        if (!this.#locks.connected) await this.#locks.connect();
      },
      tryClaim: (partition) => this.#locks.tryClaim(partition),
      holds: (partition) => this.#locks.owned.has(partition),
      members: () => this.#locks.members(),
      release: (partition) => this.#locks.release(partition),
      rewind: (partition) => this.#takeOver(partition),
      fetch: async (partition, messagesMax) => {
        const consumer = await this.#js!.consumers.get(upStreamName, consumerName(partition));
        const messages: PartitionMessage[] = [];
        const iterator = await consumer.fetch({ max_messages: messagesMax, expires: 1_000 });
        for await (const message of iterator) messages.push(asPartitionMessage(message));
        return messages;
      },
    };
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
    this.#rounds.clear();
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
  // A refused connect (a node down) is an 'error' too: mqtt.js then tries the next server, so only
  // the bound fails the start (a gateway must start while one node is down).
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
    options.log.warn(
      { code: 'HQ_NATS_FAILED', error: error.message },
      'downlink connect failed, trying the next node',
    );
  };
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(lastError ?? new Error(`no MQTT listener within ${natsDownConnectWaitMs} ms`)),
        natsDownConnectWaitMs,
      );
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

function asPartitionMessage(message: JsMsg): PartitionMessage {
  return { subject: message.subject, data: message.data, ackAll: async () => void (await message.ackAck()) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
