// Goal: the signature covers exactly prefix || signed, verifies with the signer's P-256 key only,
// and fails on any tampered byte. Method: node-generated keys, every single-byte flip of `signed`,
// wrong keys, wrong key types, and the PKCS#11 helpers (digest, EC point -> SPKI).

import { createHash, generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import {
  assertEnvelopeSignature,
  buildSigned,
  checkEnvelopeTopic,
  decodeEnvelope,
  encodeEnvelope,
  envelopeDigest,
  envelopeSignaturePrefix,
  envelopeSigningInput,
  fingerprint,
  openEnrolmentRequest,
  openEnvelope,
  openVerifiedEnvelope,
  PayloadType,
  parseTopic,
  publicKeySpkiDer,
  sealEnvelope,
  signEnvelope,
  spkiFromP256Point,
  toPrivateKey,
  toPublicKey,
  verifyEnvelope,
} from '../src/index.js';
import { newKey, sampleInput } from './fixtures.js';

const station = newKey();
const other = newKey();

t.test(
  'the prefix is "BIANMIN-V1-ENVELOPE" + NUL, and the digest is SHA-256(prefix || signed)',
  async (t) => {
    t.equal(Buffer.from(envelopeSignaturePrefix).toString('latin1'), 'BIANMIN-V1-ENVELOPE\0');
    t.equal(envelopeSignaturePrefix.length, 20);
    const signed = buildSigned(sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, station.keyId));
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('BIANMIN-V1-ENVELOPE\0', 'latin1'), signed]))
      .digest();
    t.same(Buffer.from(envelopeDigest(signed)), expected);
    t.same(Buffer.from(envelopeSigningInput(signed)).subarray(20), Buffer.from(signed));
  },
);

t.test('sign and verify; any flipped byte of signed or signature fails', async (t) => {
  const signed = buildSigned(sampleInput(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, station.keyId));
  const signature = signEnvelope(signed, station.privateKey);
  t.equal(signature.length, 64, 'raw r||s');
  t.ok(verifyEnvelope({ signed, signature }, station.publicKey));
  t.ok(verifyEnvelope({ signed, signature }, publicKeySpkiDer(station.publicKey)), 'SPKI DER accepted');
  t.ok(
    verifyEnvelope(
      { signed, signature },
      station.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    ),
  );
  t.notOk(verifyEnvelope({ signed, signature }, other.publicKey), 'another key');
  let failures = 0;
  for (let index = 0; index < signed.length; index += 1) {
    const tampered = new Uint8Array(signed);
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    if (!verifyEnvelope({ signed: tampered, signature }, station.publicKey)) failures += 1;
  }
  t.equal(failures, signed.length, 'every single-bit change of signed fails verification');
  const badSignature = new Uint8Array(signature);
  badSignature[10] = (badSignature[10] ?? 0) ^ 0x80;
  t.notOk(verifyEnvelope({ signed, signature: badSignature }, station.publicKey));
  t.notOk(verifyEnvelope({ signed, signature: signature.subarray(0, 63) }, station.publicKey));
});

t.test('openVerifiedEnvelope: unknown key, bad signature, tampered envelope bytes', async (t) => {
  const bytes = sealEnvelope(
    sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, station.keyId),
    station.privateKey,
  );
  t.throws(() => openVerifiedEnvelope(bytes, () => undefined), { code: 'WIRE_UNKNOWN_KEY' });
  t.throws(() => openVerifiedEnvelope(bytes, () => other.publicKey), { code: 'WIRE_BAD_SIGNATURE' });
  const parts = decodeEnvelope(bytes);
  const forged = encodeEnvelope({ signed: parts.signed, signature: new Uint8Array(64).fill(1) });
  t.throws(() => openVerifiedEnvelope(forged, () => station.publicKey), { code: 'WIRE_BAD_SIGNATURE' });
  t.throws(() => assertEnvelopeSignature(decodeEnvelope(forged), station.publicKey), {
    code: 'WIRE_BAD_SIGNATURE',
  });
  // Change the amount inside the body but keep the old signature: decodes fine, never verifies.
  const opened = openEnvelope(bytes);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_BILL_PAYMENT) throw new Error('type');
  const input = sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, station.keyId);
  const richer = buildSigned({ ...input, body: { ...input.body, amountFen: opened.body.amountFen + 1 } });
  const spliced = encodeEnvelope({ signed: richer, signature: parts.signature });
  t.throws(() => openVerifiedEnvelope(spliced, () => station.publicKey), { code: 'WIRE_BAD_SIGNATURE' });
});

t.test('another station id, or a type on the wrong channel: WIRE_TOPIC_MISMATCH', async (t) => {
  const bytes = sealEnvelope(
    sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, station.keyId),
    station.privateKey,
  );
  const opened = openVerifiedEnvelope(bytes, () => station.publicKey);
  t.throws(() => checkEnvelopeTopic(opened, parseTopic('bianmin/v1/st/ST0002/up/event')), {
    code: 'WIRE_TOPIC_MISMATCH',
  });
  t.throws(() => checkEnvelopeTopic(opened, parseTopic('bianmin/v1/st/ST0001/up/telemetry')), {
    code: 'WIRE_TOPIC_MISMATCH',
  });
});

t.test('keys: P-256 only; EC point to SPKI; fingerprint', async (t) => {
  const ed = generateKeyPairSync('ed25519');
  t.throws(() => toPublicKey(ed.publicKey), { code: 'WIRE_BAD_KEY' });
  t.throws(() => toPrivateKey(ed.privateKey), { code: 'WIRE_BAD_KEY' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  t.throws(() => toPublicKey(p384.publicKey), { code: 'WIRE_BAD_KEY' });
  t.throws(() => toPublicKey('not a pem'), { code: 'WIRE_BAD_KEY' });
  t.throws(() => toPublicKey(new Uint8Array([1, 2, 3])), { code: 'WIRE_BAD_KEY' });
  t.throws(() => toPrivateKey(station.publicKey), { code: 'WIRE_BAD_KEY' });
  t.throws(() => signEnvelope(new Uint8Array([1]), 'garbage'), { code: 'WIRE_BAD_KEY' });
  t.equal(toPublicKey(station.privateKey).type, 'public', 'a private key yields its public key');

  const spki = publicKeySpkiDer(station.publicKey);
  t.equal(spki.length, 91);
  const point = spki.subarray(spki.length - 65);
  t.same(Buffer.from(spkiFromP256Point(point)), Buffer.from(spki), 'CKA_EC_POINT (65 bytes) -> same SPKI');
  t.throws(() => spkiFromP256Point(point.subarray(1)), { code: 'WIRE_BAD_KEY' });
  t.match(fingerprint(spki), /^[0-9a-f]{64}$/);
  t.equal(fingerprint(spki), station.keyId);
});

t.test('enrolment request: self-signed by the key it enrols', async (t) => {
  const request = (signer: typeof station, enrolled: typeof station, keyId = enrolled.keyId): Uint8Array =>
    sealEnvelope(
      {
        stationId: 'ST0001',
        keyId,
        seq: 0,
        eventId: 'enrol-1',
        createdAtMs: 1_764_300_000_000,
        type: PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST,
        body: {
          stationId: 'ST0001',
          orgCode: '31000123',
          keyId,
          publicKeySpkiDer: publicKeySpkiDer(enrolled.publicKey),
          tokenSerial: 'SN1',
          tokenLabel: 'ST0001',
          agentVersion: '0.1.0',
        },
      },
      signer.privateKey,
    );
  const verified = openEnrolmentRequest(request(station, station));
  t.equal(verified.request.stationId, 'ST0001');
  t.equal(fingerprint(publicKeySpkiDer(verified.publicKey)), station.keyId);
  t.throws(
    () => openEnrolmentRequest(request(other, station)),
    { code: 'WIRE_BAD_SIGNATURE' },
    'no proof of possession',
  );
  const event = sealEnvelope(
    sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, station.keyId),
    station.privateKey,
  );
  t.throws(() => openEnrolmentRequest(event), { code: 'WIRE_BAD_FIELD' }, 'not an enrolment');
});
