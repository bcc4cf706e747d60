-- 0002: what came after the first release: why a station is offline (its last-will death or
-- silence), who lifted a suspension and why (hq station resume), the indexes hq status reads by,
-- and a judgement key on discrepancies so a second HQ process that judges the same event the same
-- way stores the discrepancy once (rows from before this migration keep a NULL key).
ALTER TABLE stations ADD COLUMN offline_reason TEXT CHECK (offline_reason IN ('death', 'silence'));
CREATE TABLE station_resumptions (
  id BIGSERIAL PRIMARY KEY,
  station_id TEXT NOT NULL REFERENCES stations (station_id),
  reason_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  since_ms BIGINT NOT NULL,
  resumed_at_ms BIGINT NOT NULL,
  resumed_by TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX quarantine_by_station ON quarantine (station_id, id);
CREATE INDEX discrepancies_by_station ON discrepancies (station_id, event_id);
ALTER TABLE discrepancies ADD COLUMN judgement_key TEXT;
CREATE UNIQUE INDEX discrepancies_judgement ON discrepancies (judgement_key);
