// A kiosk's enrolment request, checked at the edge: the JSON `kiosk provision` prints
// (packages/device-agent/src/cli/commands/provision.ts, kind "bianmin.kiosk.enrolment-request",
// docs/operations.md), with `proof`: the base64 wire envelope of an EnrolmentRequest signed by
// the very key it enrols (docs/protocol.md "Enrolment"; required: HQ_ENROLMENT_PROOF_MISSING).
// Every problem is reported at once with its field (R21). Key parsing is injected so this module
// stays pure; the proof's signature and content are checked by the caller (app/operations.ts).
import type { HqProblem } from '../errors.js';
import { assert } from './assert.js';
import type { StationRecord } from './types.js';

export const enrolmentRequestKind = 'bianmin.kiosk.enrolment-request';

/** What the key inspector tells about a public key (SPKI DER). */
export type KeyInspection =
  | { readonly ok: true; readonly fingerprint: string; readonly publicKeyPem: string }
  | { readonly ok: false; readonly reason: string };

export interface EnrolmentParse {
  readonly station: Omit<StationRecord, 'enrolledAtMs'> | null;
  /** The base64 proof-of-possession envelope (empty when missing: then a problem says so). */
  readonly proofBase64: string;
  readonly problems: readonly HqProblem[];
}

const stationIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
/** Base64 of one wire envelope (64 KiB at most, docs/protocol.md size limits). */
const enrolmentProofCharsMax = 90_000;

export function parseEnrolmentRequest(
  json: unknown,
  inspectKey: (spkiDer: Uint8Array) => KeyInspection,
  decodeBase64: (text: string) => Uint8Array,
): EnrolmentParse {
  const problems: HqProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ code: 'HQ_ENROLMENT_INVALID', field, message: `${field}: ${message}` });
  };
  // `kiosk provision --json` wraps the request as { ..., enrolment }.
  const root = isObject(json) && isObject(json.enrolment) ? json.enrolment : json;
  if (!isObject(root)) {
    problem('(root)', 'must be a JSON object');
    return { station: null, proofBase64: '', problems };
  }
  if (root.kind !== enrolmentRequestKind) problem('kind', `must be "${enrolmentRequestKind}"`);
  if (root.version !== 1) problem('version', 'must be 1');
  const station = isObject(root.station) ? root.station : {};
  if (!isObject(root.station)) problem('station', 'is required');
  const stationId = text(station.id);
  if (!stationIdPattern.test(stationId)) problem('station.id', 'must be 1..32 of [A-Za-z0-9_-]');
  const orgCode = text(station.orgCode);
  if (!/^[\x21-\x7e]{1,64}$/.test(orgCode)) problem('station.orgCode', 'is required (printable, up to 64)');
  const devices = isObject(root.devices) ? root.devices : {};
  if (!isObject(root.devices)) problem('devices', 'is required');
  const serial = (name: string): string => {
    const device = devices[name];
    const value = isObject(device) ? text(device.serialNumber) : '';
    if (value.length === 0 || value.length > 128) problem(`devices.${name}.serialNumber`, 'is required');
    assert(problems.length > 0 || value.length > 0, 'an empty serial number is a problem');
    return value;
  };
  const readerSerial = serial('cardReader');
  const pinPadSerial = serial('pinPad');
  const tokenSerial = serial('token');
  const key = isObject(root.signingKey) ? root.signingKey : {};
  if (!isObject(root.signingKey)) problem('signingKey', 'is required');
  if (key.algorithm !== 'ECDSA-P256-SHA256') problem('signingKey.algorithm', 'must be "ECDSA-P256-SHA256"');
  let inspection: KeyInspection = { ok: false, reason: 'missing' };
  const spkiBase64 = text(key.spkiDerBase64);
  if (spkiBase64.length === 0 || spkiBase64.length > 1024) problem('signingKey.spkiDerBase64', 'is required');
  else {
    inspection = inspectKey(decodeBase64(spkiBase64));
    if (!inspection.ok) problem('signingKey.spkiDerBase64', `not a P-256 public key (${inspection.reason})`);
  }
  const claimedFingerprint = text(key.fingerprintSha256Hex).toLowerCase();
  if (inspection.ok && claimedFingerprint !== inspection.fingerprint) {
    problem('signingKey.fingerprintSha256Hex', 'does not match the public key');
  }
  const pem = text(key.publicKeyPem).trim();
  if (inspection.ok && pem.length > 0 && pem !== inspection.publicKeyPem.trim()) {
    problem('signingKey.publicKeyPem', 'differs from spkiDerBase64');
  }
  // Proof of possession is required (docs/protocol.md "Enrolment"): without it anyone holding a
  // station's public key (or any key) could bind it, and a cloned request could move a station.
  const proofBase64 = text(root.proof);
  if (root.proof === undefined) {
    problems.push({
      code: 'HQ_ENROLMENT_PROOF_MISSING',
      field: 'proof',
      message: 'proof: is required (base64 EnrolmentRequest envelope signed by the key it enrols)',
    });
  } else if (proofBase64.length === 0 || proofBase64.length > enrolmentProofCharsMax) {
    problem('proof', 'must be a base64 envelope');
  }
  if (problems.length > 0 || !inspection.ok) {
    // A key that fails inspection (or is missing) always pushed its own problem: no silent refusal.
    assert(problems.length > 0, 'a refused enrolment names at least one problem');
    return { station: null, proofBase64, problems };
  }
  assert(stationIdPattern.test(stationId) && proofBase64.length > 0, 'an accepted enrolment is well formed');
  return {
    station: {
      stationId,
      orgCode,
      keyId: inspection.fingerprint,
      publicKeyPem: inspection.publicKeyPem,
      fingerprint: inspection.fingerprint,
      readerSerial,
      pinPadSerial,
      tokenSerial,
    },
    proofBase64,
    problems,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
