// Goal: N gateways share the NATS partitions (issue 14's rebalancing) without breaking exactly-once
// or per-station order: the fair share and the targets are sound, a gateway claims only up to its
// target, gives its excess up one partition at a time and only between rounds (after the commit
// barrier and the JetStream ack, then the unlock), a dead peer's partitions are claimed, and over
// any sequence of joins, leaves, publishes and polls every partition ends owned by exactly one live
// gateway, none above the fair share, every message stored once in each station's seq order, also
// when a gateway dies in the middle of a round (handed, not committed, not acked).
// Method: the round loop (adapters/nats/partition-rounds.ts) of several gateways on one in-memory
// world (a lock table, the live membership, per partition a log with an ack floor and a cursor, as
// a JetStream durable consumer); fast-check properties against the pure shares
// (domain/partition-share.ts) and a model run; the seed is printed on failure. No broker, no database.
import fc from 'fast-check';
import t from 'tap';
import { partitionOfStation } from '../src/adapters/nats/partition.js';
import {
  type PartitionBackend,
  type PartitionMessage,
  PartitionRounds,
} from '../src/adapters/nats/partition-rounds.js';
import { fairShare, partitionTarget, shareStep } from '../src/domain/partition-share.js';
import { silentLog } from '../src/ports/log.js';

/** Locks, membership and the partitions' consumers of several gateways, in memory. */
class World {
  readonly locks = new Map<number, number>();
  readonly live = new Set<number>();
  readonly logs = new Map<number, { subject: string; data: Uint8Array }[]>();
  readonly floors = new Map<number, number>();
  readonly cursors = new Map<number, number>();
  /** Per station, the seqs stored (the store's uniqueness: a seq at or below the last is a duplicate). */
  readonly stored = new Map<string, number[]>();
  /** Per gateway, what was handed and is not committed yet (lost if the gateway dies before its barrier). */
  readonly pending = new Map<number, [string, number][]>();
  readonly published = new Map<string, number>();
  readonly outOfOrder: string[] = [];
  /** What happened, in order: `<gw> fetch p`, `<gw> hand p <station> <seq>`, `<gw> barrier`, `<gw> ack p`, `<gw> unlock p`. */
  readonly trace: string[] = [];
  duplicates = 0;

  constructor(readonly partitions: number) {}

  backend(id: number): PartitionBackend {
    return {
      ensureLocks: async () => {},
      tryClaim: async (partition) => {
        if (!this.live.has(id)) return false;
        const holder = this.locks.get(partition);
        if (holder !== undefined) return holder === id;
        this.locks.set(partition, id);
        return true;
      },
      holds: (partition) => this.locks.get(partition) === id,
      members: async () => ({ self: id, members: [...this.live] }),
      release: async (partition) => {
        if (this.locks.get(partition) !== id) return;
        this.trace.push(`${id} unlock ${partition}`);
        this.locks.delete(partition);
      },
      rewind: async (partition) => {
        this.cursors.set(partition, this.floors.get(partition) ?? 0);
      },
      fetch: async (partition, messagesMax) => {
        this.trace.push(`${id} fetch ${partition}`);
        const log = this.logs.get(partition) ?? [];
        const from = this.cursors.get(partition) ?? 0;
        const to = Math.min(log.length, from + messagesMax);
        this.cursors.set(partition, to);
        return log.slice(from, to).map(
          (entry, offset): PartitionMessage => ({
            ...entry,
            ackAll: async () => {
              this.trace.push(`${id} ack ${partition}`);
              this.floors.set(partition, Math.max(this.floors.get(partition) ?? 0, from + offset + 1));
            },
          }),
        );
      },
    };
  }

  publish(stationId: string): void {
    const seq = (this.published.get(stationId) ?? 0) + 1;
    this.published.set(stationId, seq);
    const partition = partitionOfStation(stationId, this.partitions);
    const log = this.logs.get(partition) ?? [];
    log.push({ subject: `bianmin.up.${partition}.${stationId}.event`, data: Buffer.from(String(seq)) });
    this.logs.set(partition, log);
  }

  /** The ingest: takes a message; the commit barrier stores it. */
  handler(id: number) {
    return (topic: string, payload: Uint8Array): undefined => {
      const stationId = topic.split('/')[3]!;
      const seq = Number(Buffer.from(payload).toString());
      this.trace.push(`${id} hand ${partitionOfStation(stationId, this.partitions)} ${stationId} ${seq}`);
      const pending = this.pending.get(id) ?? [];
      pending.push([stationId, seq]);
      this.pending.set(id, pending);
      return undefined;
    };
  }

  /** The commit: stores each station's next seq once, counts redeliveries, records any seq out of order. */
  commit(id: number): void {
    this.trace.push(`${id} barrier`);
    for (const [stationId, seq] of this.pending.get(id) ?? []) {
      const seqs = this.stored.get(stationId) ?? [];
      const last = seqs.at(-1) ?? 0;
      if (seq <= last) this.duplicates += 1;
      else if (seq === last + 1) seqs.push(seq);
      else this.outOfOrder.push(`${stationId} ${seq} after ${last}`);
      this.stored.set(stationId, seqs);
    }
    this.pending.delete(id);
  }
}

interface Gateway {
  readonly id: number;
  readonly rounds: PartitionRounds;
}

function join(world: World, id: number, fetchBatchMax = 4): Gateway {
  world.live.add(id);
  const rounds = new PartitionRounds(world.backend(id), {
    partitions: world.partitions,
    fetchBatchMax,
    commitBarrier: async () => {
      if (!world.live.has(id)) throw new Error('killed before the commit');
      world.commit(id);
    },
    log: silentLog,
  });
  return { id, rounds };
}

/** kill -9: PostgreSQL ends the session, its locks are free and it is no longer a member; nothing uncommitted is stored. */
function kill(world: World, gateway: Gateway): void {
  world.live.delete(gateway.id);
  world.pending.delete(gateway.id);
  for (const [partition, holder] of world.locks) if (holder === gateway.id) world.locks.delete(partition);
}

async function poll(world: World, gateway: Gateway): Promise<number> {
  await gateway.rounds.claim();
  return await gateway.rounds.round(world.handler(gateway.id));
}

function heldBy(world: World, id: number): number[] {
  return [...world.locks].filter(([, holder]) => holder === id).map(([partition]) => partition);
}

/** Polls every gateway in turn until a whole pass moves no lock and hands nothing; returns the passes. */
async function settle(world: World, gateways: readonly Gateway[]): Promise<number> {
  const passesMax = 20 + world.partitions * 4;
  for (let pass = 1; pass <= passesMax; pass += 1) {
    const before = JSON.stringify([...world.locks].sort());
    let handed = 0;
    for (const gateway of gateways) handed += await poll(world, gateway);
    if (handed === 0 && JSON.stringify([...world.locks].sort()) === before) return pass;
  }
  throw new Error(`not settled within ${passesMax} passes`);
}

t.test('fair share and targets: the targets split the partitions exactly, within the share', async (t) => {
  t.equal(fairShare(4, 3), 2, 'ceil(4 / 3) = 2');
  t.same(
    [10, 20, 30].map((self) => partitionTarget(4, [30, 10, 20], self)),
    [2, 1, 1],
    '4 over 3: the lowest pid owns the fair share, the others one less (not 2 + 2 + 0)',
  );
  t.same(shareStep(3, 2), { kind: 'release' }, 'above the target: release');
  t.same(shareStep(1, 2), { kind: 'claim', count: 1 }, 'below: claim up to it');
  t.same(shareStep(2, 2), { kind: 'hold' }, 'at it: nothing moves');
  const details = fc.check(
    fc.property(
      fc.integer({ min: 1, max: 64 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 16 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      (partitions, members, joiner) => {
        const share = fairShare(partitions, members.length);
        if (share !== Math.ceil(partitions / members.length)) return false;
        const targets = members.map((self) => partitionTarget(partitions, members, self));
        if (targets.reduce((sum, n) => sum + n, 0) !== partitions) return false;
        if (targets.some((n) => n > share || n < Math.floor(partitions / members.length))) return false;
        if (partitions >= members.length && targets.some((n) => n < 1)) return false;
        // A member leaving never lowers a survivor's target: only the dead one's partitions move.
        if (members.length > 1) {
          const survivors = members.slice(1);
          for (const self of survivors) {
            if (partitionTarget(partitions, survivors, self) < partitionTarget(partitions, members, self))
              return false;
          }
        }
        // A member joining never raises an existing member's target: only the newcomer claims.
        if (!members.includes(joiner)) {
          const grown = [...members, joiner];
          for (const self of members) {
            if (partitionTarget(partitions, grown, self) > partitionTarget(partitions, members, self))
              return false;
          }
        }
        return true;
      },
    ),
    { numRuns: 500 },
  );
  if (details.failed)
    t.comment(`seed ${details.seed}, counterexample ${JSON.stringify(details.counterexample)}`);
  t.notOk(details.failed, `seed ${details.seed}`);
});

t.test(
  'claims stop at the target: 4 partitions, 3 gateways: 2, 1 and 1, each one at least one',
  async (t) => {
    const world = new World(4);
    const gateways = [join(world, 10), join(world, 20), join(world, 30)];
    // The last one polls first: free partitions everywhere, yet it takes only its target.
    await gateways[2]!.rounds.claim();
    t.same(heldBy(world, 30), [0], 'the highest pid claims 1 of 4 free partitions');
    t.equal(gateways[2]!.rounds.target, 1, 'its target is 1');
    await settle(world, gateways);
    t.same(
      gateways.map((g) => heldBy(world, g.id).length),
      [2, 1, 1],
      'owned 2 / 1 / 1 (fair share 2, no 2 + 2 + 0)',
    );
    t.same(
      gateways.map((g) => g.rounds.ready.length),
      [2, 1, 1],
      'every owned partition taken over and ready',
    );
  },
);

t.test('a dead peer: only its partitions move, to the survivors, up to their targets', async (t) => {
  const world = new World(4);
  const gateways = [join(world, 10), join(world, 20), join(world, 30)];
  await settle(world, gateways);
  const before = new Map(gateways.map((g) => [g.id, heldBy(world, g.id)]));
  kill(world, gateways[0]!);
  const survivors = gateways.slice(1);
  await settle(world, survivors);
  t.same(
    survivors.map((g) => heldBy(world, g.id).length),
    [2, 2],
    'the survivors own 2 each',
  );
  for (const g of survivors) {
    t.ok(
      before.get(g.id)!.every((p) => heldBy(world, g.id).includes(p)),
      `gateway ${g.id} kept the partitions it had`,
    );
    t.equal(g.rounds.counters.releases, 0, `gateway ${g.id} released nothing`);
  }
  t.equal(world.locks.size, 4, 'every partition owned');
});

t.test(
  'the excess is released between rounds, after the commit barrier and the ack, never mid-round',
  async (t) => {
    const world = new World(2);
    const a = join(world, 10);
    await a.rounds.claim();
    t.same(heldBy(world, 10), [0, 1], 'alone, A owns both partitions');
    // Partition 1's stations: a message waits there.
    const station = ['S1', 'S2', 'S3', 'S4', 'S5'].find((id) => partitionOfStation(id, 2) === 1)!;
    world.publish(station);
    world.publish(station);
    // B joins while A is in the middle of a round: A's round still hands, commits and acks everything.
    let b: Gateway | undefined;
    const handle = world.handler(10);
    const handed = await a.rounds.round((topic, payload) => {
      b ??= join(world, 20);
      return handle(topic, payload);
    });
    t.equal(handed, 2, "the round handed partition 1's two messages");
    t.same(heldBy(world, 10), [0, 1], 'no unlock during the round');
    t.equal(a.rounds.counters.releases, 0, 'nothing released mid-round');
    // A's next poll (between rounds): target 1 of 2, so partition 1 goes, after barrier and ack.
    const mark = world.trace.length;
    await a.rounds.claim();
    t.same(heldBy(world, 10), [0], 'A keeps partition 0');
    t.same(
      world.trace.slice(mark),
      ['10 barrier', '10 unlock 1'],
      'barrier, then unlock (acked in the round)',
    );
    t.equal(a.rounds.counters.releases, 1, 'the release is counted');
    t.notOk(a.rounds.ownsStation(station), "A no longer acts for the partition's stations");
    await b!.rounds.claim();
    t.same(heldBy(world, 20), [1], 'B claims it at its poll');
    t.ok(b!.rounds.ownsStation(station), 'and acts for its stations');
    world.publish(station);
    t.equal(await b!.rounds.round(world.handler(20)), 1, 'B reads from the ack floor: only the new message');
    t.same(world.stored.get(station), [1, 2, 3], 'stored once, in order');
    t.equal(world.duplicates, 0, 'nothing redelivered: A had acked before the unlock');
  },
);

t.test('a release after a round that failed before its ack: barrier, the ack, then the unlock', async (t) => {
  const world = new World(2);
  world.live.add(10);
  const station = ['S1', 'S2', 'S3', 'S4', 'S5'].find((id) => partitionOfStation(id, 2) === 1)!;
  world.publish(station);
  let failAck = true;
  const backend = world.backend(10);
  // The first ack fails (a NATS timeout): the round throws with the message handed but not acked.
  const flaky = new PartitionRounds(
    {
      ...backend,
      fetch: async (partition, messagesMax) =>
        (await backend.fetch(partition, messagesMax)).map((message) => ({
          ...message,
          ackAll: async () => {
            if (failAck) {
              failAck = false;
              throw new Error('TIMEOUT');
            }
            await message.ackAll();
          },
        })),
    },
    {
      partitions: 2,
      fetchBatchMax: 4,
      commitBarrier: async () => world.commit(10),
      log: silentLog,
    },
  );
  await flaky.claim();
  await t.rejects(flaky.round(world.handler(10)), /TIMEOUT/, 'the round fails at the ack');
  join(world, 20);
  const mark = world.trace.length;
  await flaky.claim();
  t.same(
    world.trace.slice(mark),
    ['10 barrier', '10 ack 1', '10 unlock 1'],
    'the handed message is committed and acked before the lock goes',
  );
  t.equal(world.floors.get(1), 1, "partition 1's ack floor covers the handed message");
  t.equal(flaky.counters.releases, 1, 'one release counted');
  t.same(world.stored.get(station), [1], 'the message stored once');
});

t.test('model: any joins, kills, publishes and polls end shared, exactly once, in order', async (t) => {
  const stations = Array.from({ length: 10 }, (_, i) => `K${i}`);
  const command = fc.oneof(
    { arbitrary: fc.constant({ kind: 'join' as const }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('kill' as const), index: fc.nat() }), weight: 1 },
    // Killed in the middle of a round: messages handed, neither committed nor acked.
    { arbitrary: fc.record({ kind: fc.constant('killMidRound' as const), index: fc.nat() }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant('publish' as const), station: fc.constantFrom(...stations) }),
      weight: 5,
    },
    { arbitrary: fc.record({ kind: fc.constant('poll' as const), index: fc.nat() }), weight: 6 },
  );
  let runs = 0;
  const details = await fc.check(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 8 }),
      fc.array(command, { maxLength: 60 }),
      async (partitions, commands) => {
        runs += 1;
        const world = new World(partitions);
        let gateways: Gateway[] = [join(world, 1)];
        let nextId = 2;
        for (const c of commands) {
          if (c.kind === 'join' && gateways.length < 6) gateways.push(join(world, nextId++));
          else if (c.kind === 'kill' && gateways.length > 1) {
            const dead = gateways[c.index % gateways.length]!;
            kill(world, dead);
            gateways = gateways.filter((g) => g !== dead);
          } else if (c.kind === 'killMidRound' && gateways.length > 1) {
            const dead = gateways[c.index % gateways.length]!;
            await dead.rounds.claim();
            const handle = world.handler(dead.id);
            await dead.rounds
              .round((topic, payload) => {
                handle(topic, payload);
                kill(world, dead);
                return undefined;
              })
              .catch(() => undefined);
            kill(world, dead); // also when the round had nothing to hand
            gateways = gateways.filter((g) => g !== dead);
          } else if (c.kind === 'publish') world.publish(c.station);
          else if (c.kind === 'poll') await poll(world, gateways[c.index % gateways.length]!);
          // Always: a partition is ready at one live gateway at most, and only where its lock is held.
          for (const g of gateways) {
            if (!g.rounds.ready.every((p) => world.locks.get(p) === g.id)) return false;
          }
        }
        await settle(world, gateways);
        const share = fairShare(partitions, gateways.length);
        for (const g of gateways) {
          const held = heldBy(world, g.id);
          if (held.length > share) return false;
          if (partitions >= gateways.length && held.length < 1) return false;
          if (g.rounds.ready.length !== held.length) return false;
        }
        if (world.locks.size !== partitions) return false;
        if (![...world.locks.values()].every((id) => world.live.has(id))) return false;
        if (world.outOfOrder.length > 0) return false;
        for (const [stationId, last] of world.published) {
          const seqs = world.stored.get(stationId) ?? [];
          if (JSON.stringify(seqs) !== JSON.stringify(Array.from({ length: last }, (_, i) => i + 1)))
            return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  if (details.failed)
    t.comment(`seed ${details.seed}, counterexample ${JSON.stringify(details.counterexample)}`);
  t.notOk(details.failed, `seed ${details.seed}`);
  t.equal(runs >= 300, true, 'every run checked');
});
