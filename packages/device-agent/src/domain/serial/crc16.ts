// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) over frame bytes.
// Check value: "123456789" → 0x29B1. Table-driven: the fuzz test and the bench parse many lines.

import { assert, assertIntegerInRange } from '../assert.js';

/** A CRC-16 is 16 bits wide: every result is in [0, crc16Max]. */
export const crc16Max = 0xffff;
/** The catalogue check value of CRC-16/CCITT-FALSE over the ASCII digits "123456789". */
const checkValue = 0x29b1;

const table = buildTable();
// The table is built once at load: a wrong table would corrupt every frame, so check it against
// the catalogue value before any frame is encoded or decoded.
assert(crc16CcittFalseAscii('123456789') === checkValue, 'crc16: table fails the check value 0x29B1');

function buildTable(): Uint16Array {
  const out = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    out[byte] = crc;
  }
  // Entry 1 is the polynomial itself (one bit shifted through eight times): the table is not shifted.
  assert(out[0] === 0 && out[1] === 0x1021, 'crc16: table entries 0 and 1 must be 0 and the polynomial');
  return out;
}

/** CRC-16/CCITT-FALSE of the bytes (a 16-bit unsigned integer). */
export function crc16CcittFalse(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (table[((crc >> 8) ^ byte) & 0xff] ?? 0);
  assertIntegerInRange(crc, 0, crc16Max, 'crc16CcittFalse result');
  return crc;
}

/** The same CRC over an ASCII string (every code unit must be < 0x80; frames are ASCII). */
export function crc16CcittFalseAscii(text: string): number {
  let crc = 0xffff;
  for (let index = 0; index < text.length; index += 1) {
    const byte = text.charCodeAt(index);
    if (byte > 0x7f) throw new RangeError('crc16CcittFalseAscii: non-ASCII input');
    crc = ((crc << 8) & 0xffff) ^ (table[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  assertIntegerInRange(crc, 0, crc16Max, 'crc16CcittFalseAscii result');
  return crc;
}
