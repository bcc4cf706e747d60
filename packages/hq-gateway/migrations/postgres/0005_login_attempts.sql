-- 0005: the login limiter's counters, shared by every HQ process on the database (issue 11): one
-- row per user name ('u:NAME') or client address ('a:ADDRESS') with its fixed window's start (ms,
-- HQ's clock) and the attempts in it, counted by one atomic upsert
-- (adapters/postgres/login-attempts.ts). Expired windows are deleted as new ones open.
CREATE TABLE hq_login_attempts (
  limit_key TEXT PRIMARY KEY,
  window_start_ms BIGINT NOT NULL,
  attempt_count INTEGER NOT NULL CHECK (attempt_count > 0)
);
CREATE INDEX hq_login_attempts_by_window ON hq_login_attempts (window_start_ms);
