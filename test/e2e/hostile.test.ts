// Goal: HQ refuses what a hostile or broken sender puts on the broker — a forged signature, an
// event signed by a key that is not the station's, a station replaying another station's event
// under its own id, a replayed event, a truncated protobuf — each is quarantined with its reason
// and counted, nothing of it is stored, and the gateway keeps running (a genuine event after them
// is stored and acknowledged). A byte-identical replay is recognised as a duplicate of what HQ
// holds (counted, not stored again, not a refusal); a replay with the same event id and other
// bytes (here: the same signed bytes with the ECDSA signature's s replaced by n - s, which still
// verifies) is refused and quarantined. Method: the real network (Mosquitto with per-station users and
// ACLs, HQ in-process, kiosk processes with SoftHSM); a genuine event of station HO-001 is
// captured off the broker (as HQ's user may read it), altered, and published with the station
// users' own credentials, as a compromised kiosk could.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  buildSigned,
  decodeEnvelope,
  encodeEnvelope,
  openEnvelope,
  signEnvelope,
  upTopic,
} from '@bianmin/wire';
import mqtt from 'mqtt';
import t from 'tap';
import { kioskStatus, waitForStatus } from '../../scripts/demo/lib/network.js';
import { checkExactlyOnce, quotaTx, startE2e } from './helpers/e2e.js';

const SEED = Number(process.env.E2E_SEED ?? 4104);

t.test('hostile messages: refused, quarantined, counted; nothing stored; HQ keeps running', async (t) => {
  const { broker, network, random } = await startE2e(t, { stationIds: ['HO-001', 'HO-002'], seed: SEED });
  const [one, two] = network.stations.map((station) => station.kiosk) as [
    (typeof network.stations)[0]['kiosk'],
    (typeof network.stations)[0]['kiosk'],
  ];
  const gateway = network.gateway;
  const connect = (user: string) =>
    mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      username: user,
      password: broker.password(user),
      clientId: `e2e-${user}-${randomUUID().slice(0, 8)}`,
      reconnectPeriod: 0,
    });
  // Capture one genuine event of HO-001 off the broker.
  // As the test-only tool user: a second client logged in as HQ's user would take over the
  // gateway's session (the production broker binds client ids to user names).
  const spy = await connect(broker.testUser);
  t.teardown(() => spy.endAsync(true));
  const captured = new Promise<Uint8Array>((resolve) => {
    spy.on('message', (_topic, payload) => resolve(new Uint8Array(payload)));
  });
  await spy.subscribeAsync(upTopic('HO-001', 'event'), { qos: 1 });
  t.ok((await quotaTx(one, random, 'HO-001-G00001')).ok, 'a genuine payment at HO-001');
  const genuine = await captured;
  await spy.unsubscribeAsync(upTopic('HO-001', 'event'));
  await waitForStatus(one, (s) => s.outboxDepth === 0);
  await gateway.flush();
  const storedBefore = (await gateway.store.counts()).events;
  const statusBefore = await kioskStatus(one);

  const parts = decodeEnvelope(genuine);
  const opened = openEnvelope(parts);
  const forged = new Uint8Array(parts.signature);
  forged[10] = (forged[10] ?? 0) ^ 0xff;
  const rogue = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rogueSigned = buildSigned({
    stationId: 'HO-001',
    keyId: opened.header.keyId,
    seq: statusBefore.lastEventSeq + 1,
    eventId: randomUUID(),
    createdAtMs: opened.header.createdAtMs,
    type: opened.type,
    body: opened.body,
  } as never);
  // ECDSA malleability: (r, n - s) verifies as well as (r, s), so these bytes differ but are signed.
  const n = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');
  const s = BigInt(`0x${Buffer.from(parts.signature.subarray(32)).toString('hex')}`);
  const malleated = new Uint8Array(64);
  malleated.set(parts.signature.subarray(0, 32), 0);
  malleated.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  const attacks: { name: string; user: string; topic: string; bytes: Uint8Array; codes: RegExp }[] = [
    {
      name: 'forged signature',
      user: 'HO-001',
      topic: upTopic('HO-001', 'event'),
      bytes: encodeEnvelope({ signed: parts.signed, signature: forged }),
      codes: /^HQ_SIGNATURE_INVALID$/,
    },
    {
      name: 'signed by a key that is not the station’s',
      user: 'HO-001',
      topic: upTopic('HO-001', 'event'),
      bytes: encodeEnvelope({ signed: rogueSigned, signature: signEnvelope(rogueSigned, rogue) }),
      codes: /^(HQ_SIGNATURE_INVALID|HQ_KEY_UNKNOWN)$/,
    },
    {
      name: 'another station’s event under HO-002’s id',
      user: 'HO-002',
      topic: upTopic('HO-002', 'event'),
      bytes: genuine,
      codes: /^(HQ_STATION_MISMATCH|HQ_SIGNATURE_INVALID|HQ_KEY_UNKNOWN)$/,
    },
    {
      name: 'replayed event (same event id, other bytes)',
      user: 'HO-001',
      topic: upTopic('HO-001', 'event'),
      bytes: encodeEnvelope({ signed: parts.signed, signature: malleated }),
      codes: /^HQ_REPLAY_(EVENT_ID|SEQ)$/,
    },
    {
      name: 'truncated protobuf',
      user: 'HO-001',
      topic: upTopic('HO-001', 'event'),
      bytes: genuine.slice(0, Math.floor(genuine.length / 2)),
      codes: /^HQ_ENVELOPE_DECODE_FAILED$/,
    },
  ];
  // HQ's verdict on each message: the quarantine reason, or "duplicate" for a resend of held bytes.
  const codes: string[] = [];
  const verdict = new EventEmitter();
  gateway.pipeline.on('quarantined', (code: string) => {
    codes.push(code);
    verdict.emit('verdict');
  });
  gateway.pipeline.on('duplicate', () => {
    codes.push('duplicate');
    verdict.emit('verdict');
  });
  for (const attack of attacks) {
    const sender = await connect(attack.user);
    const before = codes.length;
    await sender.publishAsync(attack.topic, Buffer.from(attack.bytes), { qos: 1 });
    await sender.endAsync();
    // Wait for HQ's verdict on this message (event-driven, bounded by the test timeout).
    while (codes.length === before)
      await new Promise((resolve) => gateway.pipeline.once('quarantined', resolve));
    const said =
      codes[before] === 'duplicate' ? 'a duplicate: not stored again' : `quarantined as ${codes[before]}`;
    t.match(codes[before], attack.codes, `${attack.name}: ${said}`);
  }
  await gateway.flush();
  t.equal((await gateway.store.counts()).events, storedBefore, 'nothing of them stored');
  const refusals = attacks.filter((attack) => !attack.codes.test('duplicate')).length;
  const quarantine = await gateway.store.quarantine(100);
  t.equal(quarantine.length, refusals, 'each refusal kept in quarantine');
  t.ok(
    quarantine.every((q) => q.raw.length > 0 && q.reasonCode.length > 0),
    'with its raw bytes and reason',
  );
  const counted = Object.values(gateway.pipeline.counters.quarantinedByReason).reduce((a, b) => a + b, 0);
  t.equal(counted, refusals, 'and counted');
  // The very bytes again: HQ holds them, so a duplicate — counted, not stored, not quarantined. HQ
  // handles a station's messages in order, so once the next genuine event is acked it has seen it.
  const duplicatesBefore = gateway.pipeline.counters.duplicates;
  const replayer = await connect('HO-001');
  await replayer.publishAsync(upTopic('HO-001', 'event'), Buffer.from(genuine), { qos: 1 });
  await replayer.endAsync();
  t.ok((await quotaTx(two, random, 'HO-002-G00001')).ok, 'HQ keeps running: a genuine payment at HO-002 ...');
  t.ok((await quotaTx(one, random, 'HO-001-G00002')).ok, '... and one at HO-001');
  await waitForStatus(one, (s) => s.outboxDepth === 0);
  await gateway.flush();
  t.ok(
    gateway.pipeline.counters.duplicates > duplicatesBefore,
    'the byte-identical replay counted as a duplicate',
  );
  t.equal((await gateway.store.quarantine(100)).length, refusals, 'and not quarantined');
  const reports = await checkExactlyOnce(t, network, { quarantineChecked: false });
  t.comment(JSON.stringify(reports));
});
