// Signing and opening wire envelopes through @bianmin/wire: kiosk messages are built with
// buildSigned, the digest (SHA-256 over the domain-separated signed bytes) is signed by the UK
// key through the Signer port, and encodeEnvelope makes the bytes. HQ messages are opened with
// openVerifiedEnvelope against the pinned HQ keys and must address this station.
import type { KeyObject } from 'node:crypto';
import {
  buildSigned,
  encodeEnvelope,
  envelopeDigest,
  type KnownPayloadType,
  type OpenedEnvelope,
  openVerifiedEnvelope,
  type PayloadInput,
  type SignedInput,
  WireError,
} from '@bianmin/wire';
import type { Signer } from '../../ports/signer.js';
import { assert, assertByteLength, assertIntegerInRange } from '../assert.js';

const prevEnvelopeSha256SizeBytes = 32;

/** A payload with its type, as buildSigned takes it. */
export type WirePayload = {
  [T in KnownPayloadType]: { readonly type: T; readonly body: PayloadInput<T> };
}[KnownPayloadType];

export interface HeaderFields {
  readonly stationId: string;
  readonly keyId: string;
  readonly seq: number;
  readonly eventId: string;
  readonly createdAtMs: number;
  /** Journaled events: SHA-256 of the previous event's envelope bytes (32 bytes). */
  readonly prevEnvelopeSha256?: Uint8Array;
}

/** Builds the signed header, signs its digest with the UK key, returns the encoded Envelope. */
export async function signEnvelope(
  signer: Signer,
  fields: HeaderFields,
  payload: WirePayload,
): Promise<Uint8Array> {
  assertIntegerInRange(fields.seq, 0, Number.MAX_SAFE_INTEGER, 'signEnvelope seq');
  assertIntegerInRange(fields.createdAtMs, 0, Number.MAX_SAFE_INTEGER, 'signEnvelope createdAtMs');
  if (fields.prevEnvelopeSha256 !== undefined)
    assertByteLength(fields.prevEnvelopeSha256, prevEnvelopeSha256SizeBytes, 'prevEnvelopeSha256');
  const signed = buildSigned({ ...fields, ...payload } as SignedInput<KnownPayloadType>);
  const signature = await signer.signDigest(envelopeDigest(signed));
  if (signature.length !== 64) throw new Error('assert: P-256 signature must be 64 bytes');
  return encodeEnvelope({ signed, signature });
}

export type DownRefusalCode =
  | 'AGENT_DOWN_MALFORMED'
  | 'AGENT_DOWN_BAD_SIGNATURE'
  | 'AGENT_DOWN_WRONG_STATION';

export type OpenedHq =
  | { readonly ok: true; readonly opened: OpenedEnvelope }
  | { readonly ok: false; readonly code: DownRefusalCode; readonly detail: string };

/** Opens and verifies an HQ message; never throws for bad input. */
export function openHqEnvelope(
  bytes: Uint8Array,
  hqKeys: ReadonlyMap<string, KeyObject>,
  stationId: string,
): OpenedHq {
  // `bytes` are HQ's and come back as refusals with a code; `stationId` is ours (checked at the edge,
  // 1..32 characters): an empty one would match a header that names no station.
  assert(stationId.length > 0, 'openHqEnvelope: our station id is empty');
  let opened: OpenedEnvelope;
  try {
    opened = openVerifiedEnvelope(bytes, (header) => hqKeys.get(header.keyId));
  } catch (error) {
    if (error instanceof WireError) {
      const signatureProblem = error.code === 'WIRE_BAD_SIGNATURE' || error.code === 'WIRE_UNKNOWN_KEY';
      return {
        ok: false,
        code: signatureProblem ? 'AGENT_DOWN_BAD_SIGNATURE' : 'AGENT_DOWN_MALFORMED',
        detail: error.code,
      };
    }
    return { ok: false, code: 'AGENT_DOWN_MALFORMED', detail: String(error) };
  }
  if (opened.header.stationId !== stationId) {
    return { ok: false, code: 'AGENT_DOWN_WRONG_STATION', detail: `addressed to ${opened.header.stationId}` };
  }
  return { ok: true, opened };
}
