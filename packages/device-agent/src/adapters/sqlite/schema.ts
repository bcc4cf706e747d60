// The kiosk database schema: the hash-chained journal, the outbox and a small meta table, in one
// SQLite file so one commit covers all three. Money columns are INTEGER fen (R1).
//
// Schema 2 (issue 9) keeps in each journal row, under the hash chain, the event the row produced (id,
// type, signed envelope) and the meta counters it moved: the outbox and the meta table are then copies the
// start-up check compares with the journal, and a repair rebuilds from it. Meta keys no journal
// row moves (bdSeq, the ack mark, the schema version) are covered by a seal (META_SEAL).

export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS journal (
  idx INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  tx_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  event_seq INTEGER,
  payload_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  event_id TEXT,
  payload_type TEXT,
  envelope BLOB,
  meta_json TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS journal_tx_id ON journal (tx_id, idx);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  payload_type TEXT NOT NULL,
  envelope BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`;

/** Columns each table must have, in order (the start-up check compares PRAGMA table_info). */
export const SCHEMA_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  journal: [
    'idx',
    'kind',
    'tx_id',
    'created_at_ms',
    'event_seq',
    'payload_json',
    'prev_hash',
    'hash',
    'event_id',
    'payload_type',
    'envelope',
    'meta_json',
  ],
  outbox: ['seq', 'event_id', 'payload_type', 'envelope'],
  meta: ['key', 'value'],
};

/** Every object sqlite_schema must hold, as `type name on table` (sorted): nothing more, nothing less. */
export const SCHEMA_OBJECTS: readonly string[] = [
  'index journal_tx_id on journal',
  'index sqlite_autoindex_meta_1 on meta',
  'index sqlite_autoindex_outbox_1 on outbox',
  'table journal on journal',
  'table meta on meta',
  'table outbox on outbox',
];

/** Schema-1 journals lack the last four columns; schema 2 adds them in place (rows keep their hash). */
export const SCHEMA_2_MIGRATION_SQL = `
ALTER TABLE journal ADD COLUMN event_id TEXT;
ALTER TABLE journal ADD COLUMN payload_type TEXT;
ALTER TABLE journal ADD COLUMN envelope BLOB;
ALTER TABLE journal ADD COLUMN meta_json TEXT;
`;

/** Meta keys used by the store itself. */
export const META_LAST_EVENT_SEQ = 'last_event_seq';
/** Hex SHA-256 of the last event's envelope, written in the same commit as the event. */
export const META_LAST_EVENT_ENVELOPE_SHA256 = 'last_event_envelope_sha256';
export const META_ACKED_THROUGH_SEQ = 'acked_through_seq';
export const META_SCHEMA_VERSION = 'schema_version';
/**
 * Hex SHA-256 over the canonical JSON of every meta entry no journal row derives (bdSeq, the ack
 * mark, the schema version, keys from before schema 2), rewritten in the same commit as any of
 * them: a flipped byte in one of them, or in the seal, no longer matches.
 */
export const META_SEAL = 'meta_seal_sha256';
/** Rows with idx below this were written by schema 1 (no envelope/meta in the row); absent = none. */
export const META_SCHEMA_2_FROM_INDEX = 'schema_2_from_index';
