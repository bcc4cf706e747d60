// The signed envelope (docs/protocol.md "Envelope and signature").
//
// Envelope { signed, signature }: `signed` is the serialized SignedHeader exactly as the signer
// produced it; the signature is ECDSA P-256, raw r||s (64 bytes), over
// SHA-256("BIANMIN-V1-ENVELOPE\0" || signed). A receiver verifies the bytes it received and only
// then trusts what it decodes from them: no re-serialisation, so no canonicalisation bugs.
//
// Sending (kiosk: the digest goes to PKCS#11 CKM_ECDSA; HQ: see sealEnvelope in signature.ts):
//   const signed = buildSigned({ stationId, keyId, seq, eventId, createdAtMs, type, body });
//   const signature = await token.sign(envelopeDigest(signed));     // 64 bytes r||s
//   const bytes = encodeEnvelope({ signed, signature });
// Receiving: decodeEnvelope -> openEnvelope (untrusted) -> pick the key by header -> verifyEnvelope.

import { createHash } from 'node:crypto';
import { decodeOrThrow } from './decode.js';
import { WireError } from './errors.js';
import { type bianmin, v1 } from './generated.js';
import { bodyBytesMax, envelopeBytesMax, sha256Bytes, signatureBytes, signedBytesMax } from './limits.js';
import type { KnownPayloadType, PayloadInput, TypedPayload } from './payloads.js';
import { decodePayload, encodePayload, payloadSpec } from './payloads.js';
import { isValidStationId, type ParsedTopic } from './topics.js';
import { badField, checkCount, checkId, checkInstantMs, checkKeyId } from './validate.js';

const emptyBytes = new Uint8Array(0);

/** The wire contract version this package speaks (SignedHeader.version). */
export const wireVersion = 1;

/** Domain-separation prefix of the signed message: ASCII "BIANMIN-V1-ENVELOPE" then one 0x00. */
export const envelopeSignaturePrefix: Uint8Array = new Uint8Array(
  Buffer.from('BIANMIN-V1-ENVELOPE\0', 'latin1'),
);

/** The two fields on the wire. */
export interface EnvelopeParts {
  /** The serialized SignedHeader: the exact bytes signed. */
  readonly signed: Uint8Array;
  /** ECDSA P-256 raw r||s, 64 bytes. */
  readonly signature: Uint8Array;
}

/** SignedHeader without its body. */
export interface EnvelopeHeader {
  readonly stationId: string;
  readonly keyId: string;
  /** Journal seq (>= 1) for journaled kiosk events, 0 otherwise. */
  readonly seq: number;
  readonly eventId: string;
  readonly createdAtMs: number;
  readonly type: KnownPayloadType;
  readonly version: number;
  /**
   * Journaled events: SHA-256 of the Envelope bytes of this station's event seq - 1 (32 bytes),
   * or empty (seq 1, a kiosk that does not chain, and every non-journaled message).
   */
  readonly prevEnvelopeSha256: Uint8Array;
}

/** What buildSigned needs: the header fields and the payload of `type` (not yet encoded). */
export type SignedInput<T extends KnownPayloadType> = {
  readonly stationId: string;
  readonly keyId: string;
  readonly seq: number;
  readonly eventId: string;
  readonly createdAtMs: number;
  readonly type: T;
  readonly body: PayloadInput<T>;
  /** Journaled events: SHA-256 of the Envelope bytes of event seq - 1 (32 bytes); default none. */
  readonly prevEnvelopeSha256?: Uint8Array;
};

/** A decoded envelope: header, typed payload (discriminate on `type`), and the raw parts. */
export type OpenedEnvelope = TypedPayload & {
  readonly header: EnvelopeHeader;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
};

function checkHeader(header: Omit<EnvelopeHeader, 'type'> & { type: number }, bodySize: number): void {
  if (header.version !== wireVersion) {
    throw new WireError('WIRE_UNSUPPORTED_VERSION', 'unsupported wire version', {
      version: header.version,
      versionSupported: wireVersion,
    });
  }
  const spec = payloadSpec(header.type);
  if (!isValidStationId(header.stationId)) badField('header.stationId', 'must be 1..32 of [A-Za-z0-9_-]');
  checkKeyId(header.keyId, 'header.keyId');
  checkCount(header.seq, 'header.seq');
  if (spec.journaled && header.seq < 1) badField('header.seq', `must be >= 1 for ${spec.name}`);
  if (!spec.journaled && header.seq !== 0) badField('header.seq', `must be 0 for ${spec.name}`);
  checkId(header.eventId, 'header.eventId');
  checkInstantMs(header.createdAtMs, 'header.createdAtMs');
  const prevSize = header.prevEnvelopeSha256.length;
  if (prevSize !== 0) {
    if (!spec.journaled) badField('header.prevEnvelopeSha256', `must be empty for ${spec.name}`);
    if (prevSize !== sha256Bytes) badField('header.prevEnvelopeSha256', `must be ${sha256Bytes} bytes`);
    if (header.seq === 1) badField('header.prevEnvelopeSha256', 'must be empty for seq 1');
  }
  if (bodySize > bodyBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'payload body too large', {
      size: bodySize,
      sizeMax: bodyBytesMax,
    });
  }
}

/** Encodes the payload and the header into the bytes to sign (SignedHeader). Throws WireError. */
export function buildSigned<T extends KnownPayloadType>(input: SignedInput<T>): Uint8Array {
  const body = encodePayload(input.type, input.body);
  const header = {
    stationId: input.stationId,
    keyId: input.keyId,
    seq: input.seq,
    eventId: input.eventId,
    createdAtMs: input.createdAtMs,
    type: input.type,
    version: wireVersion,
    prevEnvelopeSha256: input.prevEnvelopeSha256 ?? emptyBytes,
  };
  checkHeader(header, body.length);
  const signed = v1.SignedHeader.encode({ ...header, body }).finish();
  if (signed.length > signedBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'signed header too large', {
      size: signed.length,
      sizeMax: signedBytesMax,
    });
  }
  return signed;
}

/** The message a signer signs: prefix || signed (node crypto.sign('sha256', ...) hashes it). */
export function envelopeSigningInput(signed: Uint8Array): Uint8Array {
  const out = new Uint8Array(envelopeSignaturePrefix.length + signed.length);
  out.set(envelopeSignaturePrefix, 0);
  out.set(signed, envelopeSignaturePrefix.length);
  return out;
}

/** SHA-256(prefix || signed), 32 bytes: what PKCS#11 CKM_ECDSA signs on the kiosk. */
export function envelopeDigest(signed: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(envelopeSignaturePrefix).update(signed).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

function checkParts(parts: EnvelopeParts): void {
  if (parts.signed.length === 0) badField('envelope.signed', 'is required');
  if (parts.signed.length > signedBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'envelope.signed too large', {
      size: parts.signed.length,
      sizeMax: signedBytesMax,
    });
  }
  if (parts.signature.length !== signatureBytes) {
    badField('envelope.signature', `must be ${signatureBytes} bytes (raw r||s)`, {
      size: parts.signature.length,
    });
  }
}

/** Serializes an Envelope. Throws WireError when a part is missing or out of bounds. */
export function encodeEnvelope(parts: EnvelopeParts): Uint8Array {
  checkParts(parts);
  const bytes = v1.Envelope.encode({ signed: parts.signed, signature: parts.signature }).finish();
  if (bytes.length > envelopeBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'envelope too large', {
      size: bytes.length,
      sizeMax: envelopeBytesMax,
    });
  }
  return bytes;
}

/** Decodes the outer Envelope from hostile bytes: size first, then protobuf, then the parts. */
export function decodeEnvelope(bytes: Uint8Array): EnvelopeParts {
  if (!(bytes instanceof Uint8Array)) badField('envelope', 'must be bytes');
  if (bytes.length > envelopeBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'envelope too large', {
      size: bytes.length,
      sizeMax: envelopeBytesMax,
    });
  }
  if (bytes.length === 0) badField('envelope', 'is empty');
  const decoded = decodeOrThrow(() => v1.Envelope.decode(bytes), 'Envelope');
  // Copies: decoding a Buffer yields views into the caller's buffer, and the bytes verified must
  // be the bytes used, even if the caller (an MQTT client) reuses its buffer afterwards. Buffer.from
  // copies into Node's pooled slab (0.3 µs) where new Uint8Array allocates a backing store (1.3 µs):
  // HQ decodes every message it receives.
  const parts = { signed: Buffer.from(decoded.signed), signature: Buffer.from(decoded.signature) };
  checkParts(parts);
  return parts;
}

/** Decodes and checks SignedHeader from `signed`; returns the header and the raw body bytes. */
export function decodeSignedHeader(signed: Uint8Array): { header: EnvelopeHeader; body: Uint8Array } {
  if (signed.length > signedBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'signed header too large', {
      size: signed.length,
      sizeMax: signedBytesMax,
    });
  }
  const decoded: bianmin.v1.SignedHeader = decodeOrThrow(
    () => v1.SignedHeader.decode(signed),
    'SignedHeader',
  );
  const header = {
    stationId: decoded.stationId,
    keyId: decoded.keyId,
    seq: decoded.seq,
    eventId: decoded.eventId,
    createdAtMs: decoded.createdAtMs,
    type: decoded.type as number,
    version: decoded.version,
    prevEnvelopeSha256:
      decoded.prevEnvelopeSha256.length === 0 ? emptyBytes : new Uint8Array(decoded.prevEnvelopeSha256),
  };
  checkHeader(header, decoded.body.length);
  return { header: header as EnvelopeHeader, body: decoded.body };
}

/**
 * Decodes everything: envelope, header and typed payload. The result is UNTRUSTED until
 * verifyEnvelope(result, key-for(result.header)) returns true. Accepts the wire bytes or parts.
 */
export function openEnvelope(
  input: Uint8Array | EnvelopeParts,
  /** `decodeSignedHeader(parts.signed)` of these very parts, when the caller already has it. */
  decodedHeader?: { readonly header: EnvelopeHeader; readonly body: Uint8Array },
): OpenedEnvelope {
  const parts = input instanceof Uint8Array ? decodeEnvelope(input) : input;
  if (!(input instanceof Uint8Array)) checkParts(parts);
  const { header, body } = decodedHeader ?? decodeSignedHeader(parts.signed);
  const message = decodePayload(header.type, body);
  return {
    header,
    type: header.type,
    body: message,
    signed: parts.signed,
    signature: parts.signature,
  } as OpenedEnvelope;
}

/**
 * Checks an opened envelope against the topic it arrived on: same station id, and a payload type
 * that travels on that channel in that direction. Throws WIRE_TOPIC_MISMATCH.
 */
export function checkEnvelopeTopic(opened: { header: EnvelopeHeader }, topic: ParsedTopic): void {
  const spec = payloadSpec(opened.header.type);
  if (opened.header.stationId !== topic.stationId) {
    throw new WireError('WIRE_TOPIC_MISMATCH', 'header station id differs from the topic station id', {
      channel: topic.channel,
    });
  }
  if (spec.channel !== topic.channel) {
    throw new WireError(
      'WIRE_TOPIC_MISMATCH',
      `${spec.name} does not travel on ${topic.direction}/${topic.channel}`,
      {
        payload: spec.name,
        channel: topic.channel,
      },
    );
  }
}
