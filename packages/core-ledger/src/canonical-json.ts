// A canonical JSON text: object keys sorted, undefined members left out, no whitespace. Two
// values with the same content give the same text, whatever the key order they were built with.
// Used for idempotency fingerprints of rare commands and for the bytes a daily close is hashed over.

import { assert } from './assert.js';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    assert(Number.isFinite(value), 'canonicalJson: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  assert(false, `canonicalJson: unsupported value of type ${typeof value}`);
}

/**
 * canonicalJson for values that may come from outside (a refused command's idempotency
 * fingerprint): a number that JSON cannot carry (NaN, ±Infinity) or a bigint is written as a
 * tagged string instead of failing an assertion, so a bad command is refused, never a crash.
 * Equal to canonicalJson for every value canonicalJson accepts.
 */
export function canonicalJsonLoose(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(`#number:${String(value)}`);
  if (typeof value === 'bigint') return JSON.stringify(`#bigint:${String(value)}`);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJsonLoose(item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJsonLoose(record[key])}`).join(',')}}`;
  }
  if (typeof value === 'function' || typeof value === 'symbol') return JSON.stringify(`#${typeof value}`);
  return canonicalJson(value);
}
