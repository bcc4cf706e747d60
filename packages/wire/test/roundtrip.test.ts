// Goal: every message of the contract survives encode -> decode unchanged, alone and inside a
// signed envelope. Method: one valid sample per payload type (fixtures.ts), compared field by
// field after a round trip through the payload codec and through seal/open/verify.

import t from 'tap';
import {
  buildSigned,
  checkEnvelopeTopic,
  decodePayload,
  decodeSignedHeader,
  downTopic,
  encodePayload,
  knownPayloadTypes,
  openVerifiedEnvelope,
  PayloadType,
  parseTopic,
  payloadSpec,
  payloadSpecs,
  sealEnvelope,
  upTopic,
  v1,
  verifyEnvelope,
  wireVersion,
} from '../src/index.js';
import type { DownChannel, UpChannel } from '../src/topics.js';
import { newKey, plain, sampleInput, samplePayloads } from './fixtures.js';

type Convertible = {
  fromObject(object: object): object;
  toObject(message: object, options: object): object;
};

function canonical(name: string, message: object): unknown {
  const codec = (v1 as unknown as Record<string, Convertible>)[name];
  if (codec === undefined) throw new Error(`no generated class ${name}`);
  return plain(codec.toObject(codec.fromObject(message), { defaults: true, arrays: true }));
}

t.test('every payload type has a sample and a spec', async (t) => {
  const enumTypes = Object.values(v1.PayloadType).filter((value) => typeof value === 'number' && value !== 0);
  t.same([...knownPayloadTypes].sort(), [...enumTypes].sort(), 'payloadSpecs covers the whole enum');
  t.equal(Object.keys(samplePayloads).length, knownPayloadTypes.length);
});

for (const type of knownPayloadTypes) {
  const spec = payloadSpec(type);
  t.test(`payload round trip: ${spec.name}`, async (t) => {
    const input = samplePayloads[type];
    const bytes = encodePayload(type, input as never);
    const decoded = decodePayload(type, bytes);
    t.same(canonical(spec.name, decoded), canonical(spec.name, input));
    t.same(
      spec.codec.encode(decoded).finish(),
      bytes,
      're-encoding the decoded message gives the same bytes',
    );
  });
}

t.test('envelope round trip for every type, signed by the right party, on the right topic', async (t) => {
  const station = newKey();
  const hq = newKey();
  for (const type of knownPayloadTypes) {
    const spec = payloadSpecs[type];
    const key = spec.signer === 'station' ? station : hq;
    const prev = new Uint8Array(32).fill(0xab);
    const input = {
      ...sampleInput(type, key.keyId, 7),
      ...(spec.journaled ? { prevEnvelopeSha256: prev } : {}),
    };
    const bytes = sealEnvelope(input, key.privateKey);
    const opened = openVerifiedEnvelope(bytes, (header) =>
      header.keyId === key.keyId ? key.publicKey : undefined,
    );
    t.equal(opened.type, type, spec.name);
    t.same(opened.header, {
      stationId: 'ST0001',
      keyId: key.keyId,
      seq: spec.journaled ? 7 : 0,
      eventId: input.eventId,
      createdAtMs: input.createdAtMs,
      type,
      version: wireVersion,
      prevEnvelopeSha256: spec.journaled ? prev : new Uint8Array(0),
    });
    t.same(canonical(spec.name, opened.body), canonical(spec.name, samplePayloads[type]));
    if (spec.channel !== null) {
      const topic =
        spec.signer === 'station'
          ? upTopic('ST0001', spec.channel as UpChannel)
          : downTopic('ST0001', spec.channel as DownChannel);
      t.doesNotThrow(() => checkEnvelopeTopic(opened, parseTopic(topic)), `${spec.name} belongs on ${topic}`);
    }
  }
});

t.test('int64 fen survive up to Number.MAX_SAFE_INTEGER as plain numbers (R1)', async (t) => {
  const type = PayloadType.PAYLOAD_TYPE_BILL_PAYMENT;
  const input = { ...samplePayloads[type], amountFen: Number.MAX_SAFE_INTEGER, quotaFenAfter: 0 };
  const decoded = decodePayload(type, encodePayload(type, input));
  t.equal(decoded.amountFen, Number.MAX_SAFE_INTEGER);
  t.equal(typeof decoded.amountFen, 'number');
  t.equal(typeof decoded.quotaFenAfter, 'number', 'a zero int64 default is a number too, not a Long');
});

t.test('the narrowed body is typed by the payload type', async (t) => {
  const key = newKey();
  const bytes = sealEnvelope(sampleInput(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, key.keyId), key.privateKey);
  const opened = openVerifiedEnvelope(bytes, () => key.publicKey);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_DAILY_CLOSE) throw new Error('wrong type');
  const total = opened.body.totals.reduce((sum, line) => sum + (line.amountFen ?? 0), 0);
  t.equal(total, 62_345);
});

t.test(
  'a Buffer from the MQTT client opens the same, and reusing it afterwards changes nothing',
  async (t) => {
    const key = newKey();
    const bytes = sealEnvelope(
      sampleInput(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, key.keyId),
      key.privateKey,
    );
    const packet = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes), Buffer.from([4])]).subarray(
      3,
      3 + bytes.length,
    );
    const opened = openVerifiedEnvelope(packet, () => key.publicKey);
    packet.fill(0);
    t.ok(verifyEnvelope({ signed: opened.signed, signature: opened.signature }, key.publicKey));
    t.equal(opened.header.stationId, 'ST0001');
  },
);

t.test('prevEnvelopeSha256: 32 bytes, journaled events after seq 1 only', async (t) => {
  const key = newKey();
  const posted = sampleInput(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, key.keyId, 5);
  const birth = sampleInput(PayloadType.PAYLOAD_TYPE_BIRTH, key.keyId, 0);
  const refused = (input: Parameters<typeof buildSigned>[0], why: string): void => {
    t.throws(
      () => buildSigned(input),
      { code: 'WIRE_BAD_FIELD', message: /header\.prevEnvelopeSha256/ },
      why,
    );
  };
  refused({ ...posted, prevEnvelopeSha256: new Uint8Array(31) }, 'a short hash');
  refused({ ...posted, seq: 1, prevEnvelopeSha256: new Uint8Array(32) }, 'seq 1 has no predecessor');
  refused({ ...birth, prevEnvelopeSha256: new Uint8Array(32) }, 'a status message is not chained');
  const chained = buildSigned({ ...posted, prevEnvelopeSha256: new Uint8Array(32).fill(7) });
  t.same(decodeSignedHeader(chained).header.prevEnvelopeSha256, new Uint8Array(32).fill(7));
  t.equal(decodeSignedHeader(buildSigned(posted)).header.prevEnvelopeSha256.length, 0, 'absent = empty');
});

t.test('a close without a drawer count is "not declared", distinct from a count of 0 (R8)', async (t) => {
  const type = PayloadType.PAYLOAD_TYPE_DAILY_CLOSE;
  const without = decodePayload(type, encodePayload(type, samplePayloads[type]));
  t.equal(without.cashDeclared, null, 'absent: not declared');
  const zero = decodePayload(
    type,
    encodePayload(type, {
      ...samplePayloads[type],
      cashDeclared: { cashFenCounted: 0, floatFenOpening: 0, declaredAtMs: 1_764_300_000_000 },
    }),
  );
  t.equal(zero.cashDeclared?.cashFenCounted, 0, 'present: a count of 0');
  t.equal(zero.cashDeclared?.declaredAtMs, 1_764_300_000_000);
});
