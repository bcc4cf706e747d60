// Goal: the idempotency index (src/id-index.ts) answers exactly like a Map, through growth and
// hash collisions. Method: fast-check sequences of lookups and inserts compared with a Map,
// starting from a tiny capacity so every run rehashes; the seed is printed.

import fc from 'fast-check';
import t from 'tap';
import { ID_MISSING, IdIndex } from '../src/id-index.js';
import { LedgerAssertionError } from '../src/index.js';

const seed = Number(process.env.LEDGER_PROPERTY_SEED ?? Date.now() % 2 ** 31);
t.comment(`fast-check seed ${seed}`);

t.test('IdIndex behaves like Map<string, number>', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer({ min: -1000, max: 1000 })), {
        maxLength: 400,
      }),
      (operations) => {
        const index = new IdIndex(1);
        const reference = new Map<string, number>();
        for (const [key, value] of operations) {
          const found = index.lookup(key);
          const expected = reference.get(key);
          if ((expected === undefined ? ID_MISSING : expected) !== found) return false;
          if (expected === undefined) {
            index.insert(key, value);
            reference.set(key, value);
          }
        }
        for (const [key, value] of reference) if (index.lookup(key) !== value) return false;
        return index.count === reference.size;
      },
    ),
    { seed, numRuns: 300 },
  );
  t.pass('agrees with Map');
});

t.test('IdIndex holds many ids and refuses misuse', async (t) => {
  const index = new IdIndex(16);
  for (let value = 0; value < 100_000; value++) {
    index.lookup(`id-${value}`);
    index.insert(`id-${value}`, value);
  }
  let wrong = 0;
  for (let value = 0; value < 100_000; value++) if (index.lookup(`id-${value}`) !== value) wrong++;
  t.equal(wrong, 0);
  t.equal(index.lookup('id-x'), ID_MISSING);
  t.throws(() => index.insert('id-5', 1), LedgerAssertionError, 'insert of a present key');
  t.throws(() => index.insert('new', ID_MISSING), LedgerAssertionError, 'reserved value');
});
