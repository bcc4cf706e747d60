// The HQ SQLite schema. Money columns are INTEGER fen (R1); rows are never updated in place
// except station status, ack points and gap closure; history is append-only (R17).
export const schemaSql = `
CREATE TABLE IF NOT EXISTS hq_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS stations (
  station_id TEXT PRIMARY KEY,
  org_code TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  reader_serial TEXT NOT NULL,
  pin_pad_serial TEXT NOT NULL,
  token_serial TEXT NOT NULL,
  enrolled_at_ms INTEGER NOT NULL,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  bd_seq INTEGER NOT NULL DEFAULT -1,
  peripherals_json TEXT NOT NULL DEFAULT '[]',
  outbox_depth INTEGER NOT NULL DEFAULT 0,
  offline_reason TEXT CHECK (offline_reason IN ('death', 'silence'))
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  seq INTEGER NOT NULL CHECK (seq > 0),
  kind TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  business_date TEXT NOT NULL,
  business_type TEXT,
  transaction_id TEXT,
  amount_fen INTEGER NOT NULL,
  fee_fen INTEGER NOT NULL,
  quota_fen_after INTEGER,
  detail_json TEXT NOT NULL,
  envelope BLOB NOT NULL,
  envelope_sha256 TEXT NOT NULL,
  -- Bank settlement of a withdrawal posted/voided/reversed: 'pending' until the bank answered.
  settle_state TEXT,
  settle_outcome TEXT,
  UNIQUE (station_id, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS events_to_settle ON events (settle_state) WHERE settle_state = 'pending';
CREATE INDEX IF NOT EXISTS events_by_day ON events (business_date, station_id);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  received_at_ms INTEGER NOT NULL,
  topic TEXT NOT NULL,
  station_id TEXT,
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  raw BLOB NOT NULL,
  handled_seq INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS quarantine_handled ON quarantine (station_id, handled_seq) WHERE handled_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS discrepancies (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  code TEXT NOT NULL,
  expected TEXT NOT NULL,
  actual TEXT NOT NULL,
  detail TEXT NOT NULL,
  found_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS gaps (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  found_at_ms INTEGER NOT NULL,
  closed_at_ms INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS quota_purchases (
  purchase_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 50000),
  quota_fen_after INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS configs (
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  version INTEGER NOT NULL,
  issued_at_ms INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  summary_json TEXT NOT NULL,
  PRIMARY KEY (station_id, version)
) STRICT;
CREATE TABLE IF NOT EXISTS reconciliations (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  close_event_id TEXT NOT NULL,
  reconciled_at_ms INTEGER NOT NULL,
  difference_count INTEGER NOT NULL
) STRICT;
-- HQ's R5 tally (per card / per station per business day), durable before the bank is asked, so
-- an HQ restart does not reset a day's counts. card_key is HQ's opaque card digest, never a PAN.
CREATE TABLE IF NOT EXISTS withdrawal_approvals (
  request_id TEXT PRIMARY KEY,
  card_key TEXT NOT NULL,
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  business_date TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
  approved_at_ms INTEGER NOT NULL,
  released_at_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS withdrawal_approvals_open ON withdrawal_approvals (business_date)
  WHERE released_at_ms IS NULL;
CREATE INDEX IF NOT EXISTS withdrawal_approvals_card_day ON withdrawal_approvals (card_key, business_date)
  WHERE released_at_ms IS NULL;
-- Issue 8: authorisations HQ granted (bank approved, APPROVED sent): the provenance a kiosk's
-- WithdrawalAuthorised/Posted must match (request id, station, transaction, card token, amount).
-- card_token is the kiosk's opaque token, never a PAN.
CREATE TABLE IF NOT EXISTS withdrawal_grants (
  request_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  transaction_id TEXT NOT NULL,
  card_token TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
  fee_fen INTEGER NOT NULL CHECK (fee_fen >= 0),
  granted_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS withdrawal_grants_by_time ON withdrawal_grants (granted_at_ms);
-- Issue 8: a station that broke a per-station bound is suspended until an operator resumes it
-- (persisted, so a restart does not bring the failure back).
CREATE TABLE IF NOT EXISTS station_suspensions (
  station_id TEXT PRIMARY KEY REFERENCES stations(station_id),
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  since_ms INTEGER NOT NULL
) STRICT;
-- Each lifted suspension: what it was, and who lifted it, when (HQ's clock) and why (hq station
-- resume), kept for the audit.
CREATE TABLE IF NOT EXISTS station_resumptions (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations(station_id),
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  resumed_at_ms INTEGER NOT NULL,
  resumed_by TEXT NOT NULL,
  reason TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS quarantine_by_station ON quarantine (station_id, id);
CREATE INDEX IF NOT EXISTS discrepancies_by_station ON discrepancies (station_id, event_id);
CREATE TABLE IF NOT EXISTS reconciliation_differences (
  id INTEGER PRIMARY KEY,
  reconciliation_id INTEGER NOT NULL REFERENCES reconciliations(id),
  code TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
`;

/**
 * Columns added after a store file may already exist (CREATE TABLE IF NOT EXISTS leaves an old
 * table as it is): each is added at open when the table lacks it.
 */
export const addedColumns: ReadonlyArray<{
  readonly table: string;
  readonly column: string;
  readonly sql: string;
}> = [
  {
    table: 'stations',
    column: 'offline_reason',
    sql: "ALTER TABLE stations ADD COLUMN offline_reason TEXT CHECK (offline_reason IN ('death', 'silence'))",
  },
];
