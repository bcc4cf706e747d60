-- 0006: revoked station keys, kept forever (issue 11): a key revoked once never serves again,
-- under its station or any other; a station re-enrolled after a revocation gets a new key in
-- `stations` and its old one stays here (adapters/postgres/station-keys.ts). Never deleted (R17).
CREATE TABLE hq_revoked_keys (
  fingerprint TEXT PRIMARY KEY,
  station_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  revoked_at_ms BIGINT NOT NULL,
  revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX hq_revoked_keys_by_station ON hq_revoked_keys (station_id, revoked_at_ms);
