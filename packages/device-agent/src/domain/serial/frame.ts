// The serial frame codec (docs/serial-protocol.md). One frame per line, printable ASCII:
//   SS|COMMAND|key=value;key=value|CCCC
// SS: sequence number, 2 upper-case hex digits (00–7F host requests and their responses, 80–FF
// frames the device starts). COMMAND: A–Z, 0–9, _ (starts with a letter). Payload: fields in
// order; keys [a-z][A-Za-z0-9]*; values percent-encoded (UTF-8 bytes as %XX) for anything outside
// printable ASCII and for % ; = |; binary values travel as upper-case hex. CCCC: CRC-16/CCITT-FALSE
// of "SS|COMMAND|payload" as 4 upper-case hex digits. Decoding never throws: a line that is not a
// frame comes back as a value with a code and, when readable, its sequence number (for a NAK).

import type { AgentErrorCode } from '../../errors.js';
import { serialFieldCountMax, serialLineBytesMax } from '../../limits.js';
import { assert, assertIntegerInRange } from '../assert.js';
import { crc16CcittFalseAscii, crc16Max } from './crc16.js';

export const seqHostMax = 0x7f;
export const seqDeviceMin = 0x80;
export const seqMax = 0xff;

export interface Frame {
  readonly seq: number;
  readonly command: string;
  readonly fields: ReadonlyMap<string, string>;
}

export type FrameDecodeResult =
  | { ok: true; frame: Frame }
  | {
      ok: false;
      code: Extract<AgentErrorCode, 'AGENT_SERIAL_FRAME_MALFORMED' | 'AGENT_SERIAL_FRAME_CRC'>;
      reason: string;
      seq: number | undefined;
    };

const commandPattern = /^[A-Z][A-Z0-9_]{0,23}$/;
const keyPattern = /^[a-z][A-Za-z0-9]{0,23}$/;
const hex2Pattern = /^[0-9A-F]{2}$/;
const hex4Pattern = /^[0-9A-F]{4}$/;
/** What an escaped value may contain: printable ASCII without the separators % ; = | (docs/serial-protocol.md). */
const escapedPattern = /^(?:[\x20-\x24\x26-\x3a\x3c\x3e-\x7b\x7d\x7e]|%[0-9A-F]{2})*$/;
/** "|CCCC" after the body: the separator and 4 hex digits of a 16-bit CRC. */
const crcSuffixLength = 5;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function mustEscape(code: number): boolean {
  // Called with UTF-8 bytes (encoding) and UTF-16 code units (decoding), never anything wider.
  assert(Number.isInteger(code) && code >= 0 && code <= 0xffff, 'mustEscape: not a byte or code unit');
  // Printable ASCII stays readable; the four separators and everything else are escaped.
  return code < 0x20 || code > 0x7e || code === 0x25 || code === 0x3b || code === 0x3d || code === 0x7c;
}

/** Percent-encodes a field value (UTF-8). */
export function escapeValue(value: string): string {
  let out = '';
  for (const byte of textEncoder.encode(value)) {
    out += mustEscape(byte)
      ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
      : String.fromCharCode(byte);
  }
  // The escaped value can never split a field or a frame, whatever string the caller passed.
  assert(escapedPattern.test(out), 'escapeValue: output holds a separator or a non-printable byte');
  return out;
}

/** Reverses escapeValue; undefined when an escape is broken, a raw byte is not allowed, or UTF-8 is bad. */
export function unescapeValue(text: string): string | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x25) {
      const hex = text.slice(index + 1, index + 3);
      if (!hex2Pattern.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (mustEscape(code)) {
      return undefined;
    } else {
      bytes.push(code);
    }
  }
  // Each byte consumed at least one character: the result is never longer than the frame it came from.
  assert(bytes.length <= text.length, 'unescapeValue: more bytes than characters');
  try {
    return textDecoder.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

/** Two upper-case hex digits of a byte (a frame seq, a byte of a binary value). */
export function hex2(value: number): string {
  assertIntegerInRange(value, 0, 0xff, 'hex2 value');
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/** Encodes a frame as one line WITHOUT the newline. Asserts the frame is well-formed (programmer error). */
export function encodeFrame(
  seq: number,
  command: string,
  fields: Readonly<Record<string, string>> = {},
): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > seqMax)
    throw new RangeError(`frame seq out of range: ${seq}`);
  if (!commandPattern.test(command)) throw new RangeError(`frame command invalid: ${command}`);
  const entries = Object.entries(fields);
  if (entries.length > serialFieldCountMax) throw new RangeError('frame has too many fields');
  const payload = entries
    .map(([key, value]) => {
      if (!keyPattern.test(key)) throw new RangeError(`frame field key invalid: ${key}`);
      return `${key}=${escapeValue(value)}`;
    })
    .join(';');
  const body = `${hex2(seq)}|${command}|${payload}`;
  const line = `${body}|${crc16CcittFalseAscii(body).toString(16).toUpperCase().padStart(4, '0')}`;
  if (line.length > serialLineBytesMax) throw new RangeError('frame longer than serialLineBytesMax');
  // The CRC field is exactly 4 hex digits (16 bits), so the decoder's fixed-width check accepts it.
  assert(line.length === body.length + crcSuffixLength, 'encodeFrame: CRC field is not 4 hex digits');
  return line;
}

function malformed(reason: string, seq: number | undefined): FrameDecodeResult {
  assert(reason.length > 0, 'malformed: a refusal names its reason');
  if (seq !== undefined) assertIntegerInRange(seq, 0, seqMax, 'malformed seq');
  return { ok: false, code: 'AGENT_SERIAL_FRAME_MALFORMED', reason, seq };
}

function readableSeq(line: string): number | undefined {
  const head = line.slice(0, 2);
  const seq = line.charAt(2) === '|' && hex2Pattern.test(head) ? Number.parseInt(head, 16) : undefined;
  if (seq !== undefined) assertIntegerInRange(seq, 0, seqMax, 'readableSeq');
  return seq;
}

/** Decodes one line (newline already removed). Never throws. */
export function decodeFrame(bytes: Uint8Array): FrameDecodeResult {
  if (bytes.length > serialLineBytesMax) return malformed('line too long', undefined);
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) return malformed('non-printable byte', undefined);
  }
  const line = String.fromCharCode(...bytes);
  // Every byte is printable ASCII, so one byte is one character and the line keeps its length cap.
  assert(line.length === bytes.length && line.length <= serialLineBytesMax, 'decodeFrame: line length');
  const seq = readableSeq(line);
  const crcSeparator = line.lastIndexOf('|');
  if (crcSeparator < 0) return malformed('no CRC separator', seq);
  const crcText = line.slice(crcSeparator + 1);
  if (!hex4Pattern.test(crcText)) return malformed('CRC is not 4 upper-case hex digits', seq);
  const body = line.slice(0, crcSeparator);
  if (crc16CcittFalseAscii(body) !== Number.parseInt(crcText, 16)) {
    return { ok: false, code: 'AGENT_SERIAL_FRAME_CRC', reason: 'CRC mismatch', seq };
  }
  const parts = body.split('|');
  if (parts.length !== 3 || seq === undefined) return malformed('expected SS|COMMAND|payload', seq);
  const command = parts[1] ?? '';
  if (!commandPattern.test(command)) return malformed('command invalid', seq);
  const fields = decodePayload(parts[2] ?? '');
  if (typeof fields === 'string') return malformed(fields, seq);
  // What the codec promises every caller of a decoded frame (RequestTable routes by seq range).
  assertIntegerInRange(Number.parseInt(crcText, 16), 0, crc16Max, 'decodeFrame crc');
  assertIntegerInRange(seq, 0, seqMax, 'decodeFrame seq');
  return { ok: true, frame: { seq, command, fields } };
}

function decodePayload(payload: string): Map<string, string> | string {
  const fields = new Map<string, string>();
  if (payload === '') return fields;
  const items = payload.split(';');
  if (items.length > serialFieldCountMax) return 'too many fields';
  for (const item of items) {
    const equals = item.indexOf('=');
    if (equals < 0) return 'field without "="';
    const key = item.slice(0, equals);
    if (!keyPattern.test(key)) return 'field key invalid';
    if (fields.has(key)) return `duplicate field ${key}`;
    const value = unescapeValue(item.slice(equals + 1));
    if (value === undefined) return `field ${key}: bad escape`;
    fields.set(key, value);
  }
  assert(fields.size <= serialFieldCountMax, 'decodePayload: more fields than serialFieldCountMax');
  return fields;
}

/** Reads a required field; undefined when absent (the caller turns that into a code naming the field). */
export function field(frame: Frame, key: string): string | undefined {
  // The key is a name from our code; one that breaks the key pattern could never be present.
  assert(keyPattern.test(key), `field: key ${key} is not a valid field key`);
  return frame.fields.get(key);
}

/** Upper-case hex of bytes (binary field values). */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += hex2(byte);
  assert(out.length === 2 * bytes.length, 'bytesToHex: two hex digits per byte');
  return out;
}

/** Parses upper/lower-case hex of an exact byte length; undefined when it is not that. */
export function hexToBytes(text: string, byteCount: number): Uint8Array | undefined {
  // `text` comes from a device and may be anything (undefined result); `byteCount` is ours.
  assertIntegerInRange(byteCount, 1, serialLineBytesMax / 2, 'hexToBytes byteCount');
  if (text.length !== byteCount * 2 || !/^[0-9A-Fa-f]*$/.test(text)) return undefined;
  const out = new Uint8Array(byteCount);
  for (let index = 0; index < byteCount; index += 1)
    out[index] = Number.parseInt(text.slice(2 * index, 2 * index + 2), 16);
  assert(out.length === byteCount, 'hexToBytes: result length');
  return out;
}
