// The wire package's one error-code registry. Every operating error this package throws is a
// WireError with one of these stable codes (never reused, never renamed), the original error as
// `cause` and safe `details` (field names, sizes, limits: never secrets, never raw bytes).
// docs/errors/wire.md lists the same codes; test/errors.test.ts keeps the two equal.

export const wireErrorCodes = {
  WIRE_TOO_LARGE: 'input is larger than its limit in limits.ts; refused before decoding',
  WIRE_TRUNCATED: 'input ends in the middle of a protobuf field (protobufjs RangeError)',
  WIRE_MALFORMED: 'input is not valid protobuf (bad wire type, bad varint, bad UTF-8 length...)',
  WIRE_BAD_FIELD: 'a decoded or to-be-encoded field is missing, too long, out of range or of the wrong form',
  WIRE_UNKNOWN_PAYLOAD_TYPE: 'the header names a payload type this version does not know, or UNSPECIFIED',
  WIRE_UNSUPPORTED_VERSION: 'the header carries a wire version this receiver does not speak',
  WIRE_BAD_SIGNATURE: 'the envelope signature does not verify under the given public key',
  WIRE_UNKNOWN_KEY: 'no public key is known for the station id and key id in the header',
  WIRE_BAD_KEY: 'a public or private key cannot be used (not parseable, not EC P-256)',
  WIRE_BAD_TOPIC: 'a topic string is not in the bianmin/v1 tree',
  WIRE_BAD_STATION_ID: 'a station id is empty, too long or outside [A-Za-z0-9_-]',
  WIRE_TOPIC_MISMATCH: 'the envelope does not belong on the topic it came from (station id or payload type)',
  WIRE_RELEASE_MANIFEST_INVALID:
    'a release manifest.json is not JSON or a field is missing or of the wrong form',
  WIRE_RELEASE_SIGNATURE_INVALID:
    'a release manifest.sig is malformed, or it does not verify over manifest.json',
  WIRE_RELEASE_KEY_UNKNOWN: 'a release is signed by a key that is not one of the trusted HQ release keys',
} as const;

export type WireErrorCode = keyof typeof wireErrorCodes;

/** Safe, loggable context for an error: never secrets, never raw input bytes. */
export type WireErrorDetails = Readonly<Record<string, string | number | boolean>>;

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;
  readonly details: WireErrorDetails;

  constructor(code: WireErrorCode, message: string, details: WireErrorDetails = {}, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

export function isWireError(error: unknown): error is WireError {
  return error instanceof WireError;
}
