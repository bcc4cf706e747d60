// The idempotency index: client id → integer, an open-addressing hash table over typed arrays.
// Every command's id is looked up once and most are then inserted, so this table is the floor
// cost of the ledger; a JS Map<string, number> measured about half as fast for a million ids
// (its entries are heap objects the GC must trace, and it rehashes by reallocating). Here the
// slots are an Int32Array (linear probing, load factor at most 1/2), each entry keeps its key,
// its 32-bit FNV-1a hash (mixed) and its value; growth rehashes from the stored hashes.
// lookup() remembers where a missing key would go, so an insert right after it does not probe
// again.

import { assert } from './assert.js';
import { growInt32, nextCapacity, StringColumn } from './columns.js';

function hashId(key: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return hash;
}

export const ID_MISSING = -2_147_483_648;

export class IdIndex {
  private slots: Int32Array<ArrayBuffer>;
  private mask: number;
  private readonly keys = new StringColumn();
  private hashes = new Int32Array(0);
  private values = new Int32Array(0);
  private capacity = 0;
  count = 0;
  private missKey: string | undefined;
  private missHash = 0;
  private missSlot = -1;

  constructor(capacityInitial: number) {
    const capacity = nextCapacity(16, capacityInitial);
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
    this.growEntries(capacity);
  }

  /** The value stored for key, or ID_MISSING. */
  lookup(key: string): number {
    const hash = hashId(key);
    const mask = this.mask;
    let slot = hash & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        this.missKey = key;
        this.missHash = hash;
        this.missSlot = slot;
        return ID_MISSING;
      }
      if (this.hashes[entry - 1] === hash && this.keys.get(entry - 1) === key) return this.values[entry - 1]!;
      slot = (slot + 1) & mask;
    }
    assert(false, 'IdIndex is full');
  }

  /** Stores value for a key that is not present (asserted by the caller's lookup). */
  insert(key: string, value: number): void {
    assert(value !== ID_MISSING, 'IdIndex value out of range');
    if (this.count === this.capacity) this.growEntries(nextCapacity(this.capacity, this.count + 1));
    let hash: number;
    let slot: number;
    if (key === this.missKey) {
      hash = this.missHash;
      slot = this.missSlot;
    } else {
      assert(this.lookup(key) === ID_MISSING, 'IdIndex.insert of a present key');
      hash = this.missHash;
      slot = this.missSlot;
    }
    this.missKey = undefined;
    const entry = this.count++;
    this.keys.set(entry, key);
    this.hashes[entry] = hash;
    this.values[entry] = value;
    this.slots[slot] = entry + 1;
  }

  private growEntries(capacity: number): void {
    this.hashes = growInt32(this.hashes, capacity);
    this.values = growInt32(this.values, capacity);
    this.capacity = capacity;
    if (capacity * 2 > this.slots.length) {
      // Rehash into a table twice the entry capacity: load factor stays at most 1/2.
      this.slots = new Int32Array(capacity * 2);
      this.mask = capacity * 2 - 1;
      for (let entry = 0; entry < this.count; entry++) {
        let slot = this.hashes[entry]! & this.mask;
        while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
        this.slots[slot] = entry + 1;
      }
      this.missKey = undefined;
    }
  }
}
