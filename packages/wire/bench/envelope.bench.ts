// Cost of the wire layer on one core, next to a baseline measured in the same run: the bare
// generated protobuf encode + decode of the same BillPayment body (what any protobuf user pays).
// Measured: buildSigned + encodeEnvelope (the kiosk's work besides the PKCS#11 signature),
// openEnvelope (HQ's hostile decode and field checks), ECDSA P-256 sign and verify via node:crypto,
// and the envelope size of every payload type.
// Run: npx tsx packages/wire/bench/envelope.bench.ts [iterations]

import { verify as cryptoVerify, generateKeyPairSync } from 'node:crypto';
import {
  buildSigned,
  decodeEnvelope,
  encodeEnvelope,
  envelopeSigningInput,
  fingerprint,
  knownPayloadTypes,
  openEnvelope,
  PayloadType,
  payloadSpec,
  publicKeySpkiDer,
  sealEnvelope,
  signEnvelope,
  v1,
  verifyEnvelope,
} from '../src/index.js';
import { sampleInput } from '../test/fixtures.js';

const iterations = Number(process.argv[2] ?? 100_000);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = fingerprint(publicKeySpkiDer(publicKey));
const input = sampleInput(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, keyId);

function opsPerSecond(count: number, run: (index: number) => void): number {
  for (let index = 0; index < Math.min(2_000, count); index += 1) run(index); // warm up
  const start = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) run(index);
  const elapsedNs = Number(process.hrtime.bigint() - start);
  return Math.round((count * 1e9) / elapsedNs);
}

const baseline = opsPerSecond(iterations, () => {
  v1.BillPayment.decode(v1.BillPayment.encode(input.body).finish());
});
const build = opsPerSecond(iterations, (index) => {
  encodeEnvelope({ signed: buildSigned({ ...input, seq: index + 1 }), signature: new Uint8Array(64) });
});
const sealed = sealEnvelope(input, privateKey);
const open = opsPerSecond(iterations, () => {
  openEnvelope(sealed);
});
const signed = buildSigned(input);
const signCount = Math.max(1_000, Math.floor(iterations / 20));
const sign = opsPerSecond(signCount, () => {
  signEnvelope(signed, privateKey);
});
const parts = decodeEnvelope(sealed);
const verify = opsPerSecond(signCount, () => {
  verifyEnvelope(parts, publicKey);
});
const signingInput = envelopeSigningInput(parts.signed);
const verifyRaw = opsPerSecond(signCount, () => {
  cryptoVerify('sha256', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, parts.signature);
});

const row = (name: string, value: number): string =>
  `${name.padEnd(52)} ${String(value).padStart(9)} /s   ratio to baseline ${(value / baseline).toFixed(3)}`;
console.log(`wire envelope bench, ${iterations} iterations, node ${process.version}`);
console.log(row('baseline: generated BillPayment encode+decode', baseline));
console.log(row('buildSigned + encodeEnvelope (checked, unsigned)', build));
console.log(row('openEnvelope (decode + checks)', open));
console.log(row('ECDSA P-256 sign (node:crypto)', sign));
console.log(row('verifyEnvelope (node:crypto)', verify));
console.log(row('bare crypto.verify of the same bytes', verifyRaw));
console.log('envelope sizes (bytes):');
for (const type of knownPayloadTypes) {
  const bytes = sealEnvelope(sampleInput(type, keyId), privateKey);
  console.log(`  ${payloadSpec(type).name.padEnd(24)} ${bytes.length}`);
}
