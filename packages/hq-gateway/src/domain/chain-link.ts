// Chain links, pure: every journaled event names the SHA-256 of the envelope before it in the
// kiosk's journal. When it names another envelope than the one HQ stored for seq - 1, the kiosk's
// journal forked or was rolled back (restored from a backup, a cloned station): the event is
// authentic and stored, and the break is a discrepancy (HQ_DISCREPANCY_CHAIN_BROKEN). Checked
// when the events arrive in order (the usual case); a link into a gap is not checked.

import { assert } from './assert.js';

/** The newest stored event of a station: its seq and envelope SHA-256 (hex). */
export interface ChainTip {
  readonly seq: number;
  readonly sha256Hex: string;
}

export interface ChainBreak {
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

export interface ChainLinkResult {
  /** The station's tip after this event. */
  readonly tip: ChainTip;
  readonly broken: ChainBreak | null;
}

/**
 * `event`'s link (`prevHex`, '' when the event carries none) against the stored `tip`.
 * The tip moves to the event when the event is newer.
 */
export function checkChainLink(
  tip: ChainTip | null,
  event: { readonly seq: number; readonly envelopeSha256: string },
  prevHex: string,
): ChainLinkResult {
  if (!(Number.isSafeInteger(event.seq) && event.seq >= 1)) throw new Error(`chain link seq ${event.seq}`);
  if (!/^[0-9a-f]*$/.test(prevHex)) throw new Error('chain link: prev is not hex');
  let broken: ChainBreak | null = null;
  if (prevHex.length > 0 && tip !== null && tip.seq === event.seq - 1 && prevHex !== tip.sha256Hex) {
    broken = {
      expected: tip.sha256Hex,
      actual: prevHex,
      detail: `seq ${event.seq} links to an envelope other than the stored seq ${tip.seq}`,
    };
  }
  const next =
    tip === null || event.seq > tip.seq ? { seq: event.seq, sha256Hex: event.envelopeSha256 } : tip;
  // The tip never moves back, and a break is only reported for the event right after the tip.
  assert(tip === null || next.seq >= tip.seq, 'the chain tip never moves back');
  assert(broken === null || tip?.seq === event.seq - 1, 'a break is reported only for the next seq');
  return { tip: next, broken };
}
