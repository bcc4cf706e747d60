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
