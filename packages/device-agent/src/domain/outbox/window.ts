// The outbox's send window, as a pure value. The SQLite outbox holds signed events with
// contiguous seq numbers; the link publishes them in seq order with at most `windowMax` in
// flight (published, not yet acknowledged by HQ). HQ acknowledges cumulatively ("stored
// everything up to seq N"), and only then may rows be deleted. A lost link or an ack that does
// not come in time rewinds the window: everything unacknowledged is sent again (HQ dedupes by
// event id), so nothing is lost and order is kept.

export interface OutboxWindow {
  /** Highest seq HQ has acknowledged as stored (0 = none). */
  readonly ackedThroughSeq: number;
  /** Highest seq published on the current link (>= ackedThroughSeq). */
  readonly sentThroughSeq: number;
}

export const EMPTY_WINDOW: OutboxWindow = { ackedThroughSeq: 0, sentThroughSeq: 0 };

function assertWindow(window: OutboxWindow): void {
  if (!Number.isSafeInteger(window.ackedThroughSeq) || window.ackedThroughSeq < 0) {
    throw new Error('assert: ackedThroughSeq must be a non-negative safe integer');
  }
  if (window.sentThroughSeq < window.ackedThroughSeq) throw new Error('assert: sent behind acked');
}

export function startWindow(ackedThroughSeq: number): OutboxWindow {
  const window = { ackedThroughSeq, sentThroughSeq: ackedThroughSeq };
  assertWindow(window);
  return window;
}

/** The seq range to publish now, or null: bounded by the window and by the newest stored seq. */
export function planSends(
  window: OutboxWindow,
  headSeq: number,
  windowMax: number,
): { readonly fromSeq: number; readonly toSeq: number } | null {
  assertWindow(window);
  if (!Number.isSafeInteger(windowMax) || windowMax < 1) throw new Error('assert: windowMax >= 1');
  const toSeq = Math.min(headSeq, window.ackedThroughSeq + windowMax);
  const fromSeq = window.sentThroughSeq + 1;
  return fromSeq <= toSeq ? { fromSeq, toSeq } : null;
}

export function markSent(window: OutboxWindow, toSeq: number): OutboxWindow {
  assertWindow(window);
  if (toSeq < window.sentThroughSeq) throw new Error('assert: markSent goes backwards');
  return { ...window, sentThroughSeq: toSeq };
}

export type AckVerdict =
  | { readonly kind: 'advanced'; readonly window: OutboxWindow; readonly deleteThroughSeq: number }
  | { readonly kind: 'stale' }
  | { readonly kind: 'beyond_head' };

/** HQ's cumulative ack. An ack beyond what we ever stored is refused (a bug or a forgery). */
export function applyAck(window: OutboxWindow, ackSeq: number, headSeq: number): AckVerdict {
  assertWindow(window);
  if (!Number.isSafeInteger(ackSeq) || ackSeq < 0) return { kind: 'beyond_head' };
  if (ackSeq > headSeq) return { kind: 'beyond_head' };
  if (ackSeq <= window.ackedThroughSeq) return { kind: 'stale' };
  const sentThroughSeq = Math.max(window.sentThroughSeq, ackSeq);
  return { kind: 'advanced', window: { ackedThroughSeq: ackSeq, sentThroughSeq }, deleteThroughSeq: ackSeq };
}

/** Link lost, or the oldest in-flight event waited too long for its ack: send again from the oldest. */
export function rewind(window: OutboxWindow): OutboxWindow {
  assertWindow(window);
  return { ...window, sentThroughSeq: window.ackedThroughSeq };
}

export function inFlightCount(window: OutboxWindow): number {
  return window.sentThroughSeq - window.ackedThroughSeq;
}
