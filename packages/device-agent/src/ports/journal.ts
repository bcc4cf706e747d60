// The journal port: the kiosk's durable, hash-chained record of every step of every
// transaction. One append is one durable commit (synchronous=FULL in the SQLite adapter): the
// journal row, the signed event it produced (into the outbox, with its contiguous seq) and any
// counters it moved are stored together or not at all.
import type { ChainVerdict, JournalRow } from '../domain/journal/chain.js';

/** A signed event that enters the outbox with the journal row. */
export interface OutboxEventInput {
  /** Must be exactly `nextEventSeq()`: seqs are contiguous per station. */
  readonly seq: number;
  readonly eventId: string;
  /** The wire PayloadType name, for operators reading the db (`kiosk doctor`). */
  readonly payloadType: string;
  /** The encoded, signed wire envelope. */
  readonly envelopeBytes: Uint8Array;
}

export interface JournalAppend {
  readonly kind: string;
  readonly txId: string;
  readonly createdAtMs: number;
  /** Plain JSON; never a PAN, PIN or PIN block (R24). */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly event?: OutboxEventInput;
  /** Small counters that must move in the same commit (receipt counter, bdSeq, last good config). */
  readonly metaUpdates?: Readonly<Record<string, string>>;
}

export interface JournalPort {
  /** The seq the next event must carry (1 for a fresh journal). */
  nextEventSeq(): number;
  /**
   * SHA-256 of the envelope bytes of the last event (seq nextEventSeq() - 1): the next event's
   * SignedHeader.prev_envelope_sha256. Null for a fresh journal, or one whose last event was
   * written before events were chained.
   */
  lastEventEnvelopeSha256(): Uint8Array | null;
  /** Appends and commits durably; returns the chained row. */
  append(entry: JournalAppend): JournalRow;
  /** Rows in index order from `fromIndex` (0-based). Lazily read. */
  rows(fromIndex?: number): IterableIterator<JournalRow>;
  /** Rows of one transaction, in order. */
  rowsOfTx(txId: string): JournalRow[];
  /** Walks the whole chain. */
  verify(): ChainVerdict;
  rowCount(): number;
  getMeta(key: string): string | null;
  /** Sets meta outside a journal append (link session counter, acked seq). */
  setMeta(key: string, value: string): void;
}
