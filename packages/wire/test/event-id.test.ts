// Event ids are UUIDv7: checked for the RFC 9562 layout, time order, the time they carry, and
// uniqueness over many ids made in the same millisecond.
import t from 'tap';
import { eventIdTimeMs, newEventId } from '../src/index.js';

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('layout: version 7, RFC variant, 36 lower-case characters', async (t) => {
  for (let index = 0; index < 1000; index += 1) {
    const id = newEventId(1_764_000_000_000 + index);
    t.equal(id.length, 36);
    if (!uuidV7.test(id)) t.fail(`not a UUIDv7: ${id}`);
  }
});

t.test('the time part round-trips and orders the ids', async (t) => {
  const times = [0, 1, 65_535, 65_536, 1_764_000_000_000, 2 ** 48 - 1];
  const ids = times.map((ms) => newEventId(ms));
  t.same(
    ids.map((id) => eventIdTimeMs(id)),
    times,
  );
  t.same([...ids].sort(), ids, 'string order is time order');
  t.equal(eventIdTimeMs('3b241101-e2bb-4255-8caf-4136c566a962'), undefined, 'a v4 id carries no time');
});

t.test('unique within one millisecond', async (t) => {
  const seen = new Set<string>();
  for (let index = 0; index < 20_000; index += 1) seen.add(newEventId(1_764_000_000_000));
  t.equal(seen.size, 20_000);
});

t.test('refuses a time outside 48 bits', async (t) => {
  t.throws(() => newEventId(-1), RangeError);
  t.throws(() => newEventId(2 ** 48), RangeError);
  t.throws(() => newEventId(1.5), RangeError);
});
