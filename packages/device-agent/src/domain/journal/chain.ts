// The journal's hash chain: each row's hash covers the previous row's hash and the row's own
// content, so a changed, removed or reordered row breaks every hash after it. Pure: the caller
// hands in rows in index order (from SQLite at start-up, or from `kiosk doctor`).
import { createHash } from 'node:crypto';
import { assert, assertHexLowerCase, assertIntegerInRange } from '../assert.js';

/** A chain hash is SHA-256: 32 bytes, 64 lower-case hex characters. */
export const CHAIN_HASH_HEX_LENGTH = 64;
/** Hash of the (virtual) row before the first one: 32 zero bytes, hex. */
export const GENESIS_HASH_HEX = '0'.repeat(CHAIN_HASH_HEX_LENGTH);

/** What a journal row holds before it is chained. `payloadJson` is canonical JSON (see canonicalJson). */
export interface JournalRowContent {
  readonly kind: string;
  readonly txId: string;
  readonly createdAtMs: number;
  readonly payloadJson: string;
  /** The per-station event seq this row produced, or null when the row is local only. */
  readonly eventSeq: number | null;
  /**
   * The event this row produced, as the outbox holds it (schema 2; absent on older rows and on
   * local-only rows): chained, so the outbox copy is checked against it and rebuilt from it.
   */
  readonly eventId?: string | null;
  readonly payloadType?: string | null;
  readonly envelopeBytes?: Uint8Array | null;
  /**
   * Canonical JSON of the meta counters this row moved in its commit (schema 2; absent when none).
   * Chained, so the meta table can be re-derived from the journal and checked at start-up.
   */
  readonly metaJson?: string | null;
}

export interface JournalRow extends JournalRowContent {
  /** 0-based position in the journal. */
  readonly index: number;
  readonly prevHashHex: string;
  readonly hashHex: string;
}

/**
 * Hashes one row: SHA-256 over the previous hash and a length-prefixed encoding of each field.
 * Asserts only `index` and `prevHashHex`: verifyChain passes both after checking them against the
 * chain, while the content may come from a tampered database and must yield a mismatch, not a crash.
 */
export function hashRow(index: number, prevHashHex: string, content: JournalRowContent): string {
  assertIntegerInRange(index, 0, Number.MAX_SAFE_INTEGER, 'hashRow index');
  assertHexLowerCase(prevHashHex, CHAIN_HASH_HEX_LENGTH, 'hashRow prevHashHex');
  const fields = [
    String(index),
    prevHashHex,
    content.kind,
    content.txId,
    String(content.createdAtMs),
    content.eventSeq === null ? '-' : String(content.eventSeq),
    content.payloadJson,
  ];
  // Schema 2 fields are hashed only when a row has them, so rows written before keep their hash.
  const envelope = content.envelopeBytes ?? null;
  const schema2 = [content.eventId ?? null, content.payloadType ?? null, content.metaJson ?? null];
  if (envelope !== null || schema2.some((field) => field !== null)) {
    if (schema2.includes('-')) throw new Error('assert: "-" is the absent marker, never a value');
    const [eventId, payloadType, metaJson] = schema2;
    fields.push(
      eventId ?? '-',
      payloadType ?? '-',
      envelope === null ? '-' : Buffer.from(envelope).toString('hex'),
      metaJson ?? '-',
    );
  }
  const hash = createHash('sha256');
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  }
  const hashHex = hash.digest('hex');
  assertHexLowerCase(hashHex, CHAIN_HASH_HEX_LENGTH, 'hashRow result');
  return hashHex;
}

/** Makes the next row after `previous` (or the first row when `previous` is null). */
export function chainRow(previous: JournalRow | null, content: JournalRowContent): JournalRow {
  // A new row is the agent's own content (written before acting), never a row read back.
  assert(content.kind.length > 0, 'chainRow: a journal row names its kind');
  assertIntegerInRange(content.createdAtMs, 0, Number.MAX_SAFE_INTEGER, 'chainRow createdAtMs');
  if (content.eventSeq !== null)
    assertIntegerInRange(content.eventSeq, 1, Number.MAX_SAFE_INTEGER, 'chainRow eventSeq');
  const index = previous === null ? 0 : previous.index + 1;
  const prevHashHex = previous === null ? GENESIS_HASH_HEX : previous.hashHex;
  const row = { ...content, index, prevHashHex, hashHex: hashRow(index, prevHashHex, content) };
  assert(row.hashHex !== prevHashHex, 'chainRow: a row hash equals the hash it chains to');
  return row;
}

export type ChainVerdict =
  | { readonly ok: true; readonly rowCount: number; readonly headHashHex: string }
  | { readonly ok: false; readonly rowCount: number; readonly badIndex: number; readonly reason: ChainFault };

export type ChainFault = 'index_gap' | 'prev_hash_mismatch' | 'hash_mismatch';

/** Walks rows in order and reports the first break. Streams: holds one row at a time. */
export function verifyChain(rows: Iterable<JournalRow>): ChainVerdict {
  let expectedIndex = 0;
  let prevHashHex = GENESIS_HASH_HEX;
  for (const row of rows) {
    if (row.index !== expectedIndex) {
      return { ok: false, rowCount: expectedIndex, badIndex: expectedIndex, reason: 'index_gap' };
    }
    if (row.prevHashHex !== prevHashHex) {
      return { ok: false, rowCount: expectedIndex, badIndex: row.index, reason: 'prev_hash_mismatch' };
    }
    if (hashRow(row.index, row.prevHashHex, row) !== row.hashHex) {
      return { ok: false, rowCount: expectedIndex, badIndex: row.index, reason: 'hash_mismatch' };
    }
    prevHashHex = row.hashHex;
    expectedIndex += 1;
  }
  // Every head but the genesis hash was just recomputed by hashRow, so it has the chain hash length.
  assertHexLowerCase(prevHashHex, CHAIN_HASH_HEX_LENGTH, 'verifyChain head');
  return { ok: true, rowCount: expectedIndex, headHashHex: prevHashHex };
}

/** JSON with object keys sorted, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  const json: string | undefined = JSON.stringify(sortKeys(value));
  // undefined, a function or a symbol has no JSON: the journal would store nothing for the row.
  assert(typeof json === 'string', 'canonicalJson: the value has no JSON form');
  return json;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) out[key] = sortKeys(field);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Error('assert: non-finite number in journal');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
