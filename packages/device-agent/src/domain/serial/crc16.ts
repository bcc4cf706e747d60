// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) over frame bytes.
// Check value: "123456789" → 0x29B1. Table-driven: the fuzz test and the bench parse many lines.

const table = buildTable();

function buildTable(): Uint16Array {
  const out = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    out[byte] = crc;
  }
  return out;
}

/** CRC-16/CCITT-FALSE of the bytes (a 16-bit unsigned integer). */
export function crc16CcittFalse(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (table[((crc >> 8) ^ byte) & 0xff] ?? 0);
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
  return crc;
}
