// Opening hostile envelope bytes with the generated code of @bianmin/wire, before and after the
// signature check, and what the quarantine keeps of a refused message. Every failure is a
// CodecFailure carrying the quarantine code. Pure translation: no I/O (hashing only).
import { hash } from 'node:crypto';
import {
  type bianmin,
  checkEnvelopeTopic,
  decodeEnvelope,
  decodeSignedHeader,
  type EnvelopeHeader,
  type EnvelopeParts,
  isWireError,
  luhnValid,
  maskPan,
  type OpenedEnvelope,
  openEnvelope,
  type ParsedTopic,
  v1,
} from '@bianmin/wire';
import type { HqCode } from '../../errors.js';
import { messageBytesMax } from '../../limits.js';
import { assert } from '../assert.js';

export class CodecFailure extends Error {
  readonly code: HqCode;
  constructor(code: HqCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    assert(code.startsWith('HQ_'), 'CodecFailure: an HQ code');
    this.code = code;
  }
}

/** Map a WireError (or anything thrown while decoding) to a quarantine code. */
export function quarantineCode(error: unknown, verified: boolean): HqCode {
  assert(typeof verified === 'boolean', 'quarantineCode: verified or not');
  if (!isWireError(error)) return verified ? 'HQ_BODY_DECODE_FAILED' : 'HQ_ENVELOPE_DECODE_FAILED';
  switch (error.code) {
    case 'WIRE_TOO_LARGE':
      return 'HQ_MESSAGE_OVERSIZED';
    case 'WIRE_UNSUPPORTED_VERSION':
      return 'HQ_VERSION_UNSUPPORTED';
    case 'WIRE_UNKNOWN_PAYLOAD_TYPE':
      return 'HQ_PAYLOAD_TYPE_UNEXPECTED';
    case 'WIRE_BAD_SIGNATURE':
      return 'HQ_SIGNATURE_INVALID';
    case 'WIRE_TOPIC_MISMATCH':
      return error.details.payload === undefined ? 'HQ_STATION_MISMATCH' : 'HQ_PAYLOAD_TYPE_UNEXPECTED';
    case 'WIRE_BAD_FIELD':
      if (error.details.field === 'header.seq') return 'HQ_SEQ_INVALID';
      if (error.details.field === 'envelope.signature') return 'HQ_SIGNATURE_INVALID';
      return verified ? 'HQ_BODY_DECODE_FAILED' : 'HQ_ENVELOPE_DECODE_FAILED';
    default:
      return verified ? 'HQ_BODY_DECODE_FAILED' : 'HQ_ENVELOPE_DECODE_FAILED';
  }
}

/** Decode the outer envelope of hostile bytes (before any signature check). */
export function openParts(bytes: Uint8Array): EnvelopeParts {
  assert(bytes instanceof Uint8Array, 'openParts: bytes');
  if (bytes.length > messageBytesMax) throw new CodecFailure('HQ_MESSAGE_OVERSIZED', `${bytes.length} bytes`);
  try {
    return decodeEnvelope(bytes);
  } catch (error) {
    throw new CodecFailure(quarantineCode(error, false), describe(error), { cause: error });
  }
}

/** What links a journaled event to the one before it (domain/verify-plan.ts). */
export interface EnvelopeLink {
  /** SHA-256 of the envelope bytes as received. */
  readonly sha256: Buffer;
  /** The header's prev_envelope_sha256 (unchecked until a signature covering it is); null if none. */
  readonly prev: Uint8Array | null;
  /** The decoded, still unverified header, reused by openChecked once the signature holds. */
  readonly decoded: { readonly header: EnvelopeHeader; readonly body: Uint8Array } | null;
}

/**
 * Hash an event envelope and read its chain link from the still unverified header. A header that
 * does not decode links to nothing (the message is then checked alone, and refused later with
 * the decoding error).
 */
export function envelopeLink(parts: EnvelopeParts, bytes: Uint8Array): EnvelopeLink {
  const sha256 = hash('sha256', bytes, 'buffer') as unknown as Buffer;
  let decoded: EnvelopeLink['decoded'] = null;
  try {
    decoded = decodeSignedHeader(parts.signed);
  } catch {
    decoded = null;
  }
  assert(sha256.length === 32, 'envelopeLink: a SHA-256');
  const linked = decoded?.header.prevEnvelopeSha256;
  return { sha256, prev: linked === undefined || linked.length === 0 ? null : linked, decoded };
}

/**
 * After the signature verified: decode and check header and payload, and check the envelope
 * belongs on the topic it came by (same station id, a payload type of that channel).
 */
export function openChecked(
  parts: EnvelopeParts,
  topic: ParsedTopic,
  decoded?: EnvelopeLink['decoded'],
): OpenedEnvelope {
  assert(parts !== null && typeof parts === 'object', 'openChecked: the parts openParts returned');
  try {
    const opened = openEnvelope(parts, decoded ?? undefined);
    checkEnvelopeTopic(opened, topic);
    return opened;
  } catch (error) {
    throw new CodecFailure(quarantineCode(error, true), describe(error), { cause: error });
  }
}

export function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'unknown error';
  assert(text.length <= 300, 'describe: a bounded description');
  return text;
}

/**
 * What the quarantine keeps of a refused message (R24, issue 8): an authorisation request carries
 * a full PAN and a PIN block, and an unverified one may carry real card data, so on the auth-req
 * channel (or whatever its header says it is) only a redacted JSON copy is kept: request and
 * transaction ids, masked PAN, amounts, header fields, and the SHA-256 of the bytes received as
 * evidence. Any other message is kept as received, except that a run of 12..19 digits passing the
 * Luhn check is masked in place (first 6, last 4), so no PAN reaches the table by accident.
 */
export function redactedQuarantineCopy(channel: string | null, payload: Uint8Array): Uint8Array {
  const envelopeSha256 = hash('sha256', payload, 'hex');
  assert(envelopeSha256.length === 64, 'redactedQuarantineCopy: the evidence hash');
  let header: EnvelopeHeader | null = null;
  let body: unknown = null;
  try {
    const opened = openEnvelope(decodeEnvelope(payload));
    header = opened.header;
    body = opened.body;
  } catch {
    header = null;
  }
  const isAuthRequest =
    channel === 'auth-req' || header?.type === v1.PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST;
  if (!isAuthRequest) return maskPanRuns(payload);
  const request = (body ?? {}) as Partial<bianmin.v1.AuthorisationRequest>;
  const redacted = {
    redacted: 'authorisation-request',
    envelopeSha256,
    sizeBytes: payload.length,
    header:
      header === null
        ? null
        : {
            stationId: header.stationId,
            keyId: header.keyId,
            eventId: header.eventId,
            createdAtMs: header.createdAtMs,
          },
    requestId: typeof request.requestId === 'string' ? request.requestId.slice(0, 64) : null,
    transactionId: typeof request.transactionId === 'string' ? request.transactionId.slice(0, 64) : null,
    maskedPan:
      typeof request.pan === 'string' && /^\d{12,19}$/.test(request.pan) ? maskPan(request.pan) : null,
    amountFen: Number.isSafeInteger(Number(request.amountFen)) ? Number(request.amountFen) : null,
    feeFen: Number.isSafeInteger(Number(request.feeFen)) ? Number(request.feeFen) : null,
  };
  return new TextEncoder().encode(JSON.stringify(redacted));
}

/** A copy with every Luhn-valid run of 12..19 ASCII digits masked to first 6 / last 4. */
function maskPanRuns(payload: Uint8Array): Uint8Array {
  let copy: Uint8Array | null = null;
  let start = -1;
  for (let index = 0; index <= payload.length; index += 1) {
    const byte = index < payload.length ? payload[index]! : 0;
    const digit = byte >= 0x30 && byte <= 0x39;
    if (digit && start < 0) start = index;
    if (!digit && start >= 0) {
      const length = index - start;
      if (length >= 12 && length <= 19) {
        const run = new TextDecoder().decode(payload.subarray(start, index));
        if (luhnValid(run)) {
          copy ??= new Uint8Array(payload);
          copy.fill(0x2a, start + 6, index - 4);
        }
      }
      start = -1;
    }
  }
  assert(copy === null || copy.length === payload.length, 'maskPanRuns: masked in place, same length');
  return copy ?? payload;
}
