// The kiosk database schema: the hash-chained journal, the outbox and a small meta table, in one
// SQLite file so one commit covers all three. Money columns are INTEGER fen (R1).

export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS journal (
  idx INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  tx_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  event_seq INTEGER,
  payload_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
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

/** Meta keys used by the store itself. */
export const META_LAST_EVENT_SEQ = 'last_event_seq';
/** Hex SHA-256 of the last event's envelope, written in the same commit as the event. */
export const META_LAST_EVENT_ENVELOPE_SHA256 = 'last_event_envelope_sha256';
export const META_ACKED_THROUGH_SEQ = 'acked_through_seq';
export const META_SCHEMA_VERSION = 'schema_version';
