// Which signatures to check: a station's journaled events carry the SHA-256 of the envelope before
// them inside their signed header (SignedHeader.prev_envelope_sha256), so a run of linked events
// is authenticated by the signature of its newest event: that signature proves the newest event's
// bytes, whose signed prev hash proves the bytes of the event before it, and so on down the run
// (SHA-256 collision resistance). One ECDSA check then covers the whole run instead of one per
// event. The links are read from headers decoded before any check; they only decide what to
// check, and a run whose newest signature fails is checked again one event at a time, so a
// forged or broken link can cost checks but never authenticate anything.
// Pure: the caller hashes the envelopes and decodes the headers (domain/codec/envelope.ts).

import { assert } from './assert.js';

export interface ChainCandidate {
  /** Only candidates of the same group (station) link; compared by identity. */
  readonly group: object | null;
  /** SHA-256 of this candidate's envelope bytes, or null when it cannot be linked (not an event). */
  readonly sha256: Uint8Array | null;
  /** The prev_envelope_sha256 its header names, or null/empty when none. */
  readonly prev: Uint8Array | null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * Splits candidates (in arrival order) into runs, each a list of indexes in arrival order where
 * every element's `prev` is the `sha256` of the element before it, within one group. Check each
 * run at its last element. Every candidate is in exactly one run; runs hold at most `runLengthMax`.
 */
export function planChains(candidates: readonly ChainCandidate[], runLengthMax: number): number[][] {
  if (!(Number.isSafeInteger(runLengthMax) && runLengthMax >= 1)) {
    throw new RangeError('runLengthMax must be a positive whole number');
  }
  const runs: number[][] = [];
  /** The open run of each group: the one its next linked candidate may extend. */
  const open = new Map<object, number[]>();
  for (let index = 0; index < candidates.length; index += 1) {
    const candidate = candidates[index]!;
    const group = candidate.group;
    if (group === null || candidate.sha256 === null) {
      runs.push([index]);
      continue;
    }
    const run = open.get(group);
    const tail = run === undefined ? undefined : candidates[run[run.length - 1]!]!;
    if (
      run !== undefined &&
      run.length < runLengthMax &&
      tail?.sha256 !== null &&
      tail?.sha256 !== undefined &&
      candidate.prev !== null &&
      candidate.prev.length > 0 &&
      sameBytes(candidate.prev, tail.sha256)
    ) {
      run.push(index);
      continue;
    }
    const fresh = [index];
    runs.push(fresh);
    open.set(group, fresh);
  }
  // Every candidate is in exactly one run, and no run is longer than runLengthMax.
  let placed = 0;
  for (const run of runs) {
    assert(run.length >= 1 && run.length <= runLengthMax, 'a run holds 1..runLengthMax candidates');
    placed += run.length;
  }
  assert(placed === candidates.length, 'every candidate is in exactly one run');
  return runs;
}
