// Goal: HQ stores every authentic kiosk event exactly once, acknowledges it, and refuses
// everything else (forged, wrong key, another station's id, replays, truncated or oversized
// bytes, unknown topics) into quarantine while it keeps running. Method: a real Mosquitto with a
// user per station, the gateway in-process, stations simulated with node P-256 keys; every wait
// listens to the pipeline's events.
import type { generateKeyPairSync } from 'node:crypto';
import { encodeEnvelope, PayloadType, signEnvelope, upTopic, v1 } from '@bianmin/wire';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { type HqFixture, startHqFixture, until } from './helpers/hq-fixture.js';

let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['S1', 'S2']);
});
t.teardown(async () => {
  await fx.close();
});

function quarantined(code: string): number {
  return fx.gateway.pipeline.counters.quarantinedByReason[code] ?? 0;
}

async function expectQuarantine(t: Test, publish: () => Promise<void>, code: string): Promise<void> {
  const before = quarantined(code);
  const storedBefore = fx.gateway.pipeline.counters.stored;
  await publish();
  await until(fx.gateway.pipeline, ['quarantined'], () => quarantined(code) > before);
  await fx.gateway.flush();
  const rows = await fx.gateway.store.quarantine(1);
  t.equal(rows[0]?.reasonCode, code, `quarantined as ${code}`);
  t.ok((rows[0]?.raw.length ?? 0) > 0, 'raw bytes kept');
  t.equal(fx.gateway.pipeline.counters.stored, storedBefore, 'nothing stored');
}

async function quarantineRows(): Promise<number> {
  const byReason = (await fx.gateway.store.counts()).quarantinedByReason;
  return Object.values(byReason).reduce((sum, count) => sum + count, 0);
}

function hqClient() {
  return mqtt.connectAsync(fx.broker.url, {
    protocolVersion: 4,
    // The test-only raw user: a second client as HQ's user would take over the gateway's session.
    username: fx.broker.testUser,
    password: fx.broker.password(fx.broker.testUser),
    clientId: `hq-test-${Math.random().toString(16).slice(2)}`,
  });
}

t.test('happy path: a quota purchase and bill payments are stored once and acked (R3, R2)', async (t) => {
  const [s1] = fx.stations;
  const purchase = await fx.gateway.operations.purchaseQuota('S1', 100_000);
  await s1!.waitForConfig(1);
  t.same(s1!.configs[0]?.purchases, [purchase.purchaseId], 'the config announces the purchase');
  const applied = s1!.quotaApplied(purchase.purchaseId, 100_000);
  await s1!.publish('event', applied.bytes);
  const bill = s1!.billPayment(12_345);
  await s1!.publish('event', bill.bytes);
  await s1!.waitForAck(bill.seq);
  t.equal(s1!.ackedSeq, 2, 'cumulative ack covers both events');
  const counts = await fx.gateway.store.counts();
  t.equal(counts.events, 2);
  t.equal(counts.discrepancies, 0, 'an honest kiosk shows no discrepancy');
  const events = await fx.gateway.store.eventsOfStation('S1');
  t.same(
    events.map((e) => [e.seq, e.kind, e.amountFen]),
    [
      [1, 'QUOTA_PURCHASE_APPLIED', 100_000],
      [2, 'BILL_PAYMENT', 12_345],
    ],
  );
});

t.test(
  'a byte-identical resend is a duplicate: stored once, re-acked, counted, not quarantined',
  async (t) => {
    const [s1] = fx.stations;
    const bill = s1!.billPayment(100);
    await s1!.publish('event', bill.bytes);
    await s1!.waitForAck(bill.seq);
    const acksBefore = s1!.acks.length;
    const duplicatesBefore = fx.gateway.pipeline.counters.duplicates;
    const quarantinedBefore = fx.gateway.pipeline.counters.quarantined;
    const rowsBefore = await quarantineRows();
    await s1!.publish('event', bill.bytes);
    await s1!.waitForAckCount(acksBefore + 1);
    await fx.gateway.flush();
    t.equal(s1!.acks.at(-1)?.handledThroughSeq, bill.seq, 'the duplicate is answered with the same ack');
    t.equal(fx.gateway.pipeline.counters.duplicates, duplicatesBefore + 1, 'counted as a duplicate');
    t.equal(fx.gateway.pipeline.counters.quarantined, quarantinedBefore, 'not a refusal');
    t.equal(await quarantineRows(), rowsBefore, 'no quarantine row');
    const events = await fx.gateway.store.eventsOfStation('S1');
    t.equal(events.filter((e) => e.eventId === bill.eventId).length, 1, 'stored once');
  },
);

t.test('the same event id with other bytes is a replay (HQ_REPLAY_EVENT_ID)', async (t) => {
  const [s1] = fx.stations;
  const bill = s1!.billPayment(100);
  await s1!.publish('event', bill.bytes);
  await s1!.waitForAck(bill.seq);
  const forged = s1!.billPayment(999, { seq: bill.seq, eventId: bill.eventId, quotaFenAfter: 0 });
  await expectQuarantine(t, () => s1!.publish('event', forged.bytes), 'HQ_REPLAY_EVENT_ID');
  const events = await fx.gateway.store.eventsOfStation('S1');
  t.same(
    events.filter((e) => e.eventId === bill.eventId).map((e) => e.amountFen),
    [100],
    'the first bytes stay the record',
  );
});

t.test('a replayed seq with a new event id is refused (HQ_REPLAY_SEQ)', async (t) => {
  const [s1] = fx.stations;
  const replay = s1!.billPayment(100, { seq: 1, quotaFenAfter: 0 });
  await expectQuarantine(t, () => s1!.publish('event', replay.bytes), 'HQ_REPLAY_SEQ');
  t.pass();
});

t.test('forged signature is refused (HQ_SIGNATURE_INVALID)', async (t) => {
  const [s1] = fx.stations;
  const event = s1!.billPayment(100, { seq: 999, quotaFenAfter: 0 });
  const parts = v1.Envelope.decode(event.bytes);
  const signature = new Uint8Array(parts.signature);
  signature[10] = (signature[10] ?? 0) ^ 0xff;
  const forged = encodeEnvelope({ signed: parts.signed, signature });
  await expectQuarantine(t, () => s1!.publish('event', forged), 'HQ_SIGNATURE_INVALID');
  t.pass();
});

t.test("a message signed with another station's key is refused (HQ_SIGNATURE_INVALID)", async (t) => {
  const [s1, s2] = fx.stations;
  const event = s1!.billPayment(100, { seq: 998, quotaFenAfter: 0, key: s2!.privateKey });
  await expectQuarantine(t, () => s1!.publish('event', event.bytes), 'HQ_SIGNATURE_INVALID');
  t.pass();
});

t.test('a key id other than the enrolled one is refused (HQ_KEY_UNKNOWN)', async (t) => {
  const [s1] = fx.stations;
  const event = s1!.billPayment(100, { seq: 997, quotaFenAfter: 0, keyId: 'another-key' });
  await expectQuarantine(t, () => s1!.publish('event', event.bytes), 'HQ_KEY_UNKNOWN');
  t.pass();
});

t.test("another station's id in the signed header is refused (HQ_STATION_MISMATCH)", async (t) => {
  const [s1] = fx.stations;
  const event = s1!.billPayment(100, { seq: 996, quotaFenAfter: 0, headerStationId: 'S2' });
  await expectQuarantine(t, () => s1!.publish('event', event.bytes), 'HQ_STATION_MISMATCH');
  t.pass();
});

t.test('a truncated protobuf is refused (HQ_ENVELOPE_DECODE_FAILED)', async (t) => {
  const [s1] = fx.stations;
  const event = s1!.billPayment(100, { seq: 995, quotaFenAfter: 0 });
  await expectQuarantine(
    t,
    () => s1!.publish('event', event.bytes.subarray(0, event.bytes.length - 20)),
    'HQ_ENVELOPE_DECODE_FAILED',
  );
  t.pass();
});

t.test('an oversized message is refused (HQ_MESSAGE_OVERSIZED)', async (t) => {
  const [s1] = fx.stations;
  // The production broker (message_size_limit) and HQ's MQTT link (HQ_MQTT_MESSAGE_OVERSIZED,
  // mqtt-link-guard.test.ts) drop it before ingest; ingest's own check is the last line, so the
  // message is handed to the pipeline's intake directly.
  await expectQuarantine(
    t,
    async () => {
      fx.gateway.pipeline.handleMessage(upTopic(s1!.stationId, 'event'), new Uint8Array(70 * 1024).fill(7));
    },
    'HQ_MESSAGE_OVERSIZED',
  );
  t.pass();
});

t.test(
  'unknown station and unknown channel are refused (HQ_STATION_UNKNOWN, HQ_TOPIC_UNKNOWN)',
  async (t) => {
    const client = await hqClient();
    try {
      await expectQuarantine(
        t,
        () =>
          client
            .publishAsync('bianmin/v1/st/S9/up/event', Buffer.from('x'), { qos: 1 })
            .then(() => undefined),
        'HQ_STATION_UNKNOWN',
      );
      await expectQuarantine(
        t,
        () =>
          client
            .publishAsync('bianmin/v1/st/S1/up/bogus', Buffer.from('x'), { qos: 1 })
            .then(() => undefined),
        'HQ_TOPIC_UNKNOWN',
      );
    } finally {
      await client.endAsync();
    }
    t.pass();
  },
);

function craftSigned(
  key: ReturnType<typeof generateKeyPairSync>['privateKey'],
  header: Record<string, unknown>,
): Uint8Array {
  const signed = v1.SignedHeader.encode(header).finish();
  return encodeEnvelope({ signed, signature: signEnvelope(signed, key) });
}

t.test('authentic but unusable events are refused and still acknowledged as handled', async (t) => {
  const [s1] = fx.stations;
  const base = { stationId: 'S1', keyId: s1!.keyId, createdAtMs: Date.now(), version: 1 };
  const nextSeq = s1!.nextSeq;
  s1!.nextSeq += 2;
  // Garbage body of a bill payment: the signature is fine, the content is not.
  const garbage = craftSigned(s1!.privateKey, {
    ...base,
    seq: nextSeq,
    eventId: 'garbage-body-1',
    type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    body: new Uint8Array([0x0a, 0xff, 0xff]),
  });
  await expectQuarantine(t, () => s1!.publish('event', garbage), 'HQ_BODY_DECODE_FAILED');
  const future = craftSigned(s1!.privateKey, {
    ...base,
    version: 2,
    seq: nextSeq + 1,
    eventId: 'future-version-1',
    type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    body: new Uint8Array(0),
  });
  await expectQuarantine(t, () => s1!.publish('event', future), 'HQ_VERSION_UNSUPPORTED');
  await s1!.waitForAck(nextSeq);
  t.ok(
    s1!.acks.some((a) => a.refusals > 0),
    'the ack lists the refusal',
  );
  const seqZero = craftSigned(s1!.privateKey, {
    ...base,
    seq: 0,
    eventId: 'seq-zero-1',
    type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    body: new Uint8Array(0),
  });
  await expectQuarantine(t, () => s1!.publish('event', seqZero), 'HQ_SEQ_INVALID');
  const birthOnEvent = s1!.seal(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq: 1 }, {});
  await expectQuarantine(t, () => s1!.publish('event', birthOnEvent.bytes), 'HQ_PAYLOAD_TYPE_UNEXPECTED');
});

t.test('the gateway keeps running after every refusal', async (t) => {
  const [, s2] = fx.stations;
  const bill = s2!.billPayment(1, { quotaFenAfter: 0 });
  await s2!.publish('event', bill.bytes);
  await s2!.waitForAck(bill.seq);
  t.equal(s2!.ackedSeq, 1);
});
