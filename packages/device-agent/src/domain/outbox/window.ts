// The outbox's send window, as a pure value. The SQLite outbox holds signed events with
// contiguous seq numbers; the link publishes them in seq order with at most `windowMax` in
// flight (published, not yet acknowledged by HQ). HQ acknowledges cumulatively ("stored
// everything up to seq N"), and only then may rows be deleted. A lost link or an ack that does
// not come in time rewinds the window: everything unacknowledged is sent again (HQ dedupes by
// event id), so nothing is lost and order is kept. The window and the head seq are the link's
// own state (its outbox); HQ's ack is input from outside and is refused as a value, never asserted.

import { assert, assertIntegerInRange } from '../assert.js';

const seqMax = Number.MAX_SAFE_INTEGER;

export interface OutboxWindow {
  /** Highest seq HQ has acknowledged as stored (0 = none). */
  readonly ackedThroughSeq: number;
  /** Highest seq published on the current link (>= ackedThroughSeq). */
  readonly sentThroughSeq: number;
}

export const EMPTY_WINDOW: OutboxWindow = { ackedThroughSeq: 0, sentThroughSeq: 0 };

/** The window's bounds are ordered: 0 <= ackedThroughSeq <= sentThroughSeq, both integers. */
function assertWindow(window: OutboxWindow): void {
  assertIntegerInRange(window.ackedThroughSeq, 0, seqMax, 'ackedThroughSeq');
  assertIntegerInRange(
    window.sentThroughSeq,
    window.ackedThroughSeq,
    seqMax,
    'sentThroughSeq (sent behind acked)',
  );
}

export function startWindow(ackedThroughSeq: number): OutboxWindow {
  const window = { ackedThroughSeq, sentThroughSeq: ackedThroughSeq };
  assertWindow(window);
  assert(inFlightCount(window) === 0, 'startWindow: nothing in flight on a new link');
  return window;
}

/** The seq range to publish now, or null: bounded by the window and by the newest stored seq. */
export function planSends(
  window: OutboxWindow,
  headSeq: number,
  windowMax: number,
): { readonly fromSeq: number; readonly toSeq: number } | null {
  assertWindow(window);
  assertIntegerInRange(windowMax, 1, seqMax, 'planSends windowMax');
  assertIntegerInRange(headSeq, 0, seqMax, 'planSends headSeq');
  const toSeq = Math.min(headSeq, window.ackedThroughSeq + windowMax);
  const fromSeq = window.sentThroughSeq + 1;
  if (fromSeq > toSeq) return null;
  // Never more than windowMax unacknowledged, never a seq not yet stored.
  assert(toSeq - window.ackedThroughSeq <= windowMax && toSeq <= headSeq, 'planSends: beyond the window');
  return { fromSeq, toSeq };
}

export function markSent(window: OutboxWindow, toSeq: number): OutboxWindow {
  assertWindow(window);
  assertIntegerInRange(toSeq, window.sentThroughSeq, seqMax, 'markSent toSeq (goes backwards)');
  const sent = { ...window, sentThroughSeq: toSeq };
  assertWindow(sent);
  return sent;
}

export type AckVerdict =
  | { readonly kind: 'advanced'; readonly window: OutboxWindow; readonly deleteThroughSeq: number }
  | { readonly kind: 'stale' }
  | { readonly kind: 'beyond_head' };

/** HQ's cumulative ack. An ack beyond what we ever stored is refused (a bug or a forgery). */
export function applyAck(window: OutboxWindow, ackSeq: number, headSeq: number): AckVerdict {
  assertWindow(window);
  assertIntegerInRange(headSeq, 0, seqMax, 'applyAck headSeq');
  // `ackSeq` is HQ's: anything may arrive, so it is classified, never asserted.
  if (!Number.isSafeInteger(ackSeq) || ackSeq < 0) return { kind: 'beyond_head' };
  if (ackSeq > headSeq) return { kind: 'beyond_head' };
  if (ackSeq <= window.ackedThroughSeq) return { kind: 'stale' };
  const sentThroughSeq = Math.max(window.sentThroughSeq, ackSeq);
  const advanced = { ackedThroughSeq: ackSeq, sentThroughSeq };
  assertWindow(advanced);
  return { kind: 'advanced', window: advanced, deleteThroughSeq: ackSeq };
}

/** Link lost, or the oldest in-flight event waited too long for its ack: send again from the oldest. */
export function rewind(window: OutboxWindow): OutboxWindow {
  assertWindow(window);
  const rewound = { ...window, sentThroughSeq: window.ackedThroughSeq };
  assert(inFlightCount(rewound) === 0, 'rewind: everything unacknowledged is to be sent again');
  return rewound;
}

export function inFlightCount(window: OutboxWindow): number {
  assertWindow(window);
  return window.sentThroughSeq - window.ackedThroughSeq;
}
