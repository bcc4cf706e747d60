// Goal: the production broker config (deploy/mosquitto/) holds against a hostile station: it
// publishes only on its own five up-topics and reads only its own down-topics, cannot connect as
// HQ or as another station (by client id or user name), cannot pass the size limit, cannot connect
// without a certificate from our CA or to a broker it does not trust, and cannot park retained
// messages outside its own up-topics. Method: a real Mosquitto 2.0.11 started from the production
// file (test/helpers/mosquitto.ts, TLS listener only, test CA made with openssl); "not delivered"
// is shown without sleeping: the forbidden publish is PUBACKed (3.1.1), then an allowed marker is
// published on the same broker, and the marker's arrival proves the forbidden one would have come.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import t from 'tap';
import {
  deployDir,
  type MosquittoBroker,
  makeAclScript,
  productionConfigFile,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { makeTestCa, tlsClientOptions } from '../helpers/test-ca.js';

const A = 'ST-A';
const B = 'ST-B';
const root = 'bianmin/v1/st';
const up = (station: string, channel: string) => `${root}/${station}/up/${channel}`;
const down = (station: string, channel: string) => `${root}/${station}/down/${channel}`;

const broker: MosquittoBroker = await startMosquitto({ stationIds: [A, B], plainListener: false });
t.teardown(() => broker.close());

const clients: MqttClient[] = [];
t.teardown(async () => {
  for (const client of clients) await client.endAsync(true).catch(() => undefined);
});

async function connect(user: string, extra: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.tlsUrl, {
    ...broker.tlsOptions(user),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...extra,
  });
  clients.push(client);
  return client;
}

/** Collects every message a client receives; `next(topic)` resolves when one arrives there. */
function inbox(client: MqttClient) {
  const received: { topic: string; payload: string; retain: boolean }[] = [];
  const waiters: { topic: string; resolve: () => void }[] = [];
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload: payload.toString(), retain: packet.retain });
    for (const waiter of waiters.filter((w) => w.topic === topic)) waiter.resolve();
  });
  return {
    received,
    next(topic: string): Promise<void> {
      if (received.some((m) => m.topic === topic)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ topic, resolve }));
    },
  };
}

/** Expects the connection to be refused; returns the error text. */
async function refused(options: IClientOptions, url = broker.tlsUrl): Promise<string> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });
    await client.endAsync(true);
    return 'CONNECTED';
  } catch (error) {
    return String((error as Error).message);
  }
}

t.test('the committed ACL is the generator output; the config sets every limit explicitly', async (t) => {
  const generated = execFileSync('bash', [makeAclScript], { encoding: 'utf8' });
  t.equal(readFileSync(join(deployDir, 'acl'), 'utf8'), generated, 'deploy/mosquitto/acl = make-acl.sh');
  const config = readFileSync(productionConfigFile, 'utf8');
  const setting = (name: string) => new RegExp(`^${name} (.+)$`, 'm').exec(config)?.[1];
  t.equal(setting('allow_anonymous'), 'false');
  t.equal(setting('use_username_as_clientid'), 'true');
  t.equal(setting('require_certificate'), 'true');
  t.equal(setting('message_size_limit'), '65536', 'the wire Envelope maximum');
  t.ok(
    Number(setting('max_queued_messages')) >= 100_000,
    'max_queued_messages explicit and large (TOOLCHAIN trap)',
  );
  t.ok(Number(setting('max_inflight_messages')) > 0, 'in-flight limit');
  t.ok(Number(setting('max_queued_bytes')) > 0, 'queued bytes limit');
  t.ok(Number(setting('max_connections')) > 0, 'connection limit');
  t.equal(setting('retain_available'), 'true', 'retain stays on: down/config is retained (docs/security.md)');
  t.notMatch(config, /BEGIN .*PRIVATE KEY/, 'no key in the config');
  const rendered = readFileSync(broker.configFile, 'utf8');
  t.match(rendered, /^require_certificate true$/m, 'the test broker runs the production settings');
});

t.test('a station publishes only on its own five up-topics (ACL)', async (t) => {
  const hq = await connect(broker.hqUser, { clean: true });
  const box = inbox(hq);
  await hq.subscribeAsync(`${root}/+/up/#`, { qos: 1 });
  const a = await connect(A);
  for (const channel of ['event', 'auth-req', 'birth', 'death', 'telemetry']) {
    await a.publishAsync(up(A, channel), `own ${channel}`, { qos: 1 });
    await box.next(up(A, channel));
  }
  t.pass('every own up-topic is delivered to HQ');
  await a.publishAsync(up(B, 'event'), 'forged for B', { qos: 1 });
  await a.publishAsync(up(A, 'event/extra'), 'sub-topic', { qos: 1 });
  await a.publishAsync(`${root}/${A}/up/other`, 'other channel', { qos: 1 });
  await a.publishAsync(down(B, 'config'), 'fake config', { qos: 1 });
  await a.publishAsync(up(A, 'telemetry'), 'marker', { qos: 1 });
  await new Promise<void>((resolve) => {
    const check = () => (box.received.some((m) => m.payload === 'marker') ? resolve() : setImmediate(check));
    check();
  });
  const payloads = box.received.map((m) => m.payload);
  t.notOk(payloads.includes('forged for B'), "a station cannot publish on another station's up-topic");
  t.notOk(payloads.includes('sub-topic'), 'nor on a sub-topic of its own up-topics');
  t.notOk(payloads.includes('other channel'), 'nor on an up-channel the protocol does not define');
  await hq.endAsync();
});

t.test("a station reads only its own down-topics, never another station's or HQ's up-stream", async (t) => {
  const hq = await connect(broker.hqUser, { clean: true });
  const a = await connect(A);
  const b = await connect(B);
  const boxA = inbox(a);
  const boxB = inbox(b);
  await a.subscribeAsync([`${root}/${B}/down/#`, `${root}/+/up/#`, `${root}/${A}/down/#`], { qos: 1 });
  await b.subscribeAsync(`${root}/${B}/down/#`, { qos: 1 });
  await hq.publishAsync(down(B, 'auth-resp'), 'for B only', { qos: 1 });
  await b.publishAsync(up(B, 'auth-req'), 'B card data', { qos: 1 });
  await boxB.next(down(B, 'auth-resp'));
  await hq.publishAsync(down(A, 'ack'), 'marker A', { qos: 1 });
  await boxA.next(down(A, 'ack'));
  t.same(
    boxA.received.map((m) => m.payload),
    ['marker A'],
    "A received nothing of B's down-topics nor anyone's up-topics",
  );
  await hq.endAsync();
});

t.test('client ids are bound to user names: no session take-over', async (t) => {
  const hq = await connect(broker.hqUser, { clientId: 'hq-gateway', clean: false });
  let hqClosed = 0;
  hq.on('close', () => {
    hqClosed += 1;
  });
  const box = inbox(hq);
  await hq.subscribeAsync(`${root}/+/up/#`, { qos: 1 });
  const b = await connect(B, { clientId: B });
  let bClosed = 0;
  b.on('close', () => {
    bClosed += 1;
  });
  // A station connecting with HQ's client id, and with another station's, gets its own session
  // (its user name): HQ and B stay connected. One at a time: both would be client id ST-A.
  const asHq = await connect(A, { clientId: 'hq-gateway' });
  await asHq.publishAsync(up(A, 'event'), 'from A posing as hq-gateway', { qos: 1 });
  await box.next(up(A, 'event'));
  await asHq.endAsync();
  const asB = await connect(A, { clientId: B });
  await asB.publishAsync(up(A, 'birth'), 'from A posing as B', { qos: 1 });
  await box.next(up(A, 'birth'));
  await asB.endAsync();
  await b.publishAsync(up(B, 'event'), 'B still here', { qos: 1 });
  await box.next(up(B, 'event'));
  t.equal(hqClosed, 0, "HQ's persistent session was not taken over");
  t.equal(bClosed, 0, 'station B was not knocked off');
  t.ok(hq.connected && b.connected, 'HQ and B still connected');
  // User names are authenticated: A's password opens neither B nor HQ.
  const aPassword = broker.password(A);
  t.match(
    await refused({ ...broker.tlsOptions(A), username: B, password: aPassword }),
    /Not authorized|Bad username or password/,
    "A cannot log in as B with A's password",
  );
  t.match(
    await refused({ ...broker.tlsOptions(A), username: 'hq-gateway', password: aPassword }),
    /Not authorized|Bad username or password/,
    'A cannot log in as hq-gateway',
  );
  t.match(
    await refused({ ...broker.tlsOptions(A), username: broker.hqUser, password: aPassword }),
    /Not authorized|Bad username or password/,
    "A cannot log in as HQ's user",
  );
  const { username: _u, password: _p, ...anonymous } = broker.tlsOptions(A);
  t.match(await refused(anonymous), /Not authorized|Bad username or password/, 'no anonymous login');
  await hq.endAsync();
});

t.test('message_size_limit: a payload over 65536 bytes never reaches HQ', async (t) => {
  const hq = await connect(broker.hqUser, { clean: true });
  const box = inbox(hq);
  await hq.subscribeAsync(`${root}/+/up/#`, { qos: 1 });
  const a = await connect(A);
  await a.publishAsync(up(A, 'event'), Buffer.alloc(65_537, 0x41), { qos: 1 });
  await a.publishAsync(up(A, 'event'), Buffer.alloc(65_536, 0x42), { qos: 1 });
  await box.next(up(A, 'event'));
  t.same(
    box.received.map((m) => m.payload.length),
    [65_536],
    'the oversized one was dropped, the largest allowed one passed',
  );
  await hq.endAsync();
});

t.test('TLS: no certificate, a certificate from another CA, or an untrusted broker: refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wrong-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rogue = makeTestCa(dir, 'rogue');
  const credentials = { username: A, password: broker.password(A) };
  const good = broker.tlsOptions(A);
  t.not(
    await refused({ ...credentials, ...tlsClientOptions(broker.ca.caFile, undefined) }),
    'CONNECTED',
    'no client certificate: refused',
  );
  t.not(
    await refused({ ...credentials, ...tlsClientOptions(broker.ca.caFile, rogue.client(A)) }),
    'CONNECTED',
    'a client certificate from another CA: refused',
  );
  t.match(
    await refused({ ...credentials, ...tlsClientOptions(rogue.caFile, broker.ca.client(A)) }),
    /certificate|self.signed|verify/i,
    'a client that does not trust the broker certificate refuses to connect',
  );
  t.not(
    await refused({ ...credentials }, `mqtt://127.0.0.1:${broker.tlsPort}`),
    'CONNECTED',
    'plain MQTT on the TLS port: refused',
  );
  t.match(
    await refused({ ...good, password: 'wrong' }),
    /Not authorized|Bad username or password/,
    'a valid certificate with a wrong password: refused',
  );
  const ok = await connect(A);
  t.ok(ok.connected, 'certificate + password: connected');
});

t.test(
  'retained: HQ configs are retained for the kiosk; a station can retain only on its five up-topics',
  async (t) => {
    const hq = await connect(broker.hqUser, { clean: true });
    await hq.publishAsync(down(A, 'config'), 'config v1', { qos: 1, retain: true });
    const a = await connect(A);
    await a.publishAsync(up(A, 'death'), 'stale death', { qos: 1, retain: true });
    await a.publishAsync(`${root}/${A}/up/parking/1`, 'parked', { qos: 1, retain: true });
    await a.publishAsync(down(A, 'config'), 'self-made config', { qos: 1, retain: true });
    const boxA = inbox(a);
    await a.subscribeAsync(`${root}/${A}/down/#`, { qos: 1 });
    await boxA.next(down(A, 'config'));
    t.same(
      boxA.received.map((m) => [m.payload, m.retain]),
      [['config v1', true]],
      "the kiosk gets HQ's retained config on subscribe, not its own",
    );
    const hq2 = await connect(broker.testUser, { clean: true });
    const box = inbox(hq2);
    await hq2.subscribeAsync(`${root}/${A}/up/#`, { qos: 1 });
    await box.next(up(A, 'death'));
    t.same(
      box.received.map((m) => [m.topic, m.retain]),
      [[up(A, 'death'), true]],
      'only the exact up-topic holds a retained message (2.0.11 cannot refuse it; HQ ignores retained up/ deliveries)',
    );
    // Clean up the retained messages for later tests.
    await a.publishAsync(up(A, 'death'), '', { qos: 1, retain: true });
    await hq.publishAsync(down(A, 'config'), '', { qos: 1, retain: true });
    await hq.endAsync();
    await hq2.endAsync();
  },
);

t.test('HQ may use a shared subscription under its ACL', async (t) => {
  const hq = await connect(broker.hqUser, { clean: true });
  const box = inbox(hq);
  await hq.subscribeAsync(`$share/hq/${root}/+/up/#`, { qos: 1 });
  const a = await connect(A);
  await a.publishAsync(up(A, 'event'), 'shared', { qos: 1 });
  await box.next(up(A, 'event'));
  t.equal(box.received[0]?.payload, 'shared');
  await hq.endAsync();
});
