// Envelope signature check shared by the main thread (inline mode) and the verification workers:
// ECDSA P-256 over SHA-256(domain prefix || signed header bytes), raw r||s (docs/protocol.md).
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/** Domain-separation prefix of the envelope signature (proto/bianmin/v1/envelope.proto). */
export const envelopeSignaturePrefix = Buffer.from('BIANMIN-V1-ENVELOPE\0', 'latin1');

export function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
}

export function verifyEnvelopeSignature(key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(
      'sha256',
      Buffer.concat([envelopeSignaturePrefix, signed]),
      { key, dsaEncoding: 'ieee-p1363' },
      signature,
    );
  } catch {
    return false;
  }
}
