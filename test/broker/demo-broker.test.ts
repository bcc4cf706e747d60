// Goal: the demo's embedded aedes broker enforces the production broker's rules: no anonymous
// client, per-station passwords, client id bound to the user name, a station publishes only on its
// own up-topics and reads only its own down-topics, so nobody but HQ ever sees card data sent on an
// authorisation topic. Method: the broker of scripts/demo/lib/broker.ts on a free port, raw mqtt.js
// clients (MQTT 3.1.1) as HQ, honest and hostile stations and an anonymous snooper; a refused
// subscription closes the connection (aedes), a refused publish too; "nothing received" is shown
// by a later allowed message arriving first. Plus table cases for the pure ACL (broker-acl.ts).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import t from 'tap';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../scripts/demo/lib/broker.js';
import { filterCovered, mayPublish, maySubscribe } from '../../scripts/demo/lib/broker-acl.js';

const A = 'ZJ-001';
const B = 'ZJ-002';
const authReq = (station: string) => `bianmin/v1/st/${station}/up/auth-req`;
const cardData = 'pan=6222021234567894;pinBlock=00112233445566778899AABBCCDDEEFF';

const broker: EmbeddedBroker = await startEmbeddedBroker({ stationIds: [A, B] });
t.teardown(() => broker.close());
const clients: MqttClient[] = [];
t.teardown(async () => {
  for (const client of clients) await client.endAsync(true).catch(() => undefined);
});

function as(user: string, extra: IClientOptions = {}): IClientOptions {
  return { username: user, password: broker.password(user), clientId: user, ...extra };
}

async function connect(options: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  clients.push(client);
  return client;
}

async function refusedConnect(options: IClientOptions): Promise<string> {
  try {
    const client = await connect(options);
    await client.endAsync(true);
    return 'CONNECTED';
  } catch (error) {
    return String((error as Error).message);
  }
}

/** Subscribes; resolves 'granted' or 'refused' (aedes closes the connection on a refused filter). */
async function trySubscribe(client: MqttClient, filter: string): Promise<'granted' | 'refused'> {
  return await new Promise((resolve) => {
    client.once('close', () => resolve('refused'));
    client.subscribe(filter, { qos: 1 }, (error, granted) => {
      if (error || granted?.[0]?.qos === 128) resolve('refused');
      else resolve('granted');
    });
  });
}

t.test('no anonymous client, no wrong password, no borrowed client id', async (t) => {
  t.match(await refusedConnect({ clientId: 'snoop' }), /Not authorized/, 'anonymous: refused');
  t.match(
    await refusedConnect({ username: A, password: 'guess', clientId: A }),
    /Not authorized/,
    'wrong password',
  );
  t.match(await refusedConnect(as(A, { clientId: 'hq' })), /Not authorized/, "A with HQ's client id");
  t.match(await refusedConnect(as(A, { clientId: B })), /Not authorized/, "A with B's client id");
  t.match(
    await refusedConnect({ username: B, password: broker.password(A), clientId: B }),
    /Not authorized/,
    "A's password does not open B",
  );
  t.match(
    await refusedConnect({ username: 'hq', password: broker.password(A), clientId: 'hq' }),
    /Not authorized/,
    "A's password does not open HQ",
  );
  t.ok(broker.refusals.connect >= 6, 'every refusal counted');
});

t.test('card data on the authorisation topic reaches HQ and nobody else', async (t) => {
  const hq = await connect(as('hq'));
  const seen: string[] = [];
  hq.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  await hq.subscribeAsync('bianmin/v1/st/+/up/#', { qos: 1 });
  const snoopB = await connect(as(B));
  const snoopBMessages: string[] = [];
  snoopB.on('message', (topic) => snoopBMessages.push(topic));
  t.equal(
    await trySubscribe(snoopB, 'bianmin/v1/st/+/up/auth-req'),
    'refused',
    "B cannot subscribe to A's auth-req",
  );
  const snoopB2 = await connect(as(B));
  t.equal(await trySubscribe(snoopB2, '#'), 'refused', 'nor to everything');
  const snoopB3 = await connect(as(B));
  t.equal(await trySubscribe(snoopB3, `bianmin/v1/st/${A}/down/#`), 'refused', "nor to A's down-topics");
  const honestB = await connect(as(B));
  const bDown: string[] = [];
  honestB.on('message', (topic) => bDown.push(topic));
  t.equal(await trySubscribe(honestB, `bianmin/v1/st/${B}/down/#`), 'granted', 'B reads its own down-topics');
  const a = await connect(as(A));
  await a.publishAsync(authReq(A), cardData, { qos: 1 });
  await hq.publishAsync(`bianmin/v1/st/${B}/down/ack`, 'marker', { qos: 1 });
  await new Promise<void>((resolve) => {
    const check = () => (seen.length > 0 && bDown.length > 0 ? resolve() : setImmediate(check));
    check();
  });
  t.same(seen, [`${authReq(A)} ${cardData}`], 'HQ got the authorisation request');
  t.same(bDown, [`bianmin/v1/st/${B}/down/ack`], 'B got only its own down message');
  t.same(snoopBMessages, [], 'the snooper got nothing');
  t.ok(broker.refusals.subscribe >= 3);
});

t.test('a station publishes only on its own up-topics, never retained, never oversized', async (t) => {
  const hq = await connect(as('hq'));
  const seen: string[] = [];
  hq.on('message', (topic, payload) => seen.push(`${topic} ${payload.length}`));
  await hq.subscribeAsync('bianmin/v1/st/+/up/#', { qos: 1 });
  const closedAfter = async (topic: string, payload: string | Buffer, retain = false) => {
    const client = await connect(as(A));
    const closed = new Promise<string>((resolve) => client.once('close', () => resolve('closed')));
    client.publish(topic, payload, { qos: 1, retain });
    return await closed;
  };
  t.equal(await closedAfter(authReq(B), cardData), 'closed', 'as B: refused, connection closed');
  t.equal(await closedAfter(`bianmin/v1/st/${B}/down/config`, 'fake config'), 'closed', 'on a down-topic');
  t.equal(await closedAfter(`bianmin/v1/st/${A}/up/other`, 'x'), 'closed', 'on an undefined channel');
  t.equal(await closedAfter(`bianmin/v1/st/${A}/up/death`, 'stale', true), 'closed', 'retained on up/');
  t.equal(await closedAfter(authReq(A), Buffer.alloc(65_537)), 'closed', 'over 64 KiB');
  const a = await connect(as(A));
  await a.publishAsync(`bianmin/v1/st/${A}/up/event`, 'ok', { qos: 1 });
  await new Promise<void>((resolve) => {
    const check = () => (seen.length > 0 ? resolve() : setImmediate(check));
    check();
  });
  t.same(seen, [`bianmin/v1/st/${A}/up/event 2`], 'only the allowed publish reached HQ');
});

t.test('the ACL function: table cases', async (t) => {
  const station = { kind: 'station', stationId: A } as const;
  const hq = { kind: 'hq' } as const;
  const cli = { kind: 'hq-cli' } as const;
  t.ok(mayPublish(station, `bianmin/v1/st/${A}/up/event`, false, 100));
  t.notOk(mayPublish(station, `bianmin/v1/st/${A}/up/event`, true, 100), 'retained');
  t.notOk(mayPublish(station, `bianmin/v1/st/${A}/up/event/x`, false, 100), 'sub-topic');
  t.notOk(mayPublish(hq, `bianmin/v1/st/${A}/up/event`, false, 100), 'HQ does not write up/');
  t.ok(mayPublish(hq, `bianmin/v1/st/${A}/down/config`, true, 100), 'HQ writes retained configs');
  t.ok(mayPublish(cli, `bianmin/v1/st/${A}/down/cmd`, false, 100));
  t.ok(maySubscribe(station, `bianmin/v1/st/${A}/down/#`));
  t.ok(maySubscribe(station, `bianmin/v1/st/${A}/down/config`));
  t.notOk(maySubscribe(station, 'bianmin/v1/st/+/down/#'), '+ at the station level');
  t.notOk(maySubscribe(station, `bianmin/v1/st/${A}/#`), 'own up-topics are not readable');
  t.ok(maySubscribe(hq, '$share/hq/bianmin/v1/st/+/up/#'), 'shared subscription');
  t.notOk(maySubscribe(hq, 'bianmin/v1/st/+/down/#'), 'HQ does not read down/');
  t.notOk(maySubscribe(cli, 'bianmin/v1/st/+/up/#'), 'the CLI reads nothing');
  t.notOk(maySubscribe(hq, '$SYS/#'));
  t.ok(filterCovered('a/+/c', 'a/+/#'));
  t.notOk(filterCovered('a/#', 'a/+'));
  t.notOk(filterCovered('a/b', 'a/b/c'));
});
