// Turns whatever protobufjs throws on hostile bytes into a WireError with a stable code:
// RangeError ("index out of range") = the input ended mid-field = WIRE_TRUNCATED; anything else
// (invalid wire type, bad varint, max depth) = WIRE_MALFORMED. Never a raw crash.

import { WireError } from './errors.js';

export function decodeOrThrow<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof WireError) throw error;
    const reason = error instanceof Error ? error.message.slice(0, 120) : 'unknown';
    if (error instanceof RangeError) {
      throw new WireError(
        'WIRE_TRUNCATED',
        `${what}: input ends mid-field`,
        { message: what, reason },
        error,
      );
    }
    throw new WireError('WIRE_MALFORMED', `${what}: not valid protobuf`, { message: what, reason }, error);
  }
}
