-- 0004: the indexes the station list and a station's page read by, now that they are store
-- queries (issue 11, adapters/postgres/station-view-store.ts): station ids in byte order (the
-- list's stable order; the database's default collation cannot serve ORDER BY ... COLLATE "C"),
-- a branch's stations (a branch user's scope and the branch filter), and per station its quota
-- purchases and its discrepancies in the order they were found.
CREATE INDEX stations_by_id_bytes ON stations (station_id COLLATE "C");
CREATE INDEX hq_station_branches_by_branch ON hq_station_branches (branch_id, station_id COLLATE "C");
CREATE INDEX quota_purchases_by_station ON quota_purchases (station_id, recorded_at_ms);
CREATE INDEX discrepancies_by_station_id ON discrepancies (station_id, id);
