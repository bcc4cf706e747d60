// Goal: R12 distances are right and the 2 km rule refuses with every site within 2 km, nearest
// first, and allows exactly 2 km. Method: known great-circle distances, points placed at set
// metres north of a base point, and a random-point property (symmetry, zero to itself).
import fc from 'fast-check';
import t from 'tap';
import { distanceM, STATION_SPACING_M_MIN, spacingReasons } from '../src/domain/network/geo.js';
import { BASE, northOf } from './helpers/network.js';

t.test('known distances', async (t) => {
  // Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km great-circle.
  const beijing = { latitudeDeg: 39.9042, longitudeDeg: 116.4074 };
  const shanghai = { latitudeDeg: 31.2304, longitudeDeg: 121.4737 };
  t.ok(Math.abs(distanceM(beijing, shanghai) - 1_067_000) < 3_000, 'Beijing–Shanghai ≈ 1,067 km');
  // One degree of latitude on the mean sphere: 111,195 m.
  t.ok(
    Math.abs(distanceM({ latitudeDeg: 0, longitudeDeg: 0 }, { latitudeDeg: 1, longitudeDeg: 0 }) - 111_195) <
      1,
  );
  // One degree of longitude at 60° N is half of one at the equator.
  const atEquator = distanceM({ latitudeDeg: 0, longitudeDeg: 0 }, { latitudeDeg: 0, longitudeDeg: 1 });
  const at60 = distanceM({ latitudeDeg: 60, longitudeDeg: 0 }, { latitudeDeg: 60, longitudeDeg: 1 });
  t.ok(Math.abs(at60 - atEquator / 2) < 30);
  t.ok(Math.abs(distanceM(BASE, northOf(BASE, 1_500)) - 1_500) < 0.01);
});

t.test('R12: the 2 km boundary', async (t) => {
  const site = (id: string, metres: number) => ({
    kind: 'station' as const,
    id,
    location: northOf(BASE, metres),
  });
  t.same(
    spacingReasons(BASE, [site('S-2000', 2_000.001)]),
    [],
    'exactly 2 km (and a hair beyond) is allowed',
  );
  const near = spacingReasons(BASE, [site('S-1999', 1_999)]);
  t.equal(near.length, 1);
  t.equal(near[0]!.code, 'HQ_NET_TOO_CLOSE');
  t.same(near[0]!.details, { kind: 'station', id: 'S-1999', distanceM: 1_999 });
  t.equal(STATION_SPACING_M_MIN, 2_000);
});

t.test('R12: every site within 2 km is listed, nearest first, the station itself ignored', async (t) => {
  const sites = [
    { kind: 'station' as const, id: 'far', location: northOf(BASE, 5_000) },
    { kind: 'branch' as const, id: 'B1', location: northOf(BASE, 1_200) },
    { kind: 'station' as const, id: 'S9', location: northOf(BASE, 300) },
    { kind: 'station' as const, id: 'SELF', location: BASE },
  ];
  const reasons = spacingReasons(BASE, sites, 'SELF');
  t.same(
    reasons.map((r) => r.details),
    [
      { kind: 'station', id: 'S9', distanceM: 300 },
      { kind: 'branch', id: 'B1', distanceM: 1_200 },
    ],
  );
  t.match(reasons[1]!.message, /branch B1 is 1200 m away/);
});

t.test('property: symmetric, zero to itself, never negative', async (t) => {
  const point = fc.record({
    latitudeDeg: fc.double({ min: -89, max: 89, noNaN: true }),
    longitudeDeg: fc.double({ min: -179, max: 179, noNaN: true }),
  });
  fc.assert(
    fc.property(point, point, (a, b) => {
      const ab = distanceM(a, b);
      return ab >= 0 && Math.abs(ab - distanceM(b, a)) < 1e-6 && distanceM(a, a) === 0;
    }),
    { numRuns: 500 },
  );
  t.pass('held for 500 random pairs');
});
