-- 0003: what HQ kept in a SQLite side file until now moves into PostgreSQL, so several HQ
-- processes on one database share it (issue 11): users and bearer sessions (token SHA-256 only),
-- the hash-chained audit log, alerts with their webhook delivery state and dedup key, each
-- station's branch office, the station network's append-only operations log, and the R8
-- 账实相符 checks with their differences. The station-control version is a sequence (read by
-- every process, bumped by whichever changed station control). Money is BIGINT fen (R1), times
-- BIGINT ms on HQ's clock. Uniqueness is always a database key, never a check in one process.
CREATE TABLE hq_users (
  user_name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  branch_id TEXT,
  password_hash TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE hq_sessions (
  token_sha256 TEXT PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  user_name TEXT NOT NULL REFERENCES hq_users (user_name),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);
CREATE INDEX hq_sessions_expiry ON hq_sessions (expires_at_ms);
-- seq is the chain position: PRIMARY KEY, so even without the append lock two writers could not
-- both store row n (the lock, adapters/postgres/ops-store.ts, makes the second wait instead).
-- detail_json is TEXT, not JSONB: the row hash covers the detail exactly as written.
CREATE TABLE hq_audit (
  seq BIGINT PRIMARY KEY CHECK (seq > 0),
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  prev_sha256 TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE
);
CREATE INDEX hq_audit_by_actor ON hq_audit (actor, seq);
CREATE INDEX hq_audit_by_target ON hq_audit (target, seq);
CREATE TABLE hq_alerts (
  alert_id BIGSERIAL PRIMARY KEY,
  kind TEXT NOT NULL,
  station_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  opened_at_ms BIGINT NOT NULL,
  acked_by TEXT,
  acked_at_ms BIGINT,
  delivery_state TEXT NOT NULL CHECK (delivery_state IN ('pending', 'delivered', 'failed', 'none')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_next_at_ms BIGINT NOT NULL DEFAULT 0,
  delivery_last_error TEXT NOT NULL DEFAULT ''
);
-- Alert dedup: at most one open alert of a kind per station, across every process.
CREATE UNIQUE INDEX hq_alerts_open ON hq_alerts (kind, station_id) WHERE acked_at_ms IS NULL;
CREATE INDEX hq_alerts_delivery ON hq_alerts (delivery_state, delivery_next_at_ms);
CREATE TABLE hq_alert_discrepancies (
  station_id TEXT PRIMARY KEY,
  discrepancy_count BIGINT NOT NULL
);
CREATE TABLE hq_station_branches (
  station_id TEXT PRIMARY KEY,
  branch_id TEXT NOT NULL
);
CREATE SEQUENCE hq_station_control_version;
-- The station network's log (R17: kept at least 6 years, never edited). UNIQUE (aggregate_id,
-- version) is the expectedVersion check every process relies on; UNIQUE idempotency_key makes a
-- retried command one record. payload_json is TEXT: the JSON exactly as the domain checked it.
CREATE TABLE operations (
  position BIGSERIAL PRIMARY KEY,
  aggregate_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version > 0),
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  reason TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  UNIQUE (aggregate_id, version)
);
CREATE INDEX operations_by_at ON operations (at_ms);
CREATE INDEX operations_by_aggregate_prefix ON operations (aggregate_id text_pattern_ops, position);
CREATE FUNCTION operations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'operations are append-only and kept at least 6 years (R17)';
END;
$$;
CREATE TRIGGER operations_no_update BEFORE UPDATE OR DELETE ON operations
  FOR EACH ROW EXECUTE FUNCTION operations_append_only();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON operations
  FOR EACH STATEMENT EXECUTE FUNCTION operations_append_only();
CREATE TABLE reality_checks (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  trigger_event_id TEXT NOT NULL,
  checked_at_ms BIGINT NOT NULL,
  hq_posted_count BIGINT NOT NULL,
  hq_posted_fen BIGINT NOT NULL,
  bank_posted_count BIGINT,
  bank_posted_fen BIGINT,
  expected_cash_fen BIGINT,
  declared_cash_fen BIGINT,
  difference_count INTEGER NOT NULL
);
CREATE INDEX reality_checks_by_day ON reality_checks (business_date, station_id);
CREATE TABLE reality_differences (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  code TEXT NOT NULL,
  reference TEXT NOT NULL,
  expected_fen BIGINT,
  actual_fen BIGINT,
  reason_zh TEXT NOT NULL,
  trigger_event_id TEXT NOT NULL,
  found_at_ms BIGINT NOT NULL,
  UNIQUE (station_id, business_date, code, reference)
);
