// What the journal says the rest of the store must hold (issue 9: counters and chain heads are
// re-derived from the journal at start-up, never trusted). One pass over the rows in index order,
// together with the hash-chain walk: the last event seq, the SHA-256 of the last envelope (the
// next event's chain link), every meta counter a row moved (last value wins), and the outbox rows
// still waiting for HQ's ack. Pure: rows come in, a verdict goes out.
import { createHash } from 'node:crypto';
import { assertHexLowerCase } from '../assert.js';
import { CHAIN_HASH_HEX_LENGTH, type ChainVerdict, type JournalRow, verifyChain } from './chain.js';

/** An outbox row as the journal recorded it (schema 2), or null for a row written before. */
export interface ExpectedOutboxRow {
  readonly seq: number;
  readonly eventId: string;
  readonly payloadType: string;
  readonly envelopeBytes: Uint8Array;
}

export interface DerivedStore {
  readonly chain: ChainVerdict;
  /** Highest event seq in the journal (0 when none). */
  readonly lastEventSeq: number;
  /** Hex SHA-256 of the last event's envelope; null when there is none or it predates schema 2. */
  readonly lastEventEnvelopeSha256Hex: string | null;
  /** Meta counters as the journal rows moved them, last value wins. */
  readonly meta: ReadonlyMap<string, string>;
  /** Rows with seq > ackedThroughSeq: the journal's copy (null for a schema-1 row). */
  readonly unacked: ReadonlyMap<number, ExpectedOutboxRow | null>;
  /** Findings other than a chain break (each names the row). */
  readonly problems: readonly string[];
}

export interface DeriveOptions {
  /** The ack mark the store claims; rows above it must still be in the outbox. */
  readonly ackedThroughSeq: number;
  /** Rows at or after this index were written by schema 2 and must carry their event. */
  readonly schema2FromIndex: number;
}

/** Parses a row's meta JSON: a flat object of string values, else a problem. */
function metaOf(row: JournalRow): Record<string, string> | string {
  if (row.metaJson === null || row.metaJson === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.metaJson);
  } catch {
    return `row ${row.index}: meta JSON does not parse`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return `row ${row.index}: meta JSON is not an object`;
  for (const value of Object.values(parsed)) {
    if (typeof value !== 'string') return `row ${row.index}: a meta value is not a string`;
  }
  return parsed as Record<string, string>;
}

/** Walks the rows once: the chain verdict plus everything derived from them. */
export function deriveStore(rows: Iterable<JournalRow>, options: DeriveOptions): DerivedStore {
  if (!Number.isSafeInteger(options.ackedThroughSeq) || options.ackedThroughSeq < 0)
    throw new Error('assert: ackedThroughSeq is a non-negative integer');
  const meta = new Map<string, string>();
  const unacked = new Map<number, ExpectedOutboxRow | null>();
  const problems: string[] = [];
  let lastEventSeq = 0;
  let lastEnvelope: Uint8Array | null = null;
  function* folded(): Generator<JournalRow> {
    for (const row of rows) {
      const rowMeta = metaOf(row);
      if (typeof rowMeta === 'string') problems.push(rowMeta);
      else for (const [key, value] of Object.entries(rowMeta)) meta.set(key, value);
      if (row.eventSeq !== null) {
        if (row.eventSeq !== lastEventSeq + 1)
          problems.push(`row ${row.index}: event seq ${row.eventSeq} does not follow ${lastEventSeq}`);
        lastEventSeq = row.eventSeq;
        const envelope = row.envelopeBytes ?? null;
        lastEnvelope = envelope;
        const complete =
          envelope !== null && typeof row.eventId === 'string' && typeof row.payloadType === 'string';
        if (!complete && row.index >= options.schema2FromIndex)
          problems.push(`row ${row.index}: event seq ${row.eventSeq} has no envelope in the journal`);
        if (row.eventSeq > options.ackedThroughSeq) {
          unacked.set(
            row.eventSeq,
            complete
              ? {
                  seq: row.eventSeq,
                  eventId: row.eventId as string,
                  payloadType: row.payloadType as string,
                  envelopeBytes: envelope,
                }
              : null,
          );
        }
      } else if (row.envelopeBytes !== null && row.envelopeBytes !== undefined) {
        problems.push(`row ${row.index}: an envelope without an event seq`);
      }
      yield row;
    }
  }
  const chain = verifyChain(folded());
  const lastEventEnvelopeSha256Hex =
    lastEnvelope === null ? null : createHash('sha256').update(lastEnvelope).digest('hex');
  // Computed here, never read from the store: the next event's chain link is a full SHA-256.
  if (lastEventEnvelopeSha256Hex !== null)
    assertHexLowerCase(lastEventEnvelopeSha256Hex, CHAIN_HASH_HEX_LENGTH, 'lastEventEnvelopeSha256Hex');
  if (options.ackedThroughSeq > lastEventSeq)
    problems.push(`ack mark ${options.ackedThroughSeq} is beyond the last event seq ${lastEventSeq}`);
  return { chain, lastEventSeq, lastEventEnvelopeSha256Hex, meta, unacked, problems };
}

/** Hex SHA-256 of the sealed meta entries (canonical: keys sorted). */
export function metaSealHex(entries: ReadonlyMap<string, string>): string {
  const sorted = [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const sealHex = createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
  assertHexLowerCase(sealHex, CHAIN_HASH_HEX_LENGTH, 'metaSealHex');
  return sealHex;
}
