// The NATS link's consuming loop (issue 14), apart from the NATS and PostgreSQL clients so it runs
// on fakes in tests: claim free partitions, take each one over (its consumer re-made from the ack
// floor), then rounds: fetch from every owned partition, hand the messages to ingest in stream
// order, wait for the commit barrier, and only then ack (AckAll on each partition's last message).
// A partition is "ready" only once its takeover AND the gained hook (the pipeline reloads the
// partition's stations from the store, main.ts) have finished: no message of it is fetched or
// handed before. A partition lost (lock connection gone) stops being handed at once, even in the
// middle of a round; its messages stay unacked for the next owner.
import { createHash } from 'node:crypto';
import type { Log } from '../../ports/log.js';
import { parseUpSubject, partitionOfStation } from './partition.js';

/** One JetStream message as the loop needs it. */
export interface PartitionMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Ack this message and every earlier one of its consumer (AckAll), waiting for the server. */
  ackAll(): Promise<void>;
}

/** What the loop needs from the locks and JetStream (adapters/nats/nats-link.ts; fakes in tests). */
export interface PartitionBackend {
  /** Make sure the lock connection is open (after it was lost). */
  ensureLocks(): Promise<void>;
  /** Try to take partition p's lock; true when this gateway owns it now. */
  tryClaim(partition: number): Promise<boolean>;
  /** Whether this gateway still holds partition p's lock. */
  holds(partition: number): boolean;
  /** Re-make p's durable consumer from its ack floor. */
  rewind(partition: number): Promise<void>;
  /** Up to `messagesMax` messages of p, in stream order (possibly none). */
  fetch(partition: number, messagesMax: number): Promise<PartitionMessage[]>;
}

export type MessageHandler = (topic: string, payload: Uint8Array) => Promise<void> | undefined;

export interface PartitionRoundsOptions {
  readonly partitions: number;
  readonly fetchBatchMax: number;
  readonly commitBarrier: () => Promise<void>;
  /**
   * A partition was just taken over: resolves once the gateway's state for its stations is
   * reloaded from the store. No message of the partition is handed before.
   */
  readonly onGained?: (partition: number) => Promise<void>;
  /** Partitions no longer owned (their stations are no longer acted for). */
  readonly onLost?: (partitions: readonly number[]) => void;
  readonly log: Log;
}

export interface PartitionCounters {
  delivered: number;
  acked: number;
  wrongPartition: number;
  takeovers: number;
  /** Messages fetched but not handed because their partition was lost meanwhile. */
  droppedLost: number;
}

export class PartitionRounds {
  readonly #options: PartitionRoundsOptions;
  readonly #backend: PartitionBackend;
  /** Partitions taken over and reloaded by this owner: the only ones fetched and handed. */
  readonly #ready = new Set<number>();
  readonly counters: PartitionCounters = {
    delivered: 0,
    acked: 0,
    wrongPartition: 0,
    takeovers: 0,
    droppedLost: 0,
  };

  constructor(backend: PartitionBackend, options: PartitionRoundsOptions) {
    if (!(Number.isSafeInteger(options.partitions) && options.partitions >= 1))
      throw new Error('assert: partitions >= 1');
    if (!(Number.isSafeInteger(options.fetchBatchMax) && options.fetchBatchMax >= 1))
      throw new Error('assert: fetchBatchMax >= 1');
    this.#backend = backend;
    this.#options = options;
  }

  /** Partitions ready (taken over and reloaded), ascending. */
  get ready(): readonly number[] {
    return [...this.#ready].sort((a, b) => a - b);
  }

  /** Whether this gateway acts for the station now (its partition is ready and still held). */
  ownsStation(stationId: string): boolean {
    const partition = partitionOfStation(stationId, this.#options.partitions);
    return this.#ready.has(partition) && this.#backend.holds(partition);
  }

  /** Every partition lost at once (the lock connection ended). */
  loseAll(): void {
    if (this.#ready.size === 0) return;
    const lost = this.ready;
    this.#ready.clear();
    this.#options.onLost?.(lost);
  }

  /** Claim the free partitions; each one gained is rewound and reloaded before it is ready. */
  async claim(): Promise<void> {
    await this.#backend.ensureLocks();
    this.#dropUnheld();
    for (let partition = 0; partition < this.#options.partitions; partition += 1) {
      if (this.#ready.has(partition)) continue;
      if (!(await this.#backend.tryClaim(partition))) continue;
      await this.#backend.rewind(partition);
      await this.#options.onGained?.(partition);
      // The lock may have gone while reloading: then the partition is not ours to read.
      if (!this.#backend.holds(partition)) continue;
      this.#ready.add(partition);
      this.counters.takeovers += 1;
      this.#options.log.info({ partition }, 'partition owned');
    }
  }

  /** One round over the ready partitions; returns the count of messages handed. */
  async round(onMessage: MessageHandler): Promise<number> {
    const batches = await Promise.all(
      this.ready.map(async (partition) => ({
        partition,
        messages: await this.#backend.fetch(partition, this.#options.fetchBatchMax),
      })),
    );
    let handed = 0;
    for (const { partition, messages } of batches) {
      for (const message of messages) {
        if (!this.#owned(partition)) {
          this.counters.droppedLost += 1;
          continue;
        }
        const waiting = this.#hand(partition, message, onMessage);
        if (waiting !== undefined) await waiting;
        handed += 1;
      }
    }
    if (handed === 0) return 0;
    await this.#options.commitBarrier();
    for (const { partition, messages } of batches) {
      const last = messages.at(-1);
      // Lost the partition meanwhile: the next owner re-reads from the ack floor.
      if (last === undefined || !this.#owned(partition)) continue;
      await last.ackAll();
      this.counters.acked += messages.length;
    }
    return handed;
  }

  clear(): void {
    this.#ready.clear();
  }

  #owned(partition: number): boolean {
    return this.#ready.has(partition) && this.#backend.holds(partition);
  }

  /** Ready partitions whose lock is no longer held are lost. */
  #dropUnheld(): void {
    const lost = this.ready.filter((partition) => !this.#backend.holds(partition));
    if (lost.length === 0) return;
    for (const partition of lost) this.#ready.delete(partition);
    this.#options.onLost?.(lost);
  }

  #hand(partition: number, message: PartitionMessage, onMessage: MessageHandler): Promise<void> | undefined {
    const parsed = parseUpSubject(message.subject);
    if (!parsed.ok || partitionOfStation(parsed.stationId, this.#options.partitions) !== partition) {
      this.counters.wrongPartition += 1;
      this.#options.log.warn(
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
}
