// Goal: the check planner never lets a link authenticate what it should not. Method: table cases
// (linked runs, a broken link, another station, a duplicate, the run cap) and fast-check
// properties over random arrival orders of several stations' chained, duplicated and forged
// events: every candidate is in exactly one run, runs keep arrival order, one station each, and
// every element of a run is linked to the one before it by hash.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { type ChainCandidate, planChains } from '../src/domain/verify-plan.js';

const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());
const stationA = { id: 'A' };
const stationB = { id: 'B' };

/** Event `n` of a station: its hash names it, its prev names n - 1 (none for 1). */
function event(station: { id: string }, n: number, prevOf = n - 1): ChainCandidate {
  return {
    group: station,
    sha256: sha(`${station.id}-${n}`),
    prev: prevOf >= 1 ? sha(`${station.id}-${prevOf}`) : null,
  };
}

t.test('table cases', async (t) => {
  t.same(
    planChains([event(stationA, 1), event(stationA, 2), event(stationA, 3)], 256),
    [[0, 1, 2]],
    'one run',
  );
  t.same(
    planChains([event(stationA, 1), event(stationB, 1), event(stationA, 2), event(stationB, 2)], 256),
    [
      [0, 2],
      [1, 3],
    ],
    'stations interleaved: a run each',
  );
  t.same(
    planChains([event(stationA, 1), event(stationA, 3, 2), event(stationA, 4)], 256),
    [[0], [1, 2]],
    'a gap breaks the run',
  );
  t.same(
    planChains([event(stationA, 5), { group: stationB, sha256: sha('B-9'), prev: sha('A-5') }], 256),
    [[0], [1]],
    "another station's event never extends a run",
  );
  t.same(
    planChains([event(stationA, 1), event(stationA, 2), event(stationA, 2), event(stationA, 3)], 256),
    [
      [0, 1],
      [2, 3],
    ],
    'a duplicate starts a new run',
  );
  t.same(
    planChains([event(stationA, 1), event(stationA, 2), event(stationA, 3)], 2),
    [[0, 1], [2]],
    'the run cap',
  );
  t.same(
    planChains(
      [
        { group: null, sha256: null, prev: null },
        { group: stationA, sha256: null, prev: null },
      ],
      4,
    ),
    [[0], [1]],
    'unlinkable candidates stand alone',
  );
  t.throws(() => planChains([], 0), RangeError);
});

t.test('properties over random arrivals', async (t) => {
  const stations = [stationA, stationB, { id: 'C' }];
  const arrival = fc.array(
    fc.record({
      station: fc.integer({ min: 0, max: 2 }),
      n: fc.integer({ min: 1, max: 12 }),
      forgedPrev: fc.boolean(),
    }),
    { maxLength: 80 },
  );
  fc.assert(
    fc.property(arrival, fc.integer({ min: 1, max: 8 }), (draws, cap) => {
      const candidates = draws.map(({ station, n, forgedPrev }) =>
        forgedPrev
          ? { group: stations[station]!, sha256: sha(`forged-${station}-${n}`), prev: sha(`x-${n}`) }
          : event(stations[station]!, n),
      );
      const runs = planChains(candidates, cap);
      const seen = runs.flat().sort((a, b) => a - b);
      if (seen.length !== candidates.length || seen.some((index, at) => index !== at)) return false;
      for (const run of runs) {
        if (run.length > cap) return false;
        for (let k = 1; k < run.length; k += 1) {
          const before = candidates[run[k - 1]!]!;
          const here = candidates[run[k]!]!;
          if (run[k]! <= run[k - 1]!) return false;
          if (here.group !== before.group) return false;
          if (here.prev === null || Buffer.compare(Buffer.from(here.prev), Buffer.from(before.sha256!)) !== 0)
            return false;
        }
      }
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass('500 random arrivals planned soundly');
});
