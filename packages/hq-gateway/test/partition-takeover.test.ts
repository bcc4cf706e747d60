// Goal: a gateway that takes over a NATS partition acts on the store's state of its stations, not
// on the one it loaded at its own start (issue 14): after the takeover its first ack is the stored
// high-water mark, the previous owner's committed-but-unacked message is stored once, the next
// event is neither a false gap nor a false quota discrepancy, the previous owner's unfinished bank
// settlements of the partition's stations are driven, and a partition lost mid-round is neither
// handed nor acked. Method: two ingest pipelines on one in-memory store (helpers/fakes.ts,
// fake clock), the NATS round loop (adapters/nats/partition-rounds.ts) on a fake lock/JetStream
// backend, wired as main.ts wires it; no broker, no database.
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { partitionOfStation } from '../src/adapters/nats/partition.js';
import {
  type PartitionBackend,
  type PartitionMessage,
  PartitionRounds,
} from '../src/adapters/nats/partition-rounds.js';
import type { IngestPipeline } from '../src/app/ingest-pipeline.js';
import { silentLog } from '../src/ports/log.js';
import { startHarness } from './helpers/fakes.js';

const partitions = 4;

/** Locks and JetStream in memory: free partitions can be claimed; each has a queue of messages. */
class FakePartitions implements PartitionBackend {
  readonly free = new Set<number>();
  readonly held = new Set<number>();
  readonly queues = new Map<number, PartitionMessage[]>();
  /** What happened, in order: `rewind p`, `fetch p`, `ack p <subject>`. */
  readonly trace: string[] = [];

  async ensureLocks(): Promise<void> {}
  async tryClaim(partition: number): Promise<boolean> {
    if (!this.free.has(partition)) return false;
    this.free.delete(partition);
    this.held.add(partition);
    return true;
  }
  holds(partition: number): boolean {
    return this.held.has(partition);
  }
  /** This gateway alone: its target is every partition. */
  async members(): Promise<{ self: number; members: number[] }> {
    return { self: 1, members: [1] };
  }
  async release(partition: number): Promise<void> {
    this.held.delete(partition);
    this.free.add(partition);
  }
  async rewind(partition: number): Promise<void> {
    this.trace.push(`rewind ${partition}`);
  }
  async fetch(partition: number, messagesMax: number): Promise<PartitionMessage[]> {
    this.trace.push(`fetch ${partition}`);
    return (this.queues.get(partition) ?? []).splice(0, messagesMax);
  }
  push(stationId: string, bytes: Uint8Array): void {
    const partition = partitionOfStation(stationId, partitions);
    const subject = `bianmin.up.${partition}.${stationId}.event`;
    const queue = this.queues.get(partition) ?? [];
    queue.push({
      subject,
      data: bytes,
      ackAll: async () => {
        this.trace.push(`ack ${partition} ${subject}`);
      },
    });
    this.queues.set(partition, queue);
  }
}

/** The round loop over `pipeline`, with the takeover hook main.ts gives the NATS link. */
function roundsOver(pipeline: IngestPipeline, backend: FakePartitions): PartitionRounds {
  return new PartitionRounds(backend, {
    partitions,
    fetchBatchMax: 16,
    commitBarrier: () => pipeline.flush(),
    onGained: async (partition) => {
      backend.trace.push(`gained ${partition}`);
      await pipeline.reloadStations((id) => partitionOfStation(id, partitions) === partition);
    },
    log: silentLog,
  });
}

const handTo =
  (pipeline: IngestPipeline) =>
  (topic: string, payload: Uint8Array): undefined => {
    pipeline.handleMessage(topic, payload);
    return undefined;
  };

t.test(
  'the new owner reloads the partition: ack = stored high-water, no false gap or discrepancy',
  async (t) => {
    const h = await startHarness(['K1']);
    const k1 = h.stations[0]!;
    const partition = partitionOfStation('K1', partitions);
    // Gateway B starts first: its state of K1 is an empty store's.
    const gatewayB = h.pipeline;
    // A quota purchase recorded afterwards, then gateway A starts and owns K1's partition.
    h.store.purchases.push({
      purchaseId: 'P-1',
      stationId: 'K1',
      amountFen: 50_000,
      quotaFenAfter: 50_000,
      recordedAtMs: h.clock.nowMs(),
    });
    const gatewayA = await h.restart();
    // Sealed at the fake clock's time, so the clock-skew check has nothing to say.
    const at = { createdAtMs: h.clock.nowMs() };
    const sealed = [
      k1.quotaApplied('P-1', 50_000, 1, at),
      ...[2, 3, 4, 5].map(() => k1.billPayment(1_000, at)),
    ];
    for (const s of sealed) gatewayA.handleMessage(upTopic('K1', 'event'), s.bytes);
    await gatewayA.flush();
    t.equal(h.store.ackedSeqs.get('K1'), 5, 'gateway A stored seqs 1..5');
    // Gateway A dies before acking seq 5 on JetStream: B gets it again, then seq 6.
    const backend = new FakePartitions();
    backend.push('K1', sealed[4]!.bytes);
    const next = k1.billPayment(1_000, at);
    backend.push('K1', next.bytes);
    backend.free.add(partition);
    const sentBefore = h.publisher.acks('K1').length;

    const rounds = roundsOver(gatewayB, backend);
    await rounds.claim();
    t.same(rounds.ready, [partition], 'B owns the partition');
    t.ok(rounds.ownsStation('K1'));
    await gatewayB.flush();
    const takeoverAcks = h.publisher.acks('K1').slice(sentBefore);
    t.equal(takeoverAcks.length, 1, 'one ack at the takeover');
    t.equal(
      takeoverAcks[0]?.handledThroughSeq,
      h.store.ackedSeqs.get('K1'),
      'the ack is the stored high-water',
    );
    t.same(h.publisher.resends('K1').at(-1), 6, 'and the station is asked to resend from seq 6');

    t.equal(await rounds.round(handTo(gatewayB)), 2, 'both messages handed');
    const afterAcks = h.publisher.acks('K1').slice(sentBefore + 1);
    t.equal(afterAcks.at(-1)?.handledThroughSeq, 6, 'the next ack covers seq 6');
    t.same(
      h.store.eventsOf('K1').map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
      'every seq stored once, in order',
    );
    t.equal(h.store.gaps.length, 0, 'no false gap');
    t.same(h.store.discrepancies, [], 'no false quota discrepancy');
    t.equal(gatewayB.counters.duplicates, 1, 'the redelivered seq 5 is a duplicate');
    t.same(
      backend.trace.slice(0, 4),
      [
        `rewind ${partition}`,
        `gained ${partition}`,
        `fetch ${partition}`,
        `ack ${partition} ${`bianmin.up.${partition}.K1.event`}`,
      ],
      'rewound, reloaded, then fetched, then acked after the commit',
    );
    await gatewayA.close();
    await gatewayB.close();
  },
);

t.test(
  'a partition lost mid-round: its messages are not handed, not acked, its stations left alone',
  async (t) => {
    const h = await startHarness(['K1']);
    const k1 = h.stations[0]!;
    const partition = partitionOfStation('K1', partitions);
    const backend = new FakePartitions();
    backend.free.add(partition);
    const lost: number[][] = [];
    const rounds = new PartitionRounds(backend, {
      partitions,
      fetchBatchMax: 16,
      commitBarrier: () => h.pipeline.flush(),
      onLost: (partitionsLost) => lost.push([...partitionsLost]),
      log: silentLog,
    });
    await rounds.claim();
    backend.push('K1', k1.billPayment(100, { quotaFenAfter: 0 }).bytes);
    // The lock connection dies before the round hands the message.
    backend.held.delete(partition);
    t.equal(await rounds.round(handTo(h.pipeline)), 0, 'nothing handed');
    t.equal(rounds.counters.droppedLost, 1, 'the message is counted as dropped (lost partition)');
    t.notOk(rounds.ownsStation('K1'), 'K1 no longer acted for');
    t.notOk(
      backend.trace.some((line) => line.startsWith('ack')),
      'no JetStream ack',
    );
    await rounds.claim();
    t.same(lost, [[partition]], 'the loss is reported once');
    t.same(rounds.ready, [], 'not ready any more');
    t.equal(h.store.eventsOf('K1').length, 0, 'nothing stored');
    await h.pipeline.close();
  },
);

t.test(
  "the new owner drives the previous owner's unfinished bank settlements of its stations, no others",
  async (t) => {
    const h = await startHarness(['K1', 'K2']);
    const k1 = h.stations[0]!;
    const at = { createdAtMs: h.clock.nowMs() };
    h.pipeline.handleMessage(upTopic('K1', 'event'), k1.billPayment(1_000, at).bytes);
    await h.pipeline.flush();
    const stored = h.store.eventsOf('K1')[0]!;
    // The previous owner stored K1's withdrawal completions and died before the bank heard of them;
    // K2's is on another partition (1 and 0 of 4).
    const posted = {
      ...stored,
      eventId: 'ev-posted',
      kind: 'WITHDRAWAL_POSTED' as const,
      detail: { requestId: 'rq-posted' },
    };
    const reversed = {
      ...stored,
      eventId: 'ev-rev',
      kind: 'WITHDRAWAL_REVERSED' as const,
      detail: { requestId: 'rq-rev' },
    };
    const other = {
      ...stored,
      stationId: 'K2',
      eventId: 'ev-k2',
      kind: 'WITHDRAWAL_POSTED' as const,
      detail: { requestId: 'rq-k2' },
    };
    h.store.pendingSettlementEvents.push(posted, reversed, other);
    const partitionK1 = partitionOfStation('K1', partitions);
    t.not(partitionOfStation('K2', partitions), partitionK1, 'K1 and K2 on different partitions');
    await h.pipeline.reloadStations((id) => partitionOfStation(id, partitions) === partitionK1);
    await h.pipeline.flush();
    t.same(h.bank.posted, ['rq-posted'], "K1's posted withdrawal is posted at the bank, K2's is not");
    t.same(h.bank.released, ['rq-rev'], "K1's reversed withdrawal releases the bank hold");
    t.equal(h.store.settled.get('ev-posted'), 'done', 'marked settled with the bank outcome');
    t.notOk(h.store.settled.has('ev-k2'), "K2's settlement left to its partition's owner");
    await h.pipeline.close();
  },
);
