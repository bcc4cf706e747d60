// Growable typed-array columns for the ledger's append-only history. Events, entries and
// accounts are stored column by column (a struct of arrays) so applying a transfer allocates
// no per-transfer objects: it writes a few numbers into preallocated arrays, doubling them
// when full. Money columns are Float64Array holding integer fen, exact up to 2^53 (R1).
// Measured trade-off: flat arrays sized up front (LedgerConfig.eventCapacityInitial) are the
// fastest; chunked typed arrays (no copy on growth) cost ~35% more per command on the hot path,
// while doubling a large column triggers full GCs — so a service that knows its volume (HQ
// replaying its store at start-up) passes the capacity, and a kiosk's small days never notice.

import { assert } from './assert.js';

export function growFloat64(array: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  assert(Number.isSafeInteger(capacity) && capacity >= array.length, 'a column only grows');
  const next = new Float64Array(capacity);
  next.set(array);
  return next;
}

export function growInt32(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  assert(Number.isSafeInteger(capacity) && capacity >= array.length, 'a column only grows');
  const next = new Int32Array(capacity);
  next.set(array);
  return next;
}

export function growUint8(array: Uint8Array, capacity: number): Uint8Array<ArrayBuffer> {
  assert(Number.isSafeInteger(capacity) && capacity >= array.length, 'a column only grows');
  const next = new Uint8Array(capacity);
  next.set(array);
  return next;
}

/** Next capacity when `needed` slots do not fit in `capacity`: doubling (a power of two). */
export function nextCapacity(capacity: number, needed: number): number {
  assert(Number.isSafeInteger(needed) && needed >= 0, 'nextCapacity needs a slot count');
  let next = Math.max(capacity, 16);
  while (next < needed) next *= 2;
  assert(next >= needed && Number.isSafeInteger(next), 'the next capacity holds what is needed');
  return next;
}

const STRING_CHUNK_BITS = 12;
const STRING_CHUNK_SIZE = 1 << STRING_CHUNK_BITS;
const STRING_CHUNK_MASK = STRING_CHUNK_SIZE - 1;

/**
 * An append-friendly column of strings in fixed chunks of 4096: growing adds one small chunk and
 * never copies or refills a large array (measured: a 2-million-slot JS array costs ~65 ms to
 * allocate and fill, and doubling one copies everything each time).
 */
export class StringColumn {
  private readonly chunks: string[][] = [];

  get(index: number): string {
    assert(index >= 0 && index >>> STRING_CHUNK_BITS < this.chunks.length, 'StringColumn index out of range');
    return this.chunks[index >>> STRING_CHUNK_BITS]![index & STRING_CHUNK_MASK]!;
  }

  set(index: number, value: string): void {
    assert(Number.isInteger(index) && index >= 0, 'StringColumn index must be a non-negative integer');
    const chunkIndex = index >>> STRING_CHUNK_BITS;
    while (chunkIndex >= this.chunks.length) this.chunks.push(new Array<string>(STRING_CHUNK_SIZE).fill(''));
    this.chunks[chunkIndex]![index & STRING_CHUNK_MASK] = value;
  }
}
