// Goal: the error registry (src/errors.ts) and docs/errors/wire.md list the same codes, and every
// code can actually be triggered. Method: parse the doc table; trigger each code once here (the
// other test files exercise them in depth) and check none is left out.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  checkEnvelopeTopic,
  decodeEnvelope,
  encodeEnvelope,
  openEnvelope,
  openVerifiedEnvelope,
  PayloadType,
  parseReleaseManifest,
  parseReleaseSignature,
  parseTopic,
  sealEnvelope,
  toPublicKey,
  upTopic,
  v1,
  verifyReleaseSignature,
  WireError,
  type WireErrorCode,
  wireErrorCodes,
} from '../src/index.js';
import { newKey, sampleInput } from './fixtures.js';

const docPath = new URL('../../../docs/errors/wire.md', import.meta.url);

t.test('registry equals docs/errors/wire.md', async (t) => {
  const doc = readFileSync(docPath, 'utf8');
  const documented = [...doc.matchAll(/^\|\s*(WIRE_[A-Z0-9_]+)\s*\|/gm)].map((match) => match[1]).sort();
  t.same(documented, Object.keys(wireErrorCodes).sort());
  t.equal(new Set(documented).size, documented.length, 'no code listed twice');
});

t.test('every code is triggered', async (t) => {
  const key = newKey();
  const event = sealEnvelope(sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, key.keyId), key.privateKey);
  const rawHeader = (overrides: object): Uint8Array =>
    encodeEnvelope({
      signed: v1.SignedHeader.encode({
        stationId: 'ST0001',
        keyId: 'k',
        eventId: 'e',
        createdAtMs: 1,
        ...overrides,
      }).finish(),
      signature: new Uint8Array(64),
    });
  const triggers: Record<WireErrorCode, () => unknown> = {
    WIRE_TOO_LARGE: () => decodeEnvelope(new Uint8Array(70_000)),
    WIRE_TRUNCATED: () => decodeEnvelope(event.subarray(0, event.length - 3)),
    WIRE_MALFORMED: () => decodeEnvelope(new Uint8Array([0x0f])),
    WIRE_BAD_FIELD: () =>
      openEnvelope(rawHeader({ version: 1, type: PayloadType.PAYLOAD_TYPE_DEATH, seq: 9 })),
    WIRE_UNKNOWN_PAYLOAD_TYPE: () => openEnvelope(rawHeader({ version: 1, type: 77 })),
    WIRE_UNSUPPORTED_VERSION: () => openEnvelope(rawHeader({ version: 9, type: 41 })),
    WIRE_BAD_SIGNATURE: () => openVerifiedEnvelope(event, () => newKey().publicKey),
    WIRE_UNKNOWN_KEY: () => openVerifiedEnvelope(event, () => undefined),
    WIRE_BAD_KEY: () => toPublicKey(generateKeyPairSync('ed25519').publicKey),
    WIRE_BAD_TOPIC: () => parseTopic('bianmin/v1/st/ST0001/up/nope'),
    WIRE_BAD_STATION_ID: () => upTopic('no/slash', 'event'),
    WIRE_TOPIC_MISMATCH: () =>
      checkEnvelopeTopic(openEnvelope(event), parseTopic(upTopic('ST0002', 'event'))),
    WIRE_RELEASE_MANIFEST_INVALID: () => parseReleaseManifest(new TextEncoder().encode('{"format":1}')),
    WIRE_RELEASE_SIGNATURE_INVALID: () => parseReleaseSignature(new TextEncoder().encode('[]')),
    WIRE_RELEASE_KEY_UNKNOWN: () => {
      const signature = `{"format":"bianmin-release-signature/1","algorithm":"ECDSA-P256-SHA256","keyId":"${'0'.repeat(64)}","signature":"${Buffer.alloc(64).toString('base64')}"}`;
      return verifyReleaseSignature(new Uint8Array(1), new TextEncoder().encode(signature), [
        newKey().publicKey,
      ]);
    },
  };
  for (const [code, trigger] of Object.entries(triggers)) {
    let seen = 'none';
    try {
      trigger();
    } catch (error) {
      seen = error instanceof WireError ? error.code : 'other';
    }
    t.equal(seen, code);
  }
  t.same(
    Object.keys(triggers).sort(),
    Object.keys(wireErrorCodes).sort(),
    'every registered code has a trigger',
  );
});

t.test('WireError shape: code, message, details, cause', async (t) => {
  try {
    decodeEnvelope(new Uint8Array([0x0a, 0x05, 0x01]));
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof WireError);
    const wireError = error as WireError;
    t.equal(wireError.name, 'WireError');
    t.equal(wireError.code, 'WIRE_TRUNCATED');
    t.match(wireError.message, /^WIRE_TRUNCATED: /);
    t.ok(wireError.cause instanceof RangeError, 'the protobufjs error is the cause');
    t.equal(wireError.details.message, 'Envelope');
  }
});
