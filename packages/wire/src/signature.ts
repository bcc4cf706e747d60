// Key handling and signatures with node:crypto, for HQ (verify station envelopes, sign its own)
// and for tests. The kiosk signs with its PKCS#11 token over envelopeDigest() instead; the bytes
// are the same: ECDSA P-256 over SHA-256(prefix || signed), raw r||s ('ieee-p1363').

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import {
  buildSigned,
  decodeEnvelope,
  type EnvelopeHeader,
  type EnvelopeParts,
  encodeEnvelope,
  envelopeSigningInput,
  type OpenedEnvelope,
  openEnvelope,
  type SignedInput,
} from './envelope.js';
import { WireError } from './errors.js';
import type { bianmin } from './generated.js';
import { signatureBytes } from './limits.js';
import { type KnownPayloadType, PayloadType } from './payloads.js';

type EnrolmentRequest = bianmin.v1.EnrolmentRequest;

/** A public key as PEM text, SPKI DER bytes, or a KeyObject. */
export type PublicKeyInput = string | Uint8Array | KeyObject;
/** A private key as PEM text (PKCS#8 or SEC1) or a KeyObject. */
export type PrivateKeyInput = string | KeyObject;

// DER of SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } up to the BIT STRING holding the point.
const p256SpkiPrefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function assertP256(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new WireError('WIRE_BAD_KEY', 'key is not EC P-256', { keyType: String(key.asymmetricKeyType) });
  }
  return key;
}

/** Parses a public key (PEM, SPKI DER or KeyObject) and asserts EC P-256. Throws WIRE_BAD_KEY. */
export function toPublicKey(input: PublicKeyInput): KeyObject {
  let key: KeyObject;
  try {
    if (typeof input === 'string') key = createPublicKey(input);
    else if (input instanceof Uint8Array)
      key = createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    else key = input.type === 'private' ? createPublicKey(input) : input;
  } catch (error) {
    throw new WireError('WIRE_BAD_KEY', 'public key cannot be parsed', {}, error);
  }
  if (key.type !== 'public') throw new WireError('WIRE_BAD_KEY', 'not a public key', { keyType: key.type });
  return assertP256(key);
}

/** Parses a private key (PEM or KeyObject) and asserts EC P-256. Throws WIRE_BAD_KEY. */
export function toPrivateKey(input: PrivateKeyInput): KeyObject {
  let key: KeyObject;
  try {
    key = typeof input === 'string' ? createPrivateKey(input) : input;
  } catch (error) {
    throw new WireError('WIRE_BAD_KEY', 'private key cannot be parsed', {}, error);
  }
  if (key.type !== 'private') throw new WireError('WIRE_BAD_KEY', 'not a private key', { keyType: key.type });
  return assertP256(key);
}

/** The SPKI DER of a public key (what enrolment and KeyRotated carry). */
export function publicKeySpkiDer(input: PublicKeyInput): Uint8Array {
  return new Uint8Array(toPublicKey(input).export({ format: 'der', type: 'spki' }));
}

/**
 * SPKI DER from a raw uncompressed P-256 point (65 bytes, 0x04||X||Y): what the kiosk gets from
 * PKCS#11 CKA_EC_POINT (after stripping its DER OCTET STRING wrapper: take the last 65 bytes).
 */
export function spkiFromP256Point(point: Uint8Array): Uint8Array {
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new WireError('WIRE_BAD_KEY', 'EC point must be 65 bytes starting 0x04', { size: point.length });
  }
  const spki = new Uint8Array(Buffer.concat([p256SpkiPrefix, point]));
  toPublicKey(spki);
  return spki;
}

/** Lowercase hex SHA-256 of a public key's SPKI DER: the recommended key id. */
export function fingerprint(publicKeySpkiDer: Uint8Array): string {
  return createHash('sha256').update(publicKeySpkiDer).digest('hex');
}

/** Signs `signed` with a node private key: 64 bytes raw r||s (what HQ uses; the kiosk uses PKCS#11). */
export function signEnvelope(signed: Uint8Array, privateKey: PrivateKeyInput): Uint8Array {
  const key = toPrivateKey(privateKey);
  const signature = sign('sha256', envelopeSigningInput(signed), { key, dsaEncoding: 'ieee-p1363' });
  if (signature.length !== signatureBytes) throw new Error('ECDSA P-256 signature is not 64 bytes');
  return new Uint8Array(signature);
}

/** buildSigned + signEnvelope + encodeEnvelope: the wire bytes of a message signed with a node key. */
export function sealEnvelope<T extends KnownPayloadType>(
  input: SignedInput<T>,
  privateKey: PrivateKeyInput,
): Uint8Array {
  const signed = buildSigned(input);
  return encodeEnvelope({ signed, signature: signEnvelope(signed, privateKey) });
}

/**
 * True when the signature is a valid ECDSA P-256 signature of the received `signed` bytes under
 * `publicKey`. Takes the decoded parts or the wire bytes (decoded first: WireError on bad bytes).
 * Never throws for a bad signature (false); throws WIRE_BAD_KEY for an unusable key.
 */
export function verifyEnvelope(envelope: EnvelopeParts | Uint8Array, publicKey: PublicKeyInput): boolean {
  const key = toPublicKey(publicKey);
  const parts = envelope instanceof Uint8Array ? decodeEnvelope(envelope) : envelope;
  if (parts.signature.length !== signatureBytes) return false;
  return verify(
    'sha256',
    envelopeSigningInput(parts.signed),
    { key, dsaEncoding: 'ieee-p1363' },
    parts.signature,
  );
}

/** verifyEnvelope, throwing WIRE_BAD_SIGNATURE when it fails. */
export function assertEnvelopeSignature(
  envelope: EnvelopeParts | Uint8Array,
  publicKey: PublicKeyInput,
): void {
  if (!verifyEnvelope(envelope, publicKey)) {
    throw new WireError('WIRE_BAD_SIGNATURE', 'envelope signature does not verify', {});
  }
}

/**
 * Decode, pick the key from the (still untrusted) header, verify, return. The one call a receiver
 * needs: HQ resolves the station's enrolled key by (stationId, keyId); the kiosk returns its pinned
 * HQ key. Throws WIRE_UNKNOWN_KEY when resolveKey returns undefined, WIRE_BAD_SIGNATURE when the
 * signature fails, and the decode codes for bad bytes.
 */
export function openVerifiedEnvelope(
  bytes: Uint8Array,
  resolveKey: (header: EnvelopeHeader) => PublicKeyInput | undefined,
): OpenedEnvelope {
  const parts = decodeEnvelope(bytes);
  const opened = openEnvelope(parts);
  const key = resolveKey(opened.header);
  if (key === undefined) {
    throw new WireError('WIRE_UNKNOWN_KEY', 'no key for this station and key id', {
      type: opened.header.type,
    });
  }
  assertEnvelopeSignature(parts, key);
  return opened;
}

/** A verified enrolment: the station's id, org code, key id and public key (SPKI DER). */
export interface VerifiedEnrolment {
  readonly header: EnvelopeHeader;
  readonly request: EnrolmentRequest;
  readonly publicKey: KeyObject;
}

/**
 * Opens the file `hq station enrol` receives: an EnrolmentRequest envelope self-signed by the key
 * it enrols (proof of possession). Checks the signature with the enclosed key, that header and
 * request agree on station id and key id, and that key_id is the key's fingerprint or any id the
 * caller accepts. Throws WIRE_BAD_SIGNATURE, WIRE_BAD_KEY, WIRE_BAD_FIELD or a decode code.
 */
export function openEnrolmentRequest(bytes: Uint8Array): VerifiedEnrolment {
  const parts = decodeEnvelope(bytes);
  const opened = openEnvelope(parts);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST) {
    throw new WireError('WIRE_BAD_FIELD', 'header.type: not an enrolment request', { field: 'header.type' });
  }
  const request = opened.body;
  if (request.stationId !== opened.header.stationId) {
    throw new WireError('WIRE_BAD_FIELD', 'body.stationId: differs from header.stationId', {
      field: 'body.stationId',
    });
  }
  if (request.keyId !== opened.header.keyId) {
    throw new WireError('WIRE_BAD_FIELD', 'body.keyId: differs from header.keyId', { field: 'body.keyId' });
  }
  const publicKey = toPublicKey(request.publicKeySpkiDer);
  assertEnvelopeSignature(parts, publicKey);
  return { header: opened.header, request, publicKey };
}
