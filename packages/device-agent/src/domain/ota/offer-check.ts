// Whether the kiosk takes an update offer from HQ (issue 13). The offer arrived in an HQ-signed
// Command that hq-inbox verified under the pinned HQ key and hq-commands runs at most once per
// command id; this is what a valid signature does not settle:
//   - a downgrade: the offered release is not newer than the one the kiosk runs (a replayed or
//     mistaken offer must never take a kiosk back to an older, perhaps vulnerable, release);
//   - a replay: offer_seq is not above the last offer the kiosk accepted (an old offer re-sent under
//     a new command id, or re-ordered by the link);
//   - busy: another update is between download and its verdict (one offer at a time).
// Pure; every reason at once (R21), in this fixed order.
import { assert } from '../assert.js';

export type OfferRefusalCode =
  | 'AGENT_OTA_OFFER_DOWNGRADE'
  | 'AGENT_OTA_OFFER_REPLAYED'
  | 'AGENT_OTA_OFFER_BUSY';

export interface OfferRefusal {
  readonly code: OfferRefusalCode;
  readonly message: string;
}

export interface OfferFacts {
  /** The slot name offered, e.g. '1.4.0-linux-arm64'. */
  readonly releaseVersion: string;
  readonly offerSeq: number;
}

export interface KioskOtaFacts {
  /** The release known good (what `current` names when idle). */
  readonly goodVersion: string;
  /** The highest offer_seq accepted so far; 0 before the first. */
  readonly lastOfferSeq: number;
  /** The OTA machine's phase is not idle. */
  readonly busy: boolean;
}

/** [major, minor, patch] of a slot name or version ('1.4.0-linux-arm64' → [1, 4, 0]); null if none. */
export function releaseNumbers(version: string): readonly [number, number, number] | null {
  const match = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:$|-)/.exec(version);
  if (match === null) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative, zero or positive as `a` is older than, the same release as, or newer than `b`. */
export function compareReleases(a: string, b: string): number {
  const left = releaseNumbers(a);
  const right = releaseNumbers(b);
  assert(left !== null && right !== null, `release versions: ${a}, ${b}`);
  for (let index = 0; index < 3; index += 1) {
    const delta = (left[index] ?? 0) - (right[index] ?? 0);
    if (delta !== 0) return delta;
  }
  return 0;
}

export function offerRefusals(offer: OfferFacts, kiosk: KioskOtaFacts): OfferRefusal[] {
  assert(Number.isSafeInteger(offer.offerSeq) && offer.offerSeq > 0, 'offer_seq was checked by wire');
  assert(Number.isSafeInteger(kiosk.lastOfferSeq) && kiosk.lastOfferSeq >= 0, 'lastOfferSeq');
  const reasons: OfferRefusal[] = [];
  if (compareReleases(offer.releaseVersion, kiosk.goodVersion) <= 0)
    reasons.push({
      code: 'AGENT_OTA_OFFER_DOWNGRADE',
      message: `offered ${offer.releaseVersion}, running ${kiosk.goodVersion}: only a newer release is installed`,
    });
  if (offer.offerSeq <= kiosk.lastOfferSeq)
    reasons.push({
      code: 'AGENT_OTA_OFFER_REPLAYED',
      message: `offer_seq ${offer.offerSeq} is not above the last accepted ${kiosk.lastOfferSeq}`,
    });
  if (kiosk.busy) reasons.push({ code: 'AGENT_OTA_OFFER_BUSY', message: 'another update is in progress' });
  return reasons;
}
