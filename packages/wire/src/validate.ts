// Field checks for decoded (hostile) and to-be-encoded messages. Each throws WIRE_BAD_FIELD with
// the field's path (e.g. "body.totals[2].amountFen") and never echoes the value itself, which may
// be a PAN or garbage. Money is integer fen (R1): a safe, non-negative integer.

import { WireError } from './errors.js';
import {
  codeCharsMax,
  detailCharsMax,
  idCharsMax,
  keyIdCharsMax,
  messageDepthMax,
  panDigitsMax,
  panDigitsMin,
  repeatedItemsMax,
  stringCharsMax,
} from './limits.js';

export function badField(
  field: string,
  reason: string,
  details: Record<string, string | number> = {},
): never {
  throw new WireError('WIRE_BAD_FIELD', `${field}: ${reason}`, { field, reason, ...details });
}

// Printable ASCII without space: ids, codes, receipt numbers, key ids.
const tokenPattern = /^[\x21-\x7e]+$/;

function checkToken(value: string, field: string, max: number, required: boolean): void {
  if (typeof value !== 'string') badField(field, 'must be a string');
  if (value.length === 0) {
    if (required) badField(field, 'is required');
    return;
  }
  if (value.length > max) badField(field, 'too long', { length: value.length, lengthMax: max });
  if (!tokenPattern.test(value)) badField(field, 'must be printable ASCII without spaces');
}

/** A client-made id, receipt number or other reference: 1..64 printable ASCII characters. */
export function checkId(value: string, field: string, required = true): void {
  checkToken(value, field, idCharsMax, required);
}

/** A key id: 1..128 printable ASCII characters. */
export function checkKeyId(value: string, field: string, required = true): void {
  checkToken(value, field, keyIdCharsMax, required);
}

/** A short code (biller, carrier, version, bank response code): 1..64 printable ASCII. */
export function checkCode(value: string, field: string, required = true): void {
  checkToken(value, field, codeCharsMax, required);
}

/** Free text (any Unicode), up to 512 characters; may be empty. */
export function checkText(value: string, field: string): void {
  if (typeof value !== 'string') badField(field, 'must be a string');
  if (value.length > detailCharsMax)
    badField(field, 'too long', { length: value.length, lengthMax: detailCharsMax });
}

/** An amount in fen (R1): a safe integer >= min (0 by default). */
export function checkFen(value: number, field: string, min = 0): void {
  if (!Number.isSafeInteger(value)) badField(field, 'fen must be a safe integer');
  if (value < min) badField(field, `fen must be >= ${min}`);
}

/** A count, sequence number, version or size: a safe integer >= min (0 by default). */
export function checkCount(value: number, field: string, min = 0): void {
  if (!Number.isSafeInteger(value)) badField(field, 'must be a safe integer');
  if (value < min) badField(field, `must be >= ${min}`);
}

/** A Unix epoch instant in milliseconds: > 0 when required, else >= 0. */
export function checkInstantMs(value: number, field: string, required = true): void {
  if (!Number.isSafeInteger(value)) badField(field, 'must be a safe integer (ms)');
  if (value < 0 || (required && value === 0))
    badField(field, required ? 'must be > 0 (ms)' : 'must be >= 0 (ms)');
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `at` as a number (the pattern has checked they are digits). */
function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - 48) * 10 + (value.charCodeAt(at + 1) - 48);
}

/** A business date "YYYY-MM-DD" (a real calendar date). Runs per event: allocates nothing. */
export function checkBusinessDate(value: string, field: string): void {
  if (typeof value !== 'string') badField(field, 'must be a string');
  if (!datePattern.test(value)) badField(field, 'must be YYYY-MM-DD');
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && leap ? 29 : (daysInMonth[month - 1] ?? 0);
  if (year < 1 || day < 1 || day > monthDays) badField(field, 'is not a calendar date');
}

/** The numeric values of each generated enum object, computed once (checkEnum runs per field). */
const enumValues = new WeakMap<object, ReadonlySet<number>>();

/** An enum value the generated enum object knows; UNSPECIFIED (0) refused unless allowed. */
export function checkEnum(value: number, values: object, field: string, allowUnspecified = false): void {
  let known = enumValues.get(values);
  if (known === undefined) {
    known = new Set(Object.values(values).filter((entry): entry is number => typeof entry === 'number'));
    enumValues.set(values, known);
  }
  if (!Number.isSafeInteger(value) || !known.has(value)) badField(field, 'unknown enum value');
  if (value === 0 && !allowUnspecified) badField(field, 'is required (UNSPECIFIED)');
}

/** A byte field of exactly `size` bytes, or between min and max bytes. */
export function checkBytes(value: Uint8Array, field: string, sizeMin: number, sizeMax = sizeMin): void {
  if (!(value instanceof Uint8Array)) badField(field, 'must be bytes');
  if (value.length < sizeMin || value.length > sizeMax) {
    badField(
      field,
      sizeMin === sizeMax ? `must be ${sizeMin} bytes` : `must be ${sizeMin}..${sizeMax} bytes`,
      {
        size: value.length,
      },
    );
  }
}

/** A lowercase hex SHA-256 (64 characters); empty allowed only when `required` is false. */
export function checkSha256Hex(value: string, field: string, required = true): void {
  if (typeof value !== 'string') badField(field, 'must be a string');
  if (value.length === 0 && !required) return;
  if (!/^[0-9a-f]{64}$/.test(value)) badField(field, 'must be 64 lowercase hex characters');
}

/** A full PAN: 12..19 digits. Never echoed in errors. */
export function checkPan(value: string, field: string): void {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) badField(field, 'must be digits');
  if (value.length < panDigitsMin || value.length > panDigitsMax) badField(field, 'must be 12..19 digits');
}

/** A masked PAN (R24): 6 digits, '*' fill, 4 digits, 12..19 characters in all. */
export function checkMaskedPan(value: string, field: string): void {
  if (typeof value !== 'string' || !/^\d{6}\*+\d{4}$/.test(value)) {
    badField(field, 'must be first 6 digits, * fill, last 4 digits');
  }
  if (value.length < panDigitsMin || value.length > panDigitsMax)
    badField(field, 'must be 12..19 characters');
}

/** The sum of the Luhn (mod 10) check over `digits` (ASCII digits), the last digit undoubled. */
function luhnSum(digits: string, doubleLast: boolean): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === (doubleLast ? 0 : 1)) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum;
}

/** True when `digits` (digits only) pass the Luhn check (mod 10); false for anything else. */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The Luhn check digit to append to `body` (digits only), e.g. for test card numbers. */
export function luhnCheckDigit(body: string): string {
  if (!/^[0-9]+$/.test(body)) throw new RangeError('luhnCheckDigit needs digits');
  return String((10 - (luhnSum(body, true) % 10)) % 10);
}

/**
 * Masks a PAN to first 6 + last 4 (R24), e.g. a 16-digit PAN starting 622848 and ending 5678 -> "622848******5678". The one
 * implementation: device-agent's `Pan` and its logger use this one. Total and safe on any input: a
 * string that is not a plain 12..19-digit PAN (too short or long, spaces, dashes, track data) is
 * masked whole, one '*' per character, so no part of it shows; it never throws, so masking inside
 * a log or error path cannot crash. Validate with checkPan where a bad PAN must be refused.
 */
export function maskPan(pan: string): string {
  if (!/^[0-9]+$/.test(pan) || pan.length < panDigitsMin || pan.length > panDigitsMax) {
    return '*'.repeat(pan.length);
  }
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

/** A repeated field: at most 256 items. */
export function checkRepeated(value: readonly unknown[], field: string, max = repeatedItemsMax): void {
  if (!Array.isArray(value)) badField(field, 'must be a list');
  if (value.length > max) badField(field, 'too many items', { count: value.length, countMax: max });
}

interface ShapeFault {
  /** Path below the checked value, e.g. ".totals[2].amountFen" (built only when a check fails). */
  path: string;
  readonly reason: string;
  readonly details: Record<string, string | number>;
}

/**
 * The generic pass over any decoded message: every string within stringCharsMax, every number a
 * safe integer (this package has no float fields; int64 beyond 2^53 decodes unsafe and stops
 * here), every list within repeatedItemsMax, nesting within messageDepthMax. It runs on every
 * message HQ ingests, so a message that passes allocates nothing but one key list per object.
 */
export function checkShape(value: unknown, field: string, depth = 0): void {
  const fault = shapeFault(value, depth);
  if (fault !== undefined) badField(`${field}${fault.path}`, fault.reason, fault.details);
}

function shapeFault(value: unknown, depth: number): ShapeFault | undefined {
  if (depth > messageDepthMax)
    return { path: '', reason: 'nested too deep', details: { depthMax: messageDepthMax } };
  if (typeof value === 'string') {
    if (value.length <= stringCharsMax) return undefined;
    return { path: '', reason: 'too long', details: { length: value.length, lengthMax: stringCharsMax } };
  }
  if (typeof value === 'number') {
    return Number.isSafeInteger(value)
      ? undefined
      : { path: '', reason: 'must be a safe integer', details: {} };
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    if (value.length > repeatedItemsMax) {
      return {
        path: '',
        reason: 'too many items',
        details: { count: value.length, countMax: repeatedItemsMax },
      };
    }
    for (let index = 0; index < value.length; index += 1) {
      const fault = shapeFault(value[index], depth + 1);
      if (fault !== undefined) {
        fault.path = `[${index}]${fault.path}`;
        return fault;
      }
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    if (key === '$unknowns') continue;
    const fault = shapeFault(record[key], depth + 1);
    if (fault !== undefined) {
      fault.path = `.${key}${fault.path}`;
      return fault;
    }
  }
  return undefined;
}
