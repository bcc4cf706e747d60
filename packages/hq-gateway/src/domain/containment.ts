// One station cannot hurt the others (issue 8), pure: the per-station bounds HQ enforces before
// it lets a station's message take memory, store rows or time, and what it does when one is
// broken: the station is suspended (persisted; its messages are then quarantined under
// HQ_STATION_SUSPENDED without a signature check, bounded by the quarantine's own bounds) and an
// alert is logged, while every other station is served as before. Each bound is in limits.ts,
// documented in docs/hq.md and tested (test/containment.test.ts).
import type { HqCode } from '../errors.js';
import { outOfOrderSeqsPerStationMax, refusalsPerStationMax, seqAheadMax } from '../limits.js';
import { assert } from './assert.js';

export interface BoundBreach {
  /** Quarantine code of the message that broke the bound. */
  readonly code: Extract<HqCode, 'HQ_SEQ_TOO_FAR_AHEAD' | 'HQ_STATION_SUSPENDED'>;
  readonly detail: string;
}

/** The bounds (limits.ts defaults; tests may pass smaller ones). */
export interface StationBounds {
  readonly seqAheadMax: number;
  readonly outOfOrderSeqsMax: number;
  readonly refusalsMax: number;
}

export const stationBoundsDefault: StationBounds = {
  seqAheadMax,
  outOfOrderSeqsMax: outOfOrderSeqsPerStationMax,
  refusalsMax: refusalsPerStationMax,
};

/**
 * A journaled seq about to be accepted: refused (and the station suspended) when it lies more
 * than seqAheadMax above the ack point, or would be one more out-of-order seq than the station may
 * hold above its ack point. Null when it may be accepted.
 */
export function checkSeq(
  bounds: StationBounds,
  seq: number,
  ackedSeq: number,
  outOfOrderCount: number,
): BoundBreach | null {
  if (!(Number.isSafeInteger(seq) && seq > 0)) throw new Error('seq must be a positive integer');
  // ackedSeq and outOfOrderCount are HQ's own bookkeeping (the station's SeqTracker).
  assert(Number.isSafeInteger(ackedSeq) && ackedSeq >= 0, 'ackedSeq must be a whole number');
  assert(Number.isSafeInteger(outOfOrderCount) && outOfOrderCount >= 0, 'outOfOrderCount must be a count');
  if (seq - ackedSeq > bounds.seqAheadMax) {
    return {
      code: 'HQ_SEQ_TOO_FAR_AHEAD',
      detail: `seq ${seq} is ${seq - ackedSeq} above the ack point ${ackedSeq} (max ${bounds.seqAheadMax})`,
    };
  }
  if (seq > ackedSeq + 1 && outOfOrderCount >= bounds.outOfOrderSeqsMax) {
    return {
      code: 'HQ_STATION_SUSPENDED',
      detail: `${outOfOrderCount} out-of-order seqs above the ack point ${ackedSeq} (max ${bounds.outOfOrderSeqsMax})`,
    };
  }
  return null;
}

/** Refused messages since the station's last resume: suspended past refusalsMax. */
export function checkRefusals(bounds: StationBounds, refusalCount: number): BoundBreach | null {
  assert(Number.isSafeInteger(refusalCount) && refusalCount >= 0, 'refusalCount must be a count');
  if (refusalCount <= bounds.refusalsMax) return null;
  return {
    code: 'HQ_STATION_SUSPENDED',
    detail: `${refusalCount} refused messages since the last resume (max ${bounds.refusalsMax})`,
  };
}
