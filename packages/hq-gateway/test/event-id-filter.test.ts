// The stored-event-id Bloom filter: never a false negative (a replay must always reach the store
// lookup), across layer growth; and few false positives (each one costs a store lookup only).
import { randomUUID } from 'node:crypto';
import { newEventId } from '@bianmin/wire';
import t from 'tap';
import { EventIdFilter } from '../src/domain/event-id-filter.js';

t.test('no false negatives across growth; false positives rare', async (t) => {
  const filter = new EventIdFilter(1_000);
  const added: string[] = [];
  for (let index = 0; index < 60_000; index += 1) {
    const id = index % 2 === 0 ? newEventId(1_764_000_000_000 + index) : randomUUID();
    filter.add(id);
    added.push(id);
  }
  t.equal(filter.size, 60_000);
  t.ok(filter.layerCount > 1, `grew to ${filter.layerCount} layers`);
  let missed = 0;
  for (const id of added) if (!filter.mightContain(id)) missed += 1;
  t.equal(missed, 0, 'every added id is reported as maybe present');
  let falsePositives = 0;
  const probes = 100_000;
  for (let index = 0; index < probes; index += 1) if (filter.mightContain(randomUUID())) falsePositives += 1;
  t.ok(falsePositives / probes < 0.005, `false-positive rate ${(falsePositives / probes).toFixed(5)} < 0.5%`);
});

t.test('an empty filter contains nothing; capacity must be positive', async (t) => {
  const filter = new EventIdFilter();
  t.notOk(filter.mightContain('anything'));
  t.throws(() => new EventIdFilter(0), RangeError);
});
