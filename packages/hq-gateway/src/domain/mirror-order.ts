// Mirror ordering, pure: HQ's ledger mirror re-checks a station's events in seq order, because the
// kiosk computed each `quota_fen_after` in that order. Events arrive out of order (a resend after
// an HQ restart can deliver seqs 48.. before 35..47): an event beyond a gap waits here until the
// gap is filled. A refused seq (quarantined, but handled) is a placeholder that is skipped. Past
// `pendingMax` waiting seqs an event is taken at once, out of order (it may then show a
// discrepancy that is only an ordering artefact): memory stays bounded.

import { assert } from './assert.js';
import type { StationEvent } from './types.js';

/** What one offered seq releases to the ledger mirror, in the order to apply it. */
export interface MirrorRelease {
  readonly apply: readonly StationEvent[];
  /** True when the event was taken out of order because too many seqs were waiting. */
  readonly overflowed: boolean;
}

const nothing: MirrorRelease = { apply: [], overflowed: false };

export class MirrorOrder {
  /** The next seq the mirror takes. */
  #nextSeq: number;
  /** Handled seqs beyond a gap: the event (without its envelope bytes), or null for a refused seq. */
  readonly #pending = new Map<number, StationEvent | null>();
  readonly #pendingMax: number;

  /** `nextSeq`: one above the station's contiguous ack point. */
  constructor(nextSeq: number, pendingMax: number) {
    // HQ's own state (one above the stored ack point) and a limit: programmer errors if wrong.
    assert(Number.isSafeInteger(nextSeq) && nextSeq >= 1, `mirror next seq ${nextSeq}`);
    assert(Number.isSafeInteger(pendingMax) && pendingMax >= 1, `mirror pendingMax ${pendingMax}`);
    this.#nextSeq = nextSeq;
    this.#pendingMax = pendingMax;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** At start-up: a stored seq at or above nextSeq waits (event), or is a refused seq (null). */
  restorePending(seq: number, event: StationEvent | null): void {
    assert(seq >= this.#nextSeq, `seq ${seq} is below the mirror's next seq ${this.#nextSeq}`);
    this.#pending.set(seq, event === null ? null : mirrorCopy(event));
  }

  /**
   * A handled seq: `event`, or null for a refused one. Returns the events the mirror applies now,
   * in order. A seq already taken or already waiting (a resend after a dropped batch) releases
   * nothing: it is never applied twice.
   */
  offer(seq: number, event: StationEvent | null): MirrorRelease {
    if (!(Number.isSafeInteger(seq) && seq >= 1)) throw new Error(`mirror seq ${seq}`);
    if (seq < this.#nextSeq || this.#pending.has(seq)) return nothing;
    if (seq === this.#nextSeq && this.#pending.size === 0) {
      // In order, nothing waiting: the usual case, no copy.
      this.#nextSeq += 1;
      return event === null ? nothing : { apply: [event], overflowed: false };
    }
    const apply: StationEvent[] = [];
    let overflowed = false;
    if (event !== null && this.#pending.size >= this.#pendingMax) {
      // Too much waiting: take this one now, out of order, and leave a placeholder for its seq.
      overflowed = true;
      apply.push(event);
      this.#pending.set(seq, null);
    } else {
      this.#pending.set(seq, event === null ? null : mirrorCopy(event));
    }
    for (;;) {
      const next = this.#pending.get(this.#nextSeq);
      if (next === undefined) break;
      this.#pending.delete(this.#nextSeq);
      this.#nextSeq += 1;
      if (next !== null) apply.push(next);
    }
    // The offered seq is now taken or waiting, and the next seq never waits (it would be taken).
    assert(seq < this.#nextSeq || this.#pending.has(seq), 'an offered seq is taken or waiting');
    assert(!this.#pending.has(this.#nextSeq), 'the next seq is never left waiting');
    return { apply, overflowed };
  }
}

/** An event as the mirror keeps it while it waits: without its envelope (a view into a 64 KiB read buffer). */
export function mirrorCopy(event: StationEvent): StationEvent {
  const copy = event.envelope.byteLength === 0 ? event : { ...event, envelope: noBytes };
  assert(copy.envelope.byteLength === 0, 'a waiting event keeps no envelope bytes');
  return copy;
}

const noBytes = new Uint8Array(0);
