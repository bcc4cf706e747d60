-- 0001: the HQ store as the first PostgreSQL release shipped it (the ingest side: stations,
-- events, quarantine, discrepancies, gaps, quota purchases, configs, reconciliations, the R5
-- tally and the issue-8 grants and suspensions). Money is BIGINT fen (R1); times are BIGINT ms on
-- HQ's clock. Forward-only: never edit this file once released (the migrator refuses a changed
-- checksum with HQ_MIGRATION_CHANGED); add the next numbered file instead.
CREATE TABLE hq_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE stations (
  station_id TEXT PRIMARY KEY,
  org_code TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  reader_serial TEXT NOT NULL,
  pin_pad_serial TEXT NOT NULL,
  token_serial TEXT NOT NULL,
  enrolled_at_ms BIGINT NOT NULL,
  -- The cumulative ack point (high-water mark): only ever raised (GREATEST in the batch writer).
  acked_seq BIGINT NOT NULL DEFAULT 0 CHECK (acked_seq >= 0),
  online BOOLEAN NOT NULL DEFAULT FALSE,
  last_seen_ms BIGINT NOT NULL DEFAULT 0,
  bd_seq BIGINT NOT NULL DEFAULT -1,
  peripherals_json TEXT NOT NULL DEFAULT '[]',
  outbox_depth BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE events (
  event_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  seq BIGINT NOT NULL CHECK (seq > 0),
  kind TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  business_date TEXT NOT NULL,
  business_type TEXT,
  transaction_id TEXT,
  amount_fen BIGINT NOT NULL,
  fee_fen BIGINT NOT NULL,
  quota_fen_after BIGINT,
  detail_json TEXT NOT NULL,
  envelope BYTEA NOT NULL,
  envelope_sha256 TEXT NOT NULL,
  settle_state TEXT,
  settle_outcome TEXT,
  UNIQUE (station_id, seq)
);
CREATE INDEX events_to_settle ON events (settle_state) WHERE settle_state = 'pending';
CREATE INDEX events_by_day ON events (business_date, station_id);
CREATE TABLE quarantine (
  id BIGSERIAL PRIMARY KEY,
  received_at_ms BIGINT NOT NULL,
  topic TEXT NOT NULL,
  station_id TEXT,
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  raw BYTEA NOT NULL,
  handled_seq BIGINT
);
CREATE INDEX quarantine_handled ON quarantine (station_id, handled_seq) WHERE handled_seq IS NOT NULL;
CREATE TABLE discrepancies (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  code TEXT NOT NULL,
  expected TEXT NOT NULL,
  actual TEXT NOT NULL,
  detail TEXT NOT NULL,
  found_at_ms BIGINT NOT NULL
);
CREATE TABLE gaps (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL,
  from_seq BIGINT NOT NULL,
  to_seq BIGINT NOT NULL,
  found_at_ms BIGINT NOT NULL,
  closed_at_ms BIGINT
);
CREATE TABLE quota_purchases (
  purchase_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  amount_fen BIGINT NOT NULL CHECK (amount_fen >= 50000),
  quota_fen_after BIGINT NOT NULL,
  recorded_at_ms BIGINT NOT NULL
);
CREATE TABLE configs (
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  version BIGINT NOT NULL,
  issued_at_ms BIGINT NOT NULL,
  envelope BYTEA NOT NULL,
  summary_json TEXT NOT NULL,
  PRIMARY KEY (station_id, version)
);
CREATE TABLE reconciliations (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  close_event_id TEXT NOT NULL,
  reconciled_at_ms BIGINT NOT NULL,
  difference_count BIGINT NOT NULL
);
CREATE TABLE reconciliation_differences (
  id BIGSERIAL PRIMARY KEY,
  reconciliation_id BIGINT NOT NULL REFERENCES reconciliations (id),
  code TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE withdrawal_approvals (
  request_id TEXT PRIMARY KEY,
  card_key TEXT NOT NULL,
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  business_date TEXT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
  approved_at_ms BIGINT NOT NULL,
  released_at_ms BIGINT
);
CREATE INDEX withdrawal_approvals_open ON withdrawal_approvals (business_date) WHERE released_at_ms IS NULL;
CREATE TABLE withdrawal_grants (
  request_id TEXT PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  transaction_id TEXT NOT NULL,
  card_token TEXT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
  fee_fen BIGINT NOT NULL CHECK (fee_fen >= 0),
  granted_at_ms BIGINT NOT NULL
);
CREATE INDEX withdrawal_grants_by_time ON withdrawal_grants (granted_at_ms);
CREATE TABLE station_suspensions (
  station_id TEXT PRIMARY KEY REFERENCES stations (station_id),
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  since_ms BIGINT NOT NULL
);
