// Every SQL statement of the HQ store, prepared once per connection (better-sqlite3 caches
// nothing by itself: a prepare per call re-parses the SQL). Three groups: what the batch writer
// needs (on either connection), what the rest of ingest and operations need, what reports read.
import type Database from 'better-sqlite3';
import { eventLookupChunkMax } from '../../limits.js';

/** A prepared statement per SQL text of `T`, by the same names. */
export type Prepared<T extends Record<string, string>> = { readonly [K in keyof T]: Database.Statement };

function prepareAll<T extends Record<string, string>>(db: Database.Database, sql: T): Prepared<T> {
  const prepared: Record<string, Database.Statement> = {};
  for (const [name, text] of Object.entries(sql)) prepared[name] = db.prepare(text);
  return prepared as Prepared<T>;
}

/** What one ingest batch writes (batch-writer.ts). */
const batchSql = {
  insertEvent: `INSERT INTO events (event_id, station_id, seq, kind, created_at_ms, business_date, business_type,
         transaction_id, amount_fen, fee_fen, quota_fen_after, detail_json, envelope, envelope_sha256, settle_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
  insertQuarantine: `INSERT INTO quarantine (received_at_ms, topic, station_id, reason_code, detail, size_bytes, raw, handled_seq)
       VALUES (@received_at_ms, @topic, @station_id, @reason_code, @detail, @size_bytes, @raw, @handled_seq)`,
  insertDiscrepancy: `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms)
       VALUES (@station_id, @event_id, @code, @expected, @actual, @detail, @found_at_ms)`,
  insertGap: `INSERT INTO gaps (station_id, from_seq, to_seq, found_at_ms)
       VALUES (@station_id, @from_seq, @to_seq, @found_at_ms)`,
  gapHolding: `SELECT * FROM gaps WHERE station_id = ? AND closed_at_ms IS NULL AND from_seq <= ? AND to_seq >= ?`,
  closeGap: 'UPDATE gaps SET closed_at_ms = ? WHERE id = ?',
  // The ack point only rises (the Store port's high-water mark; PostgreSQL does the same).
  updateAcked: 'UPDATE stations SET acked_seq = MAX(acked_seq, ?) WHERE station_id = ?',
  updateStatus: `UPDATE stations SET online = @online, offline_reason = @offline_reason,
         last_seen_ms = @last_seen_ms, bd_seq = @bd_seq, peripherals_json = @peripherals_json, outbox_depth = @outbox_depth WHERE station_id = @station_id`,
} as const;

export function batchStatements(db: Database.Database): Prepared<typeof batchSql> {
  return prepareAll(db, batchSql);
}

/** Ingest start-up, lookups, settlement, approvals, stations, quota, configs, meta. */
const storeSql = {
  insertStation: `INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
         pin_pad_serial, token_serial, enrolled_at_ms)
       VALUES (@station_id, @org_code, @key_id, @public_key_pem, @fingerprint, @reader_serial,
         @pin_pad_serial, @token_serial, @enrolled_at_ms)`,
  getStation: 'SELECT * FROM stations WHERE station_id = ?',
  listStations: 'SELECT * FROM stations ORDER BY station_id',
  ackedSeqs: 'SELECT station_id, acked_seq FROM stations',
  seqsAbove: `SELECT seq FROM events WHERE station_id = ? AND seq > ?
       UNION SELECT handled_seq AS seq FROM quarantine WHERE station_id = ? AND handled_seq > ?`,
  statuses: `SELECT station_id, online, offline_reason, last_seen_ms, bd_seq, peripherals_json, outbox_depth
       FROM stations`,
  findEvents: `SELECT event_id, station_id, seq, envelope_sha256 FROM events
       WHERE event_id IN (${new Array(eventLookupChunkMax).fill('?').join(',')})`,
  eventsOfStation: 'SELECT * FROM events WHERE station_id = ? ORDER BY seq',
  previousClose: `SELECT * FROM events WHERE station_id = ? AND kind = 'DAILY_CLOSE' AND seq < ?
       ORDER BY seq DESC LIMIT 1`,
  pendingSettlements: "SELECT * FROM events WHERE settle_state = 'pending' ORDER BY station_id, seq",
  markSettled: "UPDATE events SET settle_state = 'done', settle_outcome = ? WHERE event_id = ?",
  insertQuotaPurchase: `INSERT INTO quota_purchases (purchase_id, station_id, amount_fen, quota_fen_after, recorded_at_ms)
       VALUES (?, ?, ?, ?, ?)`,
  quotaPurchases: 'SELECT * FROM quota_purchases WHERE station_id = ? ORDER BY recorded_at_ms, purchase_id',
  insertConfig:
    'INSERT INTO configs (station_id, version, issued_at_ms, envelope, summary_json) VALUES (?, ?, ?, ?, ?)',
  latestConfig: 'SELECT * FROM configs WHERE station_id = ? ORDER BY version DESC LIMIT 1',
  // A request id approved again after its release counts again (WithdrawalTally does the same).
  recordApproval: `INSERT INTO withdrawal_approvals (request_id, card_key, station_id, business_date, amount_fen,
         approved_at_ms)
       VALUES (@request_id, @card_key, @station_id, @business_date, @amount_fen, @approved_at_ms)
       ON CONFLICT (request_id) DO UPDATE SET released_at_ms = NULL`,
  // The card's open approvals of a day, the request itself left out (re-asked: counted once).
  cardDayApprovedFen: `SELECT COALESCE(SUM(amount_fen), 0) AS fen FROM withdrawal_approvals
       WHERE card_key = ? AND business_date = ? AND released_at_ms IS NULL AND request_id <> ?`,
  releaseApproval:
    'UPDATE withdrawal_approvals SET released_at_ms = ? WHERE request_id = ? AND released_at_ms IS NULL',
  openApprovals: `SELECT * FROM withdrawal_approvals WHERE business_date >= ? AND released_at_ms IS NULL
       ORDER BY approved_at_ms, request_id`,
  insertReconciliation: `INSERT INTO reconciliations (station_id, business_date, close_event_id, reconciled_at_ms, difference_count)
       VALUES (?, ?, ?, ?, ?)`,
  insertReconciliationDifference:
    'INSERT INTO reconciliation_differences (reconciliation_id, code, detail) VALUES (?, ?, ?)',
  getMeta: 'SELECT value FROM hq_meta WHERE key = ?',
  setMeta:
    'INSERT INTO hq_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

export function storeStatements(db: Database.Database): Prepared<typeof storeSql> {
  return prepareAll(db, storeSql);
}

/** What reports and `hq status` read (report-queries.ts). */
const reportSql = {
  eventsOfDay: 'SELECT * FROM events WHERE station_id = ? AND business_date = ? ORDER BY seq',
  reconciliations: 'SELECT * FROM reconciliations WHERE business_date = ? ORDER BY station_id, id',
  reconciliationDifferences:
    'SELECT code, detail FROM reconciliation_differences WHERE reconciliation_id = ? ORDER BY id',
  quarantine: 'SELECT * FROM quarantine ORDER BY id DESC LIMIT ?',
  discrepancies: 'SELECT * FROM discrepancies ORDER BY id LIMIT ?',
  openGaps: 'SELECT * FROM gaps WHERE closed_at_ms IS NULL ORDER BY station_id, from_seq LIMIT ?',
  dailyTotals: `SELECT station_id, kind, COUNT(*) AS count, SUM(amount_fen) AS amount_fen, SUM(fee_fen) AS fee_fen
       FROM events WHERE business_date = ? GROUP BY station_id, kind ORDER BY station_id, kind`,
  quarantineByReason: 'SELECT reason_code, COUNT(*) AS n FROM quarantine GROUP BY reason_code',
  countEvents: 'SELECT COUNT(*) AS n FROM events',
  countDiscrepancies: 'SELECT COUNT(*) AS n FROM discrepancies',
  countOpenGaps: 'SELECT COUNT(*) AS n FROM gaps WHERE closed_at_ms IS NULL',
  countStations: 'SELECT COUNT(*) AS n FROM stations',
} as const;

export function reportStatements(db: Database.Database): Prepared<typeof reportSql> {
  return prepareAll(db, reportSql);
}
