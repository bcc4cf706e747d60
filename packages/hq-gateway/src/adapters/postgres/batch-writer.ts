// One ingest batch in one PostgreSQL transaction, safe with several HQ processes on one database:
// - the touched stations' rows are locked first, in station-id order (SELECT ... FOR NO KEY UPDATE),
//   so two processes committing batches of the same stations queue instead of deadlocking;
// - events go in as ONE multi-row INSERT (unnest of column arrays) ... ON CONFLICT DO NOTHING: the
//   event id and (station id, seq) are unique keys, so a batch replayed after a crash, or the same
//   event committed by a second process, is stored once;
// - the ack point (high-water mark) only ever rises: acked_seq = GREATEST(acked_seq, new), so a
//   process that knows less cannot move another's ack back;
// - a discrepancy carries a judgement key (unique), so the same judgement made twice is one row.
// Quarantine, gaps and statuses are plain multi-row statements. A deadlock or serialization failure
// (SQLSTATE 40P01 / 40001) retries the whole batch, up to pgCommitRetriesMax.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { HqError } from '../../errors.js';
import { pgCommitRetriesMax, quarantineBytesMax } from '../../limits.js';
import type { IngestBatch } from '../../ports/store.js';
import { needsSettlement } from '../sqlite/batch-encoding.js';
import { inTransaction, type Row, sqlStateOf } from './connection.js';

const insertEventsSql = `INSERT INTO events (event_id, station_id, seq, kind, created_at_ms, business_date,
    business_type, transaction_id, amount_fen, fee_fen, quota_fen_after, detail_json, envelope,
    envelope_sha256, settle_state)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[],
    $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bytea[],
    $14::text[], $15::text[])
  ON CONFLICT DO NOTHING`;

const insertQuarantineSql = `INSERT INTO quarantine (received_at_ms, topic, station_id, reason_code, detail,
    size_bytes, raw, handled_seq)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
    $7::bytea[], $8::bigint[])`;

const insertDiscrepanciesSql = `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail,
    found_at_ms, judgement_key)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::bigint[], $8::text[])
  ON CONFLICT (judgement_key) DO NOTHING`;

const insertGapsSql = `INSERT INTO gaps (station_id, from_seq, to_seq, found_at_ms)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])`;

const raiseAckedSql = `UPDATE stations s SET acked_seq = GREATEST(s.acked_seq, v.acked_seq)
  FROM unnest($1::text[], $2::bigint[]) AS v (station_id, acked_seq)
  WHERE s.station_id = v.station_id`;

const updateStatusesSql = `UPDATE stations s SET online = v.online, offline_reason = v.offline_reason,
    last_seen_ms = v.last_seen_ms, bd_seq = v.bd_seq, peripherals_json = v.peripherals_json,
    outbox_depth = v.outbox_depth
  FROM unnest($1::text[], $2::boolean[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[])
    AS v (station_id, online, offline_reason, last_seen_ms, bd_seq, peripherals_json, outbox_depth)
  WHERE s.station_id = v.station_id`;

/** The key of one judgement: the same station, event, code, expected and actual is the same fact. */
export function judgementKey(d: IngestBatch['discrepancies'][number]): string {
  return createHash('sha256')
    .update(JSON.stringify([d.stationId, d.eventId, d.code, d.expected, d.actual]))
    .digest('hex');
}

function column<T, V>(rows: readonly T[], pick: (row: T) => V): V[] {
  return rows.map(pick);
}

export async function writeBatch(pool: pg.Pool, batch: IngestBatch): Promise<void> {
  for (const event of batch.events) {
    if (!(Number.isSafeInteger(event.amountFen) && Number.isSafeInteger(event.feeFen)))
      throw new Error('batch writer: money must be integer fen (R1)');
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      await inTransaction(pool, 'commit an ingest batch', (client) => writeIn(client, batch));
      return;
    } catch (error) {
      const state = sqlStateOf(error);
      const retry = (state === '40P01' || state === '40001') && attempt < pgCommitRetriesMax;
      if (retry) continue;
      throw new HqError('HQ_STORE_FAILED', 'an ingest batch could not be committed', {
        cause: error,
        details: { events: batch.events.length, ...(state === undefined ? {} : { sqlState: state }) },
      });
    }
  }
}

async function writeIn(client: pg.PoolClient, batch: IngestBatch): Promise<void> {
  const stationIds = new Set<string>();
  for (const e of batch.events) stationIds.add(e.stationId);
  for (const stationId of batch.ackedSeqs.keys()) stationIds.add(stationId);
  for (const st of batch.statuses) stationIds.add(st.stationId);
  for (const fill of batch.gapFills) stationIds.add(fill.stationId);
  if (stationIds.size > 0) {
    await client.query(
      'SELECT 1 FROM stations WHERE station_id = ANY($1::text[]) ORDER BY station_id FOR NO KEY UPDATE',
      [[...stationIds].sort()],
    );
  }
  const events = batch.events;
  if (events.length > 0) {
    await client.query(insertEventsSql, [
      column(events, (e) => e.eventId),
      column(events, (e) => e.stationId),
      column(events, (e) => e.seq),
      column(events, (e) => e.kind),
      column(events, (e) => e.createdAtMs),
      column(events, (e) => e.businessDate),
      column(events, (e) => e.businessType),
      column(events, (e) => e.transactionId),
      column(events, (e) => e.amountFen),
      column(events, (e) => e.feeFen),
      column(events, (e) => e.quotaFenAfter),
      column(events, (e) => JSON.stringify(e.detail)),
      column(events, (e) => Buffer.from(e.envelope.buffer, e.envelope.byteOffset, e.envelope.byteLength)),
      column(events, (e) => e.envelopeSha256),
      column(events, (e) => (needsSettlement(e) ? 'pending' : null)),
    ]);
  }
  const q = batch.quarantined;
  if (q.length > 0) {
    await client.query(insertQuarantineSql, [
      column(q, (r) => r.receivedAtMs),
      column(q, (r) => r.topic),
      column(q, (r) => r.stationId),
      column(q, (r) => r.reasonCode),
      column(q, (r) => r.detail),
      column(q, (r) => r.sizeBytes),
      column(q, (r) => Buffer.from(r.raw.subarray(0, quarantineBytesMax))),
      column(q, (r) => r.handledSeq),
    ]);
  }
  const d = batch.discrepancies;
  if (d.length > 0) {
    await client.query(insertDiscrepanciesSql, [
      column(d, (r) => r.stationId),
      column(d, (r) => r.eventId),
      column(d, (r) => r.code),
      column(d, (r) => r.expected),
      column(d, (r) => r.actual),
      column(d, (r) => r.detail),
      column(d, (r) => r.foundAtMs),
      column(d, judgementKey),
    ]);
  }
  const g = batch.gapsOpened;
  if (g.length > 0) {
    await client.query(insertGapsSql, [
      column(g, (r) => r.stationId),
      column(g, (r) => r.fromSeq),
      column(g, (r) => r.toSeq),
      column(g, (r) => r.foundAtMs),
    ]);
  }
  for (const fill of batch.gapFills) await fillGap(client, fill.stationId, fill.seq, fill.atMs);
  if (batch.ackedSeqs.size > 0) {
    const acked = [...batch.ackedSeqs];
    await client.query(raiseAckedSql, [acked.map(([id]) => id), acked.map(([, seq]) => seq)]);
  }
  const s = batch.statuses;
  if (s.length > 0) {
    await client.query(updateStatusesSql, [
      column(s, (r) => r.stationId),
      column(s, (r) => r.online),
      column(s, (r) => r.offlineReason),
      column(s, (r) => r.lastSeenMs),
      column(s, (r) => r.bdSeq),
      column(s, (r) => JSON.stringify(r.peripherals)),
      column(s, (r) => r.outboxDepth),
    ]);
  }
}

/** Narrow the open gap holding `seq`: split it around the seq, close it when empty. */
async function fillGap(client: pg.PoolClient, stationId: string, seq: number, atMs: number): Promise<void> {
  const rows = (
    await client.query(
      `SELECT id, from_seq, to_seq, found_at_ms FROM gaps
       WHERE station_id = $1 AND closed_at_ms IS NULL AND from_seq <= $2 AND to_seq >= $2
       ORDER BY id LIMIT 1 FOR UPDATE`,
      [stationId, seq],
    )
  ).rows as Row[];
  const gap = rows[0];
  if (gap === undefined) return;
  const fromSeq = Number(gap.from_seq);
  const toSeq = Number(gap.to_seq);
  const foundAtMs = Number(gap.found_at_ms);
  await client.query('UPDATE gaps SET closed_at_ms = $1 WHERE id = $2', [atMs, gap.id]);
  const parts: Array<[number, number]> = [];
  if (fromSeq <= seq - 1) parts.push([fromSeq, seq - 1]);
  if (seq + 1 <= toSeq) parts.push([seq + 1, toSeq]);
  for (const [from, to] of parts) {
    await client.query(
      'INSERT INTO gaps (station_id, from_seq, to_seq, found_at_ms) VALUES ($1, $2, $3, $4)',
      [stationId, from, to, foundAtMs],
    );
  }
}
