// Goal: prove the gateway's NATS link (packages/hq-gateway/src/adapters/nats/) shares the up
// traffic between gateways by partition and moves a dead owner's partitions, acking JetStream only
// after the commit barrier. Method: a real 3-node cluster (scripts/nats/cluster.ts), real MQTT
// kiosks' publishes, two NatsLinks on one real PostgreSQL database (advisory locks) with a
// recording ingest. The second link to start takes half the partitions from the first (which
// releases them between rounds), each station's events go to its partition's owner in order; then
// one link's lock connection is terminated by PostgreSQL (as when its process dies), and the other
// must own every partition and receive what follows, in per-station order.
import mqtt, { type MqttClient } from 'mqtt';
import { connect, StringCodec } from 'nats';
import t from 'tap';
import { NatsLink } from '../../packages/hq-gateway/src/adapters/nats/nats-link.js';
import { HqError } from '../../packages/hq-gateway/src/errors.js';
import { createTestDatabase } from '../../packages/hq-gateway/test/store-contract/factories.js';
import { partitionOfStation, startNatsCluster } from '../../scripts/nats/cluster.js';

const partitions = 4;
const stations = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].map((id) => ({ id, password: `pw-${id}` }));

const silentLog = {
  child: () => silentLog,
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  fatal: () => {},
  trace: () => {},
};

async function kiosk(url: string, id: string): Promise<MqttClient> {
  return await mqtt.connectAsync(url, {
    username: id,
    password: `pw-${id}`,
    clientId: `kiosk-${id}`,
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
  });
}

interface Recorder {
  readonly seen: string[];
  barriers: number;
  link: NatsLink;
}

function makeLink(
  cluster: Awaited<ReturnType<typeof startNatsCluster>>,
  url: string,
  name: string,
): Recorder {
  const recorder: Recorder = { seen: [], barriers: 0, link: undefined as unknown as NatsLink };
  recorder.link = new NatsLink({
    natsUrls: cluster.natsUrls,
    mqttUrls: cluster.mqttUrls,
    username: cluster.hq.user,
    password: cluster.hq.password,
    clientId: name,
    partitions,
    lockDatabaseUrl: url,
    claimPollMs: 200,
    commitBarrier: async () => {
      recorder.barriers += 1;
    },
    log: silentLog as never,
  });
  return recorder;
}

async function until(check: () => boolean, what: string): Promise<void> {
  // Bounded polling of state another process moves; a failure names what never happened.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

t.test(
  "two gateways share the partitions; a dead owner's partitions move; order kept per station",
  async (t) => {
    const cluster = await startNatsCluster({ nodes: 3, partitions, stations });
    t.teardown(() => cluster.stop());
    const database = await createTestDatabase();
    t.teardown(() => database.drop());

    const a = makeLink(cluster, database.url, 'gw-a');
    const b = makeLink(cluster, database.url, 'gw-b');
    const onMessage = (recorder: Recorder) => (topic: string, payload: Uint8Array) => {
      recorder.seen.push(`${topic} ${Buffer.from(payload).toString()}`);
      return undefined;
    };
    await a.link.connect(onMessage(a));
    t.teardown(() => a.link.close());
    await until(() => a.link.owned.length === partitions, 'gateway A owns every partition');
    await b.link.connect(onMessage(b));
    t.teardown(() => b.link.close());
    await until(
      () => a.link.owned.length === partitions / 2 && b.link.owned.length === partitions / 2,
      'A and B own half the partitions each',
    );
    t.equal(a.link.counters.releases, partitions / 2, 'A released its excess, one partition at a time');
    t.equal(b.link.target, partitions / 2, "B's target is half");

    const kiosks = await Promise.all(stations.map((s, index) => kiosk(cluster.mqttUrls[index % 3]!, s.id)));
    t.teardown(() => Promise.all(kiosks.map((k) => k.endAsync(true))));
    for (let n = 1; n <= 5; n += 1) {
      for (const [index, k] of kiosks.entries()) {
        await k.publishAsync(`bianmin/v1/st/${stations[index]!.id}/up/event`, `e${n}`, { qos: 1 });
      }
    }
    await until(
      () => a.seen.length + b.seen.length >= 30 && a.link.counters.acked + b.link.counters.acked >= 30,
      'the gateways took and acked 30 events',
    );
    t.ok(a.barriers >= 1 && b.barriers >= 1, 'acks followed the commit barrier');
    const ownerBefore = new Map(stations.map(({ id }) => [id, a.link.ownsStation(id) ? a : b]));
    const seenBefore = new Map([
      [a, [...a.seen]],
      [b, [...b.seen]],
    ]);

    // A's process "dies": its lock connection ends, PostgreSQL frees its partition locks. (Not
    // pg_terminate_backend first: the live link would reconnect and claim its share back before
    // the close, a resurrection a killed process never does.)
    await a.link.close();
    await until(() => b.link.owned.length === partitions, 'gateway B owns every partition');

    for (let n = 6; n <= 8; n += 1) {
      for (const [index, k] of kiosks.entries()) {
        await k.publishAsync(`bianmin/v1/st/${stations[index]!.id}/up/event`, `e${n}`, { qos: 1 });
      }
    }
    await until(
      () => b.seen.filter((line) => / e8$/.test(line)).length === stations.length,
      'gateway B took e8 of every station',
    );
    const eventsOf = (seen: readonly string[], id: string): string[] =>
      seen
        .filter((line) => line.startsWith(`bianmin/v1/st/${id}/up/event `))
        .map((line) => line.split(' ')[1]!);
    for (const { id } of stations) {
      t.same(
        eventsOf(b.seen, id).slice(-3),
        ['e6', 'e7', 'e8'],
        `${id}: B received its events in order after the takeover`,
      );
      const owner = ownerBefore.get(id)!;
      const other = owner === a ? b : a;
      t.same(
        eventsOf(seenBefore.get(owner)!, id),
        ['e1', 'e2', 'e3', 'e4', 'e5'],
        `${id}: its owner received e1..e5 in order`,
      );
      t.same(eventsOf(seenBefore.get(other)!, id), [], `${id}: the other gateway received none of them`);
    }
    t.equal(
      b.link.counters.takeovers,
      partitions,
      "B took over every partition once (half at the rebalance, A's half at its death)",
    );

    // A message on a partition subject the mapping does not give its station: HQ_NATS_WRONG_PARTITION.
    const nc = await connect({
      servers: [...cluster.natsUrls],
      user: cluster.hq.user,
      pass: cluster.hq.password,
    });
    t.teardown(() => nc.close());
    const wrong = (partitionOfStation('S1', partitions) + 1) % partitions;
    const js = nc.jetstream();
    await js.publish(`bianmin.up.${wrong}.S1.event`, StringCodec().encode('forged'));
    await until(() => b.link.counters.wrongPartition === 1, 'the wrong-partition message counted');
    t.notOk(
      b.seen.some((line) => line.endsWith(' forged')),
      'HQ_NATS_WRONG_PARTITION: never handed to ingest',
    );

    // Downlink: B publishes an ack through MQTT; the kiosk on another node gets it.
    const s1 = kiosks[0]!;
    await s1.subscribeAsync('bianmin/v1/st/S1/down/#', { qos: 1 });
    const got = new Promise<string>((resolve) =>
      s1.once('message', (topic, payload) => resolve(`${topic} ${payload}`)),
    );
    await b.link.publish('bianmin/v1/st/S1/down/ack', Buffer.from('ack-8'), { qos: 1, retain: false });
    t.equal(await got, 'bianmin/v1/st/S1/down/ack ack-8', 'downlink reaches the kiosk');
  },
);

t.test('HQ_NATS_FAILED: no cluster answers', async (t) => {
  const link = new NatsLink({
    natsUrls: ['nats://127.0.0.1:1'],
    mqttUrls: ['mqtt://127.0.0.1:1'],
    username: 'hq',
    password: 'x',
    clientId: 'gw-x',
    partitions,
    lockDatabaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
    commitBarrier: async () => {},
    log: silentLog as never,
  });
  const error = await link
    .connect(() => undefined)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  t.ok(error instanceof HqError, 'an HqError');
  t.equal((error as HqError).code, 'HQ_NATS_FAILED', 'HQ_NATS_FAILED');
});
