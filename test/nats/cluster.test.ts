// Goal: prove the NATS cluster harness (scripts/nats/cluster.ts) gives what the gateways and the
// fleet rely on. Method: a real 3-node nats-server cluster on loopback; real MQTT 3.1.1 clients
// (mqtt.js) as stations and HQ; the stream read back with the nats client. Checked: a QoS 1 publish
// on node 1 lands in the R3 stream on its station's partition subject (the JS partition function
// equals the server's), a station cannot publish as another station, a down message published on
// node 3 reaches the station's subscription on node 1, and after SIGKILL of a node the stream
// keeps its messages and takes new ones (resent as a kiosk resends an unacked event while the
// stream's leader is re-elected), and the node rejoins.
import mqtt, { type MqttClient } from 'mqtt';
import { connect, type NatsConnection } from 'nats';
import t from 'tap';
import { type NatsCluster, partitionOfStation, startNatsCluster } from '../../scripts/nats/cluster.js';

const stations = [
  { id: 'S1', password: 'pw-s1' },
  { id: 'S2', password: 'pw-s2' },
  { id: 'ST-0042', password: 'pw-42' },
];

// After a node is killed, NATS MQTT refuses connects until the JetStream leaders of its session
// streams are re-elected (measured ~8 s): a kiosk retries with back-off, so does this helper.
const connectAttemptsMax = 60;
const connectWaitMs = 10_000;

async function mqttConnect(
  url: string,
  username: string,
  password: string,
  clientId: string,
): Promise<MqttClient> {
  let lastError: unknown;
  for (let attempt = 0; attempt < connectAttemptsMax; attempt += 1) {
    try {
      return await mqttConnectOnce(url, username, password, clientId);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function mqttConnectOnce(
  url: string,
  username: string,
  password: string,
  clientId: string,
): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    username,
    password,
    clientId,
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
      // mqtt.js with reconnectPeriod 0 may neither connect nor close when the server never answers.
      const timer = setTimeout(() => reject(new Error('no CONNACK')), connectWaitMs);
      client.once('connect', () => clearTimeout(timer));
      client.once('close', () => clearTimeout(timer));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

async function streamMessages(nc: NatsConnection, cluster: NatsCluster): Promise<string[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(cluster.streamName);
  const subjects: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(cluster.streamName, { seq });
    subjects.push(`${message.subject} ${new TextDecoder().decode(message.data)}`);
  }
  return subjects;
}

// While a killed node's stream leader is re-elected, a QoS 1 publish can be PUBACKed by the MQTT
// layer and still not reach the stream (the gateways' cumulative acks make the kiosk resend it).
// This helper does what the kiosk does: publish, read the stream, publish again while it is absent.
const resendRoundsMax = 60;
const pubackWaitMs = 5_000;
const readsPerRound = 25;

async function publishUntilStored(
  client: MqttClient,
  nc: NatsConnection,
  cluster: NatsCluster,
  publish: { topic: string; payload: string; storedLine: string },
): Promise<{ stored: string[]; rounds: number }> {
  let stored: string[] = [];
  for (let round = 1; round <= resendRoundsMax; round += 1) {
    // The PUBACK is awaited for at most pubackWaitMs: after a node kill NATS MQTT can drop the
    // store request of a QoS 1 publish ("timeout for request type MS") and never PUBACK it; an
    // unbounded await hung the test (CI: tap's 300 s timeout). The next round publishes again.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.publishAsync(publish.topic, publish.payload, { qos: 1 }).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, pubackWaitMs);
      }),
    ]);
    clearTimeout(timer);
    for (let read = 0; read < readsPerRound; read += 1) {
      stored = await streamMessages(nc, cluster).catch(() => stored);
      if (stored.includes(publish.storedLine)) return { stored, rounds: round };
    }
  }
  return { stored, rounds: resendRoundsMax };
}

t.test(
  '3-node cluster: MQTT QoS 1 into the R3 stream on its partition, permissions, down path, node kill',
  async (t) => {
    const cluster = await startNatsCluster({ nodes: 3, partitions: 4, stations });
    t.teardown(() => cluster.stop());
    t.equal(cluster.mqttUrls.length, 3, 'one MQTT listener per node');
    t.equal(cluster.natsUrls.length, 3, 'one NATS listener per node');

    const nc = await connect({
      servers: [...cluster.natsUrls],
      user: cluster.hq.user,
      pass: cluster.hq.password,
    });
    t.teardown(() => nc.close());
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(cluster.streamName);
    t.equal(info.config.num_replicas, 3, 'the up stream is R3');
    t.equal(info.cluster?.replicas?.length, 2, 'the stream has a leader and two replicas');

    const s1 = await mqttConnect(cluster.mqttUrls[0]!, 'S1', 'pw-s1', 'kiosk-S1');
    t.teardown(() => s1.endAsync(true));
    await s1.publishAsync('bianmin/v1/st/S1/up/event', 'e1', { qos: 1 });
    const s42 = await mqttConnect(cluster.mqttUrls[1]!, 'ST-0042', 'pw-42', 'kiosk-ST-0042');
    t.teardown(() => s42.endAsync(true));
    await s42.publishAsync('bianmin/v1/st/ST-0042/up/auth-req', 'a1', { qos: 1 });
    // A station publishing under another station's id: denied by the server (no message stored).
    await s42.publishAsync('bianmin/v1/st/S2/up/event', 'forged', { qos: 1 }).catch(() => undefined);
    // The sync publish below is routed through node 2 after the forged one: when it is stored the
    // forged one has been decided.
    await s42.publishAsync('bianmin/v1/st/ST-0042/up/event', 'e2', { qos: 1 }).catch(() => undefined);

    const p1 = partitionOfStation('S1', 4);
    const p42 = partitionOfStation('ST-0042', 4);
    const expected = [`bianmin.up.${p1}.S1.event e1`, `bianmin.up.${p42}.ST-0042.auth-req a1`];
    let seen: string[] = [];
    for (let attempt = 0; attempt < 200 && seen.length < 2; attempt += 1)
      seen = await streamMessages(nc, cluster);
    t.same(
      seen.slice(0, 2),
      expected,
      'QoS 1 publishes stored on bianmin.up.<partition>.<station>.<channel>',
    );
    t.notOk(
      seen.some((line) => line.includes('forged')),
      'a station cannot publish under another station id',
    );

    // Down: HQ publishes on node 3 via MQTT, S1 (on node 1) receives it on its subscription.
    await s1.subscribeAsync('bianmin/v1/st/S1/down/#', { qos: 1 });
    const received = new Promise<string>((resolve) => {
      s1.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`));
    });
    const hq = await mqttConnect(cluster.mqttUrls[2]!, cluster.hq.user, cluster.hq.password, 'hq-down');
    t.teardown(() => hq.endAsync(true));
    await hq.publishAsync('bianmin/v1/st/S1/down/ack', 'ack-1', { qos: 1 });
    t.equal(await received, 'bianmin/v1/st/S1/down/ack ack-1', 'down message crosses nodes to the station');

    // Kill node 1 (the station's node): the R3 stream keeps what it had and takes new messages.
    await s1.endAsync(true);
    await cluster.kill(0);
    t.notOk(cluster.running(0), 'node 1 is down');
    const s1b = await mqttConnect(cluster.mqttUrls[1]!, 'S1', 'pw-s1', 'kiosk-S1');
    t.teardown(() => s1b.endAsync(true));
    const { stored: after } = await publishUntilStored(s1b, nc, cluster, {
      topic: 'bianmin/v1/st/S1/up/event',
      payload: 'e3',
      storedLine: `bianmin.up.${p1}.S1.event e3`,
    });
    t.ok(after.includes(`bianmin.up.${p1}.S1.event e1`), 'the message stored before the kill is still there');
    t.ok(after.includes(`bianmin.up.${p1}.S1.event e3`), 'a publish after the kill is stored');

    await cluster.restart(0);
    t.ok(cluster.running(0), 'node 1 rejoined');
    const s1c = await mqttConnect(cluster.mqttUrls[0]!, 'S2', 'pw-s2', 'kiosk-S2');
    t.teardown(() => s1c.endAsync(true));
    const { stored: last } = await publishUntilStored(s1c, nc, cluster, {
      topic: 'bianmin/v1/st/S2/up/event',
      payload: 'e4',
      storedLine: `bianmin.up.${partitionOfStation('S2', 4)}.S2.event e4`,
    });
    t.ok(
      last.includes(`bianmin.up.${partitionOfStation('S2', 4)}.S2.event e4`),
      'the restarted node takes publishes',
    );
  },
);

t.test('partitionOfStation: stable, in range, assertions', async (t) => {
  t.equal(partitionOfStation('S1', 4), partitionOfStation('S1', 4), 'deterministic');
  for (const id of ['A', 'B', 'ST-1', 'ST-2', 'x_y']) {
    const p = partitionOfStation(id, 7);
    t.ok(p >= 0 && p < 7, `${id} in range`);
  }
  t.throws(() => partitionOfStation('S1', 0), /partitions/, 'zero partitions refused');
});
