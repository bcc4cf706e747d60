// Turns a token's CKA_EC_POINT into the SubjectPublicKeyInfo HQ enrols. The attribute is a DER
// OCTET STRING wrapping the uncompressed point (04 || X || Y, 65 bytes for P-256); some modules
// return the bare point. Either way the last 65 bytes are the point.
import { createHash, createPublicKey } from 'node:crypto';
import { AgentError } from '../../errors.js';
import type { SignerPublicKey } from '../../ports/signer.js';

/** DER prefix of a P-256 SPKI: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused) }. */
const spkiP256PrefixHex = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
const pointSizeBytes = 65;

export function publicKeyFromEcPoint(ecPointAttribute: Uint8Array): SignerPublicKey {
  if (ecPointAttribute.length < pointSizeBytes) {
    throw new AgentError('AGENT_TOKEN_BAD_PUBLIC_KEY', `CKA_EC_POINT has ${ecPointAttribute.length} bytes`, {
      details: { sizeBytes: ecPointAttribute.length },
    });
  }
  const point = ecPointAttribute.subarray(ecPointAttribute.length - pointSizeBytes);
  if (point[0] !== 0x04) {
    throw new AgentError('AGENT_TOKEN_BAD_PUBLIC_KEY', 'CKA_EC_POINT is not an uncompressed point');
  }
  const spkiDer = Buffer.concat([Buffer.from(spkiP256PrefixHex, 'hex'), point]);
  let pem: string;
  try {
    // Parsing checks the point lies on the curve.
    pem = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).export({
      format: 'pem',
      type: 'spki',
    }) as string;
  } catch (cause) {
    throw new AgentError('AGENT_TOKEN_BAD_PUBLIC_KEY', 'CKA_EC_POINT is not a P-256 point', { cause });
  }
  const fingerprintSha256Hex = createHash('sha256').update(spkiDer).digest('hex');
  return { spkiDer: new Uint8Array(spkiDer), pem, fingerprintSha256Hex };
}
