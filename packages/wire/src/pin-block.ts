// ISO 9564-1 PIN block format 4 under AES-128, shared by the PIN-pad simulator (encode: it plays the
// device, which may see digits) and HQ's bank simulator (decode/verify). The kiosk agent never calls
// encode or decode: it only carries the opaque 16-byte block. See docs/decisions/serial-pin-pad.md.
//
// Plaintext PIN field P (16 bytes): nibble 0 = 4 (format), nibble 1 = PIN length (4–12), the PIN
// digits, fill nibbles 0xA up to nibble 15, then 8 random bytes. PAN field A (16 bytes): nibble 0 =
// PAN length − 12 (0–7), the PAN digits, zero nibbles to the end. Enciphered block
// C = E_K(E_K(P) XOR A), each E_K one AES-128-ECB block: the second encipherment binds PIN to PAN.

import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';

export const pinBlockBytes = 16;
export const aesKeyBytes = 16;
export const pinBlockPinLengthMin = 4;
export const pinBlockPinLengthMax = 12;
export const pinBlockPanLengthMin = 12;
export const pinBlockPanLengthMax = 19;
/** Bytes of a key check value (shown as 6 hex digits). */
export const kcvBytes = 3;

/** Why a block did not decode: the deciphered plaintext does not have the format-4 structure. */
export type PinBlockFault =
  | 'block-length' // not 16 bytes
  | 'pan-format' // the PAN given for the check is not 12–19 digits
  | 'control-field' // nibble 0 is not 4 (often: wrong key or wrong PAN)
  | 'pin-length' // nibble 1 outside 4–12
  | 'pin-digit' // a PIN nibble is not 0–9
  | 'fill'; // a fill nibble is not 0xA

export type PinBlockDecodeResult = { ok: true; pin: string } | { ok: false; reason: PinBlockFault };
export type PinBlockVerifyResult = { ok: true } | { ok: false; reason: PinBlockFault | 'pin-mismatch' };

function assertKey(key: Uint8Array): void {
  if (key.length !== aesKeyBytes) throw new RangeError(`AES-128 key must be ${aesKeyBytes} bytes`);
}

function aesBlock(key: Uint8Array, block: Uint8Array, direction: 'encrypt' | 'decrypt'): Uint8Array {
  assertKey(key);
  if (block.length !== pinBlockBytes) throw new RangeError('AES block must be 16 bytes');
  const cipher =
    direction === 'encrypt'
      ? createCipheriv('aes-128-ecb', key, null)
      : createDecipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(block), cipher.final()]);
  return new Uint8Array(out);
}

function xor16(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(pinBlockBytes);
  for (let index = 0; index < pinBlockBytes; index += 1) out[index] = (a[index] ?? 0) ^ (b[index] ?? 0);
  return out;
}

function nibblesToBytes(nibbles: readonly number[]): Uint8Array {
  const out = new Uint8Array(nibbles.length / 2);
  for (let index = 0; index < out.length; index += 1) {
    out[index] = ((nibbles[2 * index] ?? 0) << 4) | (nibbles[2 * index + 1] ?? 0);
  }
  return out;
}

function isDigits(text: string, lengthMin: number, lengthMax: number): boolean {
  return text.length >= lengthMin && text.length <= lengthMax && /^[0-9]+$/.test(text);
}

/** The PAN field A, or undefined when the PAN is not 12–19 digits. */
export function panField(pan: string): Uint8Array | undefined {
  if (!isDigits(pan, pinBlockPanLengthMin, pinBlockPanLengthMax)) return undefined;
  const nibbles = [pan.length - pinBlockPanLengthMin, ...Array.from(pan, Number)];
  while (nibbles.length < 32) nibbles.push(0);
  return nibblesToBytes(nibbles);
}

/**
 * Enciphers a PIN as a format-4 block. For the PIN-pad simulator only (the device side).
 * `randomFill` (8 bytes) is injectable for known-answer tests; by default it is fresh randomness.
 */
export function encodePinBlockFormat4(input: {
  pin: string;
  pan: string;
  key: Uint8Array;
  randomFill?: Uint8Array;
}): Uint8Array {
  if (!isDigits(input.pin, pinBlockPinLengthMin, pinBlockPinLengthMax)) {
    throw new RangeError('PIN must be 4–12 digits');
  }
  const pan = panField(input.pan);
  if (pan === undefined) throw new RangeError('PAN must be 12–19 digits');
  const fill = input.randomFill ?? new Uint8Array(randomBytes(8));
  if (fill.length !== 8) throw new RangeError('random fill must be 8 bytes');
  const nibbles = [4, input.pin.length, ...Array.from(input.pin, Number)];
  while (nibbles.length < 16) nibbles.push(0xa);
  const plain = new Uint8Array(pinBlockBytes);
  plain.set(nibblesToBytes(nibbles), 0);
  plain.set(fill, 8);
  const intermediate = aesBlock(input.key, plain, 'encrypt');
  return aesBlock(input.key, xor16(intermediate, pan), 'encrypt');
}

/** Deciphers a format-4 block and checks its structure. Never logs; the caller guards the PIN. */
export function decodePinBlockFormat4(block: Uint8Array, pan: string, key: Uint8Array): PinBlockDecodeResult {
  if (block.length !== pinBlockBytes) return { ok: false, reason: 'block-length' };
  const panBytes = panField(pan);
  if (panBytes === undefined) return { ok: false, reason: 'pan-format' };
  const intermediate = xor16(aesBlock(key, block, 'decrypt'), panBytes);
  const plain = aesBlock(key, intermediate, 'decrypt');
  const nibble = (index: number): number => ((plain[index >> 1] ?? 0) >> (index % 2 === 0 ? 4 : 0)) & 0xf;
  if (nibble(0) !== 4) return { ok: false, reason: 'control-field' };
  const pinLength = nibble(1);
  if (pinLength < pinBlockPinLengthMin || pinLength > pinBlockPinLengthMax) {
    return { ok: false, reason: 'pin-length' };
  }
  let pin = '';
  for (let index = 2; index < 2 + pinLength; index += 1) {
    const digit = nibble(index);
    if (digit > 9) return { ok: false, reason: 'pin-digit' };
    pin += String(digit);
  }
  for (let index = 2 + pinLength; index < 16; index += 1) {
    if (nibble(index) !== 0xa) return { ok: false, reason: 'fill' };
  }
  return { ok: true, pin };
}

/** Checks a block against the expected PIN (HQ's bank simulator). Compares in constant time. */
export function verifyPinBlockFormat4(
  block: Uint8Array,
  pan: string,
  key: Uint8Array,
  expectedPin: string,
): PinBlockVerifyResult {
  const decoded = decodePinBlockFormat4(block, pan, key);
  if (!decoded.ok) return decoded;
  const got = Buffer.from(decoded.pin);
  const want = Buffer.from(expectedPin);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'pin-mismatch' };
  return { ok: true };
}

/** Key check value: the first 3 bytes of AES-128-ECB of a zero block, as 6 upper-case hex digits. */
export function keyCheckValue(key: Uint8Array): string {
  const zero = new Uint8Array(pinBlockBytes);
  return Buffer.from(aesBlock(key, zero, 'encrypt').subarray(0, kcvBytes))
    .toString('hex')
    .toUpperCase();
}

/** True when `kcvHex` (any case) is the key's check value; constant-time on equal lengths. */
export function keyCheckValueMatches(key: Uint8Array, kcvHex: string): boolean {
  const want = Buffer.from(keyCheckValue(key));
  const got = Buffer.from(kcvHex.toUpperCase());
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Wraps a 16-byte key under a key-encrypting key (the TPK under the TMK): AES-128-ECB, one block. */
export function wrapKeyAesEcb(keyEncryptingKey: Uint8Array, key: Uint8Array): Uint8Array {
  assertKey(key);
  return aesBlock(keyEncryptingKey, key, 'encrypt');
}

/** Unwraps a key wrapped by `wrapKeyAesEcb`. Check the result against its KCV before use. */
export function unwrapKeyAesEcb(keyEncryptingKey: Uint8Array, wrapped: Uint8Array): Uint8Array {
  if (wrapped.length !== aesKeyBytes) throw new RangeError('wrapped key must be 16 bytes');
  return aesBlock(keyEncryptingKey, wrapped, 'decrypt');
}
