-- The alert list's default page (issue 11: open alerts, newest first, 50 at a time) read as an
-- index range in alert_id order: without it every request sorted all open alerts (a top-N sort of
-- the whole open set, ~0.7 ms at 300 open alerts, growing with them).
CREATE INDEX hq_alerts_open_by_id ON hq_alerts (alert_id DESC) WHERE acked_at_ms IS NULL;
