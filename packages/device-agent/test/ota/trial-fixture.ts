// Fakes for the OTA trial's doctor checks: a device that answers, and a P-256 signer whose
// signature is over the trial's test message (what adapters/ota/trial-checks.ts verifies).
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { PeripheralView } from '../../src/ports/operator.js';

export function answering(serialNumber: string): PeripheralView {
  return { link: 'open', identity: { model: 'SIM', serialNumber, firmwareVersion: '1.0.0' } };
}

/** signDigest signs `ota trial <stationId>` (and checks it was asked for that digest); `lie`: another key signs. */
export function testSigner(stationId: string, lie = false) {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const message = Buffer.from(`ota trial ${stationId}`);
  const expected = createHash('sha256').update(message).digest();
  return {
    signDigest: async (digest: Uint8Array) => {
      if (!Buffer.from(digest).equals(expected)) throw new Error('asked to sign another digest');
      const key = lie ? other.privateKey : pair.privateKey;
      return new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }));
    },
    publicKey: async () => {
      const pem = String(pair.publicKey.export({ type: 'spki', format: 'pem' }));
      const spkiDer = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
      return { pem, spkiDer, fingerprintSha256Hex: createHash('sha256').update(spkiDer).digest('hex') };
    },
  };
}
