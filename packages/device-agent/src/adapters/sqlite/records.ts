// Row shapes of the kiosk store and the translation of SQLite write failures (disk full, I/O) into
// AGENT_STORE_WRITE_FAILED: what kiosk-db.ts reads and throws, kept apart so the store stays short.
import type { JournalRow } from '../../domain/journal/chain.js';
import { AgentError } from '../../errors.js';

export interface JournalRecord {
  idx: number;
  kind: string;
  tx_id: string;
  created_at_ms: number;
  event_seq: number | null;
  payload_json: string;
  prev_hash: string;
  hash: string;
  event_id: string | null;
  payload_type: string | null;
  envelope: Buffer | null;
  meta_json: string | null;
}

export function toRow(record: JournalRecord): JournalRow {
  return {
    index: record.idx,
    kind: record.kind,
    txId: record.tx_id,
    createdAtMs: record.created_at_ms,
    eventSeq: record.event_seq,
    payloadJson: record.payload_json,
    prevHashHex: record.prev_hash,
    hashHex: record.hash,
    eventId: record.event_id,
    payloadType: record.payload_type,
    envelopeBytes: record.envelope === null ? null : new Uint8Array(record.envelope),
    metaJson: record.meta_json,
  };
}

/** SQLite result codes that mean "could not write" (disk full, I/O), not a bug. */
export function isWriteFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR'));
}

export function writeFailed(what: string, error: unknown): unknown {
  if (!isWriteFailure(error)) return error;
  const sqliteCode = String((error as { code: string }).code);
  return new AgentError('AGENT_STORE_WRITE_FAILED', `${what}: ${sqliteCode}; nothing was committed`, {
    cause: error,
    details: { sqliteCode },
  });
}

export const JOURNAL_COLUMNS =
  'idx, kind, tx_id, created_at_ms, event_seq, payload_json, prev_hash, hash, event_id, payload_type, envelope, meta_json';
export const JOURNAL_COLUMNS_SCHEMA_1 =
  'idx, kind, tx_id, created_at_ms, event_seq, payload_json, prev_hash, hash, NULL AS event_id, NULL AS payload_type, NULL AS envelope, NULL AS meta_json';
