// The NATS link's consuming loop (issue 14), apart from the NATS and PostgreSQL clients so it runs
// on fakes in tests: claim free partitions, take each one over (its consumer re-made from the ack
// floor), then rounds: fetch from every owned partition, hand the messages to ingest in stream
// order, wait for the commit barrier, and only then ack (AckAll on each partition's last message).
// A partition is "ready" only once its takeover AND the gained hook (the pipeline reloads the
// partition's stations from the store, main.ts) have finished: no message of it is fetched or
// handed before. A partition lost (lock connection gone) stops being handed at once, even in the
// middle of a round; its messages stay unacked for the next owner.
// Sharing (the rebalancing of issue 14): at each claim poll the gateway reads the live membership
// (the lock sessions PostgreSQL lists) and its target (domain/partition-share.ts). Below the target
// it claims free partitions up to it; above it, it releases ONE partition, and only here, between
// rounds: the partition stops being fetched and its stations are no longer acted for, the commit
// barrier (everything handed is committed), the JetStream ack of what was handed, then the unlock.
// The next owner claims it on its poll and takes it over as after a death (rewind from the ack
// floor, reload), so a message handed here but not acked is stored once.
import { createHash } from 'node:crypto';
import { fairShare, partitionTarget, shareStep } from '../../domain/partition-share.js';
import type { Log } from '../../ports/log.js';
import { parseUpSubject, partitionOfStation } from './partition.js';

/** One JetStream message as the loop needs it. */
export interface PartitionMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Ack this message and every earlier one of its consumer (AckAll), waiting for the server. */
  ackAll(): Promise<void>;
}

/** The live gateways as PostgreSQL sees them: each lock session's id (its backend pid). */
export interface Membership {
  /** This gateway's lock session. */
  readonly self: number;
  /** Every live gateway's lock session, `self` included. */
  readonly members: readonly number[];
}

/** What the loop needs from the locks and JetStream (adapters/nats/nats-link.ts; fakes in tests). */
export interface PartitionBackend {
  /** Make sure the lock connection is open (after it was lost). */
  ensureLocks(): Promise<void>;
  /** Try to take partition p's lock; true when this gateway owns it now. */
  tryClaim(partition: number): Promise<boolean>;
  /** Whether this gateway still holds partition p's lock. */
  holds(partition: number): boolean;
  /** The live gateways now (read from PostgreSQL at each claim poll). */
  members(): Promise<Membership>;
  /** Give partition p's lock up (a voluntary release; the caller has committed and acked). */
  release(partition: number): Promise<void>;
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
  /** Partitions given up to rebalance (committed, acked, then unlocked). */
  releases: number;
}

export class PartitionRounds {
  readonly #options: PartitionRoundsOptions;
  readonly #backend: PartitionBackend;
  /** Partitions taken over and reloaded by this owner: the only ones fetched and handed. */
  readonly #ready = new Set<number>();
  /** Per partition, the last message handed whose JetStream ack has not been sent yet. */
  readonly #unacked = new Map<number, PartitionMessage>();
  /** The target of the last claim poll (partition-share.ts); undefined before the first. */
  #target: number | undefined;
  readonly counters: PartitionCounters = {
    delivered: 0,
    acked: 0,
    wrongPartition: 0,
    takeovers: 0,
    droppedLost: 0,
    releases: 0,
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
    this.#unacked.clear();
    this.#options.onLost?.(lost);
  }

  /** Partitions this gateway should own at the last claim poll; undefined before the first. */
  get target(): number | undefined {
    return this.#target;
  }

  /**
   * The claim poll, between rounds: read the membership, then claim free partitions up to this
   * gateway's target (each one gained is rewound and reloaded before it is ready), or release one
   * partition above it.
   */
  async claim(): Promise<void> {
    await this.#backend.ensureLocks();
    this.#dropUnheld();
    const { self, members } = await this.#backend.members();
    // Our own lock session is live by definition, even if the listing raced its start.
    const live = members.includes(self) ? members : [...members, self];
    const target = partitionTarget(this.#options.partitions, live, self);
    this.#target = target;
    const held = this.#held();
    const step = shareStep(held.length, target);
    if (step.kind === 'release') {
      await this.#releaseOne(held, { members: live.length, target });
      return;
    }
    // Held but not ready (a takeover that failed half-way): taken over again first.
    for (const partition of held) {
      if (!this.#ready.has(partition)) await this.#takeOver(partition);
    }
    if (step.kind === 'hold') return;
    let owned = held.length;
    for (let partition = 0; partition < this.#options.partitions && owned < target; partition += 1) {
      if (this.#backend.holds(partition)) continue;
      if (!(await this.#backend.tryClaim(partition))) continue;
      owned += 1;
      await this.#takeOver(partition);
    }
    if (owned > fairShare(this.#options.partitions, live.length))
      throw new Error('assert: claims stop at the fair share');
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
        this.#unacked.set(partition, message);
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
      if (this.#unacked.get(partition) === last) this.#unacked.delete(partition);
      this.counters.acked += messages.length;
    }
    return handed;
  }

  clear(): void {
    this.#ready.clear();
    this.#unacked.clear();
  }

  /** Partitions whose lock this gateway holds (ready or not), ascending. */
  #held(): number[] {
    const held: number[] = [];
    for (let partition = 0; partition < this.#options.partitions; partition += 1) {
      if (this.#backend.holds(partition)) held.push(partition);
    }
    return held;
  }

  /** Rewind and reload a partition this gateway just locked; ready only if still held after. */
  async #takeOver(partition: number): Promise<void> {
    this.#unacked.delete(partition);
    await this.#backend.rewind(partition);
    await this.#options.onGained?.(partition);
    // The lock may have gone while reloading: then the partition is not ours to read.
    if (!this.#backend.holds(partition)) return;
    this.#ready.add(partition);
    this.counters.takeovers += 1;
    this.#options.log.info({ partition }, 'partition owned');
  }

  /**
   * Gives up one partition (a held-but-not-ready one first, else the highest): no longer fetched
   * nor acted for, then the commit barrier, the ack of what was handed, and only then the unlock.
   * Called between rounds only (claim), so no fetch of it is in flight.
   */
  async #releaseOne(held: readonly number[], why: { members: number; target: number }): Promise<void> {
    const partition = held.find((p) => !this.#ready.has(p)) ?? held.at(-1);
    if (partition === undefined) throw new Error('assert: a release needs a held partition');
    this.#ready.delete(partition);
    await this.#options.commitBarrier();
    const unacked = this.#unacked.get(partition);
    if (unacked !== undefined && this.#backend.holds(partition)) {
      await unacked.ackAll();
      this.#unacked.delete(partition);
    }
    if (!this.#backend.holds(partition)) return; // lost meanwhile: PostgreSQL already freed it
    await this.#backend.release(partition);
    this.counters.releases += 1;
    this.#options.log.info(
      { partition, owned: held.length - 1, target: why.target, members: why.members },
      'partition released to rebalance',
    );
  }

  #owned(partition: number): boolean {
    return this.#ready.has(partition) && this.#backend.holds(partition);
  }

  /** Ready partitions whose lock is no longer held are lost. */
  #dropUnheld(): void {
    const lost = this.ready.filter((partition) => !this.#backend.holds(partition));
    if (lost.length === 0) return;
    for (const partition of lost) {
      this.#ready.delete(partition);
      this.#unacked.delete(partition);
    }
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
