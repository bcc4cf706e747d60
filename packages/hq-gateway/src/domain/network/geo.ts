// R12: a new or moved station stands at least 2 km from every postal branch and every other
// station. Distance is the great-circle distance (haversine) on a sphere of the mean Earth radius
// (IUGG, 6,371,008.8 m): at 2 km the sphere differs from the WGS-84 ellipsoid by well under 0.5%,
// about 10 m, less than the error of a site's coordinates taken by phone. The refusal lists every
// site within the minimum with its distance, nearest first (R21).
import { assert } from '../assert.js';
import type { NetReason } from './refusal.js';

/** Mean Earth radius, metres (IUGG). */
export const EARTH_RADIUS_M = 6_371_008.8;
/** R12: the least distance from a branch or another station, metres. */
export const STATION_SPACING_M_MIN = 2_000;

export interface GeoPoint {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
}

export interface Site {
  readonly kind: 'branch' | 'station';
  readonly id: string;
  readonly location: GeoPoint;
}

export function isGeoPoint(value: unknown): value is GeoPoint {
  if (typeof value !== 'object' || value === null) return false;
  const { latitudeDeg, longitudeDeg } = value as Record<string, unknown>;
  return (
    typeof latitudeDeg === 'number' &&
    typeof longitudeDeg === 'number' &&
    Number.isFinite(latitudeDeg) &&
    Number.isFinite(longitudeDeg) &&
    Math.abs(latitudeDeg) <= 90 &&
    Math.abs(longitudeDeg) <= 180
  );
}

/** Great-circle distance in metres (haversine; stable for short distances). */
export function distanceM(a: GeoPoint, b: GeoPoint): number {
  assert(isGeoPoint(a) && isGeoPoint(b), 'distanceM takes valid coordinates');
  const rad = Math.PI / 180;
  const dLat = (b.latitudeDeg - a.latitudeDeg) * rad;
  const dLon = (b.longitudeDeg - a.longitudeDeg) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitudeDeg * rad) * Math.cos(b.latitudeDeg * rad) * Math.sin(dLon / 2) ** 2;
  const result = 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  assert(result >= 0 && result <= Math.PI * EARTH_RADIUS_M + 1, 'distance within half the circumference');
  return result;
}

/**
 * R12: every site (other than `selfId`) closer than STATION_SPACING_M_MIN, as one reason each,
 * nearest first. Exactly 2,000 m is allowed ("at least 2 km"). Distances are reported rounded to
 * the metre.
 */
export function spacingReasons(location: GeoPoint, sites: readonly Site[], selfId?: string): NetReason[] {
  assert(isGeoPoint(location), 'a valid site');
  const near = sites
    .filter((site) => !(site.kind === 'station' && site.id === selfId))
    .map((site) => ({ site, metres: distanceM(location, site.location) }))
    .filter((entry) => entry.metres < STATION_SPACING_M_MIN)
    .sort((a, b) => a.metres - b.metres);
  return near.map(({ site, metres }) => ({
    code: 'HQ_NET_TOO_CLOSE',
    field: 'location',
    message: `R12: ${site.kind} ${site.id} is ${Math.round(metres)} m away (at least ${STATION_SPACING_M_MIN} m)`,
    details: { kind: site.kind, id: site.id, distanceM: Math.round(metres) },
  }));
}
