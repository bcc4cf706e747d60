// The batch writer: one encoded ingest batch (batch-encoding.ts) written in one IMMEDIATE
// transaction, on whichever connection owns it: the store's own (inline commits) or the commit
// thread's (commit-worker.ts). It imports nothing of the store, so the commit thread does not
// either.
import type Database from 'better-sqlite3';
import { HqError } from '../../errors.js';
import { type EncodedBatch, envelopeParameter } from './batch-encoding.js';
import type { Row } from './rows.js';
import { batchStatements } from './statements.js';

export class BatchWriter {
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof batchStatements>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = batchStatements(db);
  }

  /** Write the batch in one transaction; HQ_STORE_FAILED (nothing written) when it fails. */
  write(encoded: EncodedBatch): void {
    const s = this.#s;
    if (encoded.envelopeOffsets.length !== 2 * encoded.eventRows.length)
      throw new Error('batch writer: one offset pair per event');
    const envelopes = Buffer.from(
      encoded.envelopes.buffer,
      encoded.envelopes.byteOffset,
      encoded.envelopes.byteLength,
    );
    const offsets = encoded.envelopeOffsets;
    const run = this.#db.transaction(() => {
      // Positional parameters in the column order of insertEvent (no object per row); the envelope
      // is bound as a view of the batch's envelope buffer, not a copy.
      for (let index = 0; index < encoded.eventRows.length; index += 1) {
        const row = encoded.eventRows[index]!;
        const offset = offsets[2 * index]!;
        row[envelopeParameter] = envelopes.subarray(offset, offset + offsets[2 * index + 1]!);
        s.insertEvent.run(row);
      }
      for (const q of encoded.quarantined) s.insertQuarantine.run(q);
      for (const d of encoded.discrepancies) s.insertDiscrepancy.run(d);
      for (const gap of encoded.gapsOpened) s.insertGap.run(gap);
      for (const fill of encoded.gapFills) this.#fillGap(fill.stationId, fill.seq, fill.atMs);
      for (const [stationId, ackedSeq] of encoded.ackedSeqs) s.updateAcked.run(ackedSeq, stationId);
      for (const st of encoded.statuses) s.updateStatus.run(st);
    });
    try {
      run.immediate();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'an ingest batch could not be committed', {
        cause: error,
        details: { events: encoded.eventRows.length },
      });
    }
  }

  /** Narrow the open gap holding `seq`: split it around the seq, close it when empty. */
  #fillGap(stationId: string, seq: number, atMs: number): void {
    const gap = this.#s.gapHolding.get(stationId, seq, seq) as Row | undefined;
    if (gap === undefined) return;
    const id = Number(gap.id);
    const fromSeq = Number(gap.from_seq);
    const toSeq = Number(gap.to_seq);
    this.#s.closeGap.run(atMs, id);
    const foundAtMs = Number(gap.found_at_ms);
    if (fromSeq <= seq - 1) {
      this.#s.insertGap.run({
        station_id: stationId,
        from_seq: fromSeq,
        to_seq: seq - 1,
        found_at_ms: foundAtMs,
      });
    }
    if (seq + 1 <= toSeq) {
      this.#s.insertGap.run({
        station_id: stationId,
        from_seq: seq + 1,
        to_seq: toSeq,
        found_at_ms: foundAtMs,
      });
    }
  }
}
