// Per-station sequence bookkeeping, pure: which journal sequence numbers are stored, the
// cumulative ack point (the highest seq such that every seq from 1 to it is stored), and gaps
// (sequence numbers skipped by a newer event: found, reported, kept open until filled — never
// silently skipped). A sequence number already stored is a replay (HQ_REPLAY_SEQ).
import { pendingSeqsPerStationMax } from '../limits.js';
import { assert } from './assert.js';

export interface SeqAcceptance {
  /** The contiguous ack point after recording this seq. */
  readonly ackedSeq: number;
  /** Whether the ack point moved. */
  readonly ackAdvanced: boolean;
  /** A gap newly found: seqs fromSeq..toSeq (inclusive) are missing below this event. */
  readonly gapOpened: { readonly fromSeq: number; readonly toSeq: number } | null;
  /** Whether this seq filled (part of) an earlier gap. */
  readonly fillsGap: boolean;
}

export class SeqTracker {
  #ackedSeq: number;
  #highWaterSeq: number;
  /** Stored seqs above the ack point (out of order arrivals). */
  readonly #storedAbove = new Set<number>();

  constructor(ackedSeq: number, storedAbove: Iterable<number> = []) {
    if (!(Number.isSafeInteger(ackedSeq) && ackedSeq >= 0))
      throw new Error('ackedSeq must be a whole number');
    this.#ackedSeq = ackedSeq;
    this.#highWaterSeq = ackedSeq;
    for (const seq of storedAbove) {
      if (!(Number.isSafeInteger(seq) && seq > ackedSeq)) throw new Error('a stored seq above the ack point');
      this.#storedAbove.add(seq);
      if (seq > this.#highWaterSeq) this.#highWaterSeq = seq;
    }
    this.#advance();
    assert(this.#ackedSeq <= this.#highWaterSeq, 'the ack point is at or below the high-water mark');
  }

  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  get highWaterSeq(): number {
    return this.#highWaterSeq;
  }

  /** Count of out-of-order seqs held above the ack point. */
  get pendingCount(): number {
    return this.#storedAbove.size;
  }

  has(seq: number): boolean {
    return seq <= this.#ackedSeq || this.#storedAbove.has(seq);
  }

  /** Record a newly stored seq. The caller has checked `has(seq)` is false. */
  accept(seq: number): SeqAcceptance {
    if (!(Number.isSafeInteger(seq) && seq > 0)) throw new Error('seq must be a positive integer');
    if (this.has(seq)) throw new Error(`seq ${seq} is already stored`);
    if (this.#storedAbove.size >= pendingSeqsPerStationMax) throw new Error('too many out-of-order seqs');
    const previousAcked = this.#ackedSeq;
    const previousHighWater = this.#highWaterSeq;
    const fillsGap = seq < previousHighWater;
    const gapOpened = seq > previousHighWater + 1 ? { fromSeq: previousHighWater + 1, toSeq: seq - 1 } : null;
    this.#storedAbove.add(seq);
    if (seq > this.#highWaterSeq) this.#highWaterSeq = seq;
    this.#advance();
    // The seq is now recorded; the ack point never moves back on an accept.
    assert(this.has(seq), 'an accepted seq is recorded');
    assert(this.#ackedSeq >= previousAcked, 'the ack point never falls on accept');
    assert(this.#storedAbove.size <= pendingSeqsPerStationMax, 'out-of-order seqs within their bound');
    return { ackedSeq: this.#ackedSeq, ackAdvanced: this.#ackedSeq > previousAcked, gapOpened, fillsGap };
  }

  /**
   * Un-record seqs that were accepted but never committed (their batch failed): the ack point
   * falls back below the lowest of them, so no ack covers them until they arrive again. Seqs
   * between it and the old ack point stay recorded, as out-of-order arrivals.
   */
  forget(seqs: Iterable<number>): void {
    for (const seq of seqs) {
      if (!(Number.isSafeInteger(seq) && seq > 0)) throw new Error('seq must be a positive integer');
      if (seq <= this.#ackedSeq) {
        for (let above = seq + 1; above <= this.#ackedSeq; above += 1) this.#storedAbove.add(above);
        this.#ackedSeq = seq - 1;
      } else {
        this.#storedAbove.delete(seq);
      }
    }
    this.#highWaterSeq = this.#ackedSeq;
    for (const seq of this.#storedAbove) if (seq > this.#highWaterSeq) this.#highWaterSeq = seq;
    // Every seq kept above the ack point is above it (forget re-adds only seqs below the old one).
    for (const seq of this.#storedAbove)
      assert(seq > this.#ackedSeq, 'stored-above seqs lie above the ack point');
  }

  /** The missing ranges between the ack point and the high-water mark (inclusive bounds). */
  missingRanges(rangesMax = 100): Array<{ fromSeq: number; toSeq: number }> {
    assert(Number.isSafeInteger(rangesMax) && rangesMax >= 1, 'rangesMax must be a positive whole number');
    const ranges: Array<{ fromSeq: number; toSeq: number }> = [];
    const stored = [...this.#storedAbove].sort((a, b) => a - b);
    let expected = this.#ackedSeq + 1;
    for (const seq of stored) {
      if (seq > expected) ranges.push({ fromSeq: expected, toSeq: seq - 1 });
      if (ranges.length >= rangesMax) break;
      expected = seq + 1;
    }
    assert(ranges.length <= rangesMax, 'at most rangesMax ranges');
    return ranges;
  }

  #advance(): void {
    while (this.#storedAbove.has(this.#ackedSeq + 1)) {
      this.#ackedSeq += 1;
      this.#storedAbove.delete(this.#ackedSeq);
    }
    assert(!this.#storedAbove.has(this.#ackedSeq), 'the ack point is not also held above itself');
  }
}
