// A Bloom filter over the event ids HQ has stored, so the replay check asks the store only about
// ids it may already hold. A new event (nearly every event) is answered "never seen" from memory;
// only a filter hit (a resend, or a false positive: about 1 in 2,000 per layer) costs a store
// lookup. No false negatives: every stored id is added (at start-up from the store, then after
// each commit), so the store's answer stays the authority.
// Scalable (Almeida et al.): when a layer holds its capacity, a new layer twice as large is added;
// a lookup asks every layer. Memory: 14 bits per id (10M stored events: ~17.5 MB).
import { eventIdFilterCapacityInitial } from '../limits.js';
import { assert } from './assert.js';

/** Bits per id and probes per lookup: a false-positive rate of about 0.05% per full layer. */
const bitsPerId = 14;
const probes = 10;

interface Layer {
  readonly words: Uint32Array;
  /** Number of bits, a power of two (the probe index is masked, not divided). */
  readonly bitMask: number;
  readonly capacity: number;
  count: number;
}

function newLayer(capacity: number): Layer {
  assert(Number.isSafeInteger(capacity) && capacity >= 1, 'a layer holds at least one id');
  let bits = 1024;
  while (bits < capacity * bitsPerId) bits *= 2;
  // A power of two (the probe index is masked) and at least bitsPerId bits per id.
  assert(
    (bits & (bits - 1)) === 0 && bits >= capacity * bitsPerId,
    'layer bits: a power of two, enough per id',
  );
  return { words: new Uint32Array(bits / 32), bitMask: bits - 1, capacity, count: 0 };
}

/** Two independent 32-bit hashes of a string (FNV-1a and a multiply-xorshift variant). */
function hashPair(id: string, out: Uint32Array): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let index = 0; index < id.length; index += 1) {
    const code = id.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 0x01000193);
    h2 = Math.imul(h2 ^ code, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  out[0] = h1 ^ (h1 >>> 16);
  // Odd, so the probes h1 + i*h2 walk distinct bits.
  out[1] = (h2 ^ (h2 >>> 13)) | 1;
  assert((out[1]! & 1) === 1, 'the probe step is odd');
}

export class EventIdFilter {
  readonly #layers: Layer[];
  readonly #hashes = new Uint32Array(2);
  #size = 0;

  constructor(capacityInitial: number = eventIdFilterCapacityInitial) {
    if (!(Number.isSafeInteger(capacityInitial) && capacityInitial >= 1)) {
      throw new RangeError('capacityInitial must be a positive whole number');
    }
    this.#layers = [newLayer(capacityInitial)];
    assert(this.#layers.length === 1, 'a filter starts with one layer');
  }

  /** Ids added so far. */
  get size(): number {
    return this.#size;
  }

  get layerCount(): number {
    return this.#layers.length;
  }

  add(id: string): void {
    let layer = this.#layers[this.#layers.length - 1]!;
    if (layer.count >= layer.capacity) {
      layer = newLayer(layer.capacity * 2);
      this.#layers.push(layer);
    }
    hashPair(id, this.#hashes);
    const h1 = this.#hashes[0]!;
    const h2 = this.#hashes[1]!;
    for (let probe = 0; probe < probes; probe += 1) {
      const bit = (h1 + Math.imul(probe, h2)) & layer.bitMask;
      layer.words[bit >>> 5]! |= 1 << (bit & 31);
    }
    layer.count += 1;
    this.#size += 1;
    assert(layer.count <= layer.capacity, 'a layer never holds more than its capacity');
  }

  /** False: the id was never added. True: it may have been (ask the store). */
  mightContain(id: string): boolean {
    assert(this.#layers.length >= 1, 'a filter has a layer');
    hashPair(id, this.#hashes);
    const h1 = this.#hashes[0]!;
    const h2 = this.#hashes[1]!;
    for (const layer of this.#layers) {
      let all = true;
      for (let probe = 0; probe < probes; probe += 1) {
        const bit = (h1 + Math.imul(probe, h2)) & layer.bitMask;
        if ((layer.words[bit >>> 5]! & (1 << (bit & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}
