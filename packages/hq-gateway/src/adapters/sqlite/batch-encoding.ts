// An ingest batch as the SQL parameters it writes, in a form a worker thread can receive cheaply:
// plain arrays and records of primitives, and every envelope copied once into one buffer (a
// message's envelope is a view into the MQTT client's 64 KiB read buffer, which a structured
// clone would copy whole). Encoded on the caller's thread, written by batch-writer.ts (inline or
// on the commit thread).
import type { StationEvent } from '../../domain/types.js';
import { quarantineBytesMax } from '../../limits.js';
import type { IngestBatch } from '../../ports/store.js';

export type SqlValue = string | number | null | Uint8Array;

/** Where insertEvent (statements.ts) takes the envelope among its positional parameters. */
export const envelopeParameter = 12;

export interface EncodedBatch {
  /** insertEvent's parameters per event; the envelope slot is filled at write time. */
  readonly eventRows: SqlValue[][];
  readonly envelopes: Uint8Array;
  /** Per event: offset and length of its envelope in `envelopes`. */
  readonly envelopeOffsets: Uint32Array;
  readonly quarantined: Array<Record<string, SqlValue>>;
  readonly discrepancies: Array<Record<string, SqlValue>>;
  readonly gapsOpened: Array<Record<string, SqlValue>>;
  readonly gapFills: Array<{ readonly stationId: string; readonly seq: number; readonly atMs: number }>;
  readonly ackedSeqs: Array<[string, number]>;
  readonly statuses: Array<Record<string, SqlValue>>;
}

export function encodeIngestBatch(batch: IngestBatch): EncodedBatch {
  let size = 0;
  for (const event of batch.events) size += event.envelope.byteLength;
  const envelopes = new Uint8Array(size);
  const envelopeOffsets = new Uint32Array(2 * batch.events.length);
  const eventRows: SqlValue[][] = new Array(batch.events.length);
  let offset = 0;
  for (let index = 0; index < batch.events.length; index += 1) {
    const event = batch.events[index]!;
    envelopes.set(event.envelope, offset);
    envelopeOffsets[2 * index] = offset;
    envelopeOffsets[2 * index + 1] = event.envelope.byteLength;
    offset += event.envelope.byteLength;
    eventRows[index] = [
      event.eventId,
      event.stationId,
      event.seq,
      event.kind,
      event.createdAtMs,
      event.businessDate,
      event.businessType,
      event.transactionId,
      event.amountFen,
      event.feeFen,
      event.quotaFenAfter,
      JSON.stringify(event.detail),
      null,
      event.envelopeSha256,
      needsSettlement(event) ? 'pending' : null,
    ];
  }
  if (offset !== size) throw new Error('batch encoding: envelope bytes do not add up');
  return {
    eventRows,
    envelopes,
    envelopeOffsets,
    quarantined: batch.quarantined.map((q) => ({
      received_at_ms: q.receivedAtMs,
      topic: q.topic,
      station_id: q.stationId,
      reason_code: q.reasonCode,
      detail: q.detail,
      size_bytes: q.sizeBytes,
      // An exact-size copy (not a view of a larger buffer).
      raw: new Uint8Array(q.raw.subarray(0, quarantineBytesMax)),
      handled_seq: q.handledSeq,
    })),
    discrepancies: batch.discrepancies.map((d) => ({
      station_id: d.stationId,
      event_id: d.eventId,
      code: d.code,
      expected: d.expected,
      actual: d.actual,
      detail: d.detail,
      found_at_ms: d.foundAtMs,
    })),
    gapsOpened: batch.gapsOpened.map((gap) => ({
      station_id: gap.stationId,
      from_seq: gap.fromSeq,
      to_seq: gap.toSeq,
      found_at_ms: gap.foundAtMs,
    })),
    gapFills: batch.gapFills.map((fill) => ({ stationId: fill.stationId, seq: fill.seq, atMs: fill.atMs })),
    ackedSeqs: [...batch.ackedSeqs],
    statuses: batch.statuses.map((st) => ({
      station_id: st.stationId,
      online: st.online ? 1 : 0,
      offline_reason: st.offlineReason,
      last_seen_ms: st.lastSeenMs,
      bd_seq: st.bdSeq,
      peripherals_json: JSON.stringify(st.peripherals),
      outbox_depth: st.outboxDepth,
    })),
  };
}

/** Withdrawal completions the bank must hear about (post or release of the hold). */
export function needsSettlement(event: StationEvent): boolean {
  return (
    event.kind === 'WITHDRAWAL_POSTED' ||
    event.kind === 'WITHDRAWAL_VOIDED' ||
    event.kind === 'WITHDRAWAL_REVERSED'
  );
}
