// The station's sequence, shared by the steps that handle a seq (a stored event, or an authentic
// event refused for its content): the ack point and gaps (domain/seq-tracker.ts; a gap is
// reported and a resend asked), and the hand-over to the ledger mirror in seq order
// (domain/mirror-order.ts), whose discrepancies go into the open batch.
import type { StationEvent } from '../../domain/types.js';
import type { IngestContext } from './context.js';
import type { StationState } from './station-state.js';

/** Record a handled seq: ack point, gaps found (reported, resend asked) and gaps filled. */
export function acceptSeq(ctx: IngestContext, station: StationState, seq: number): void {
  const stationId = station.record.stationId;
  const nowMs = ctx.clock.nowMs();
  const batch = ctx.openBatch();
  const acceptance = station.tracker.accept(seq);
  batch.touched.add(stationId);
  if (acceptance.gapOpened !== null) {
    ctx.counters.gaps += 1;
    batch.gapsOpened.push({ stationId, ...acceptance.gapOpened, foundAtMs: nowMs });
    if (!batch.resendFrom.has(stationId)) batch.resendFrom.set(stationId, acceptance.gapOpened.fromSeq);
    ctx.log.warn({ code: 'HQ_SEQ_GAP', stationId, ...acceptance.gapOpened }, 'sequence gap');
  }
  if (acceptance.fillsGap) batch.gapFills.push({ stationId, seq, atMs: nowMs });
}

/**
 * Hand a handled seq to the ledger mirror (`event` null: a refused seq, skipped). Events beyond a
 * gap wait until it is filled; see domain/mirror-order.ts.
 */
export function toMirror(
  ctx: IngestContext,
  station: StationState,
  seq: number,
  event: StationEvent | null,
  nowMs: number,
): void {
  const release = station.mirror.offer(seq, event);
  if (release.overflowed) {
    ctx.log.error(
      { code: 'HQ_SEQ_GAP', stationId: station.record.stationId, waiting: station.mirror.pendingCount },
      'ledger mirror: too many events beyond a gap; re-checking this one out of order',
    );
  }
  for (const next of release.apply) mirrorApply(ctx, next, nowMs);
}

function mirrorApply(ctx: IngestContext, event: StationEvent, nowMs: number): void {
  for (const d of ctx.ledger.apply(event)) {
    ctx.counters.discrepancies += 1;
    ctx.openBatch().discrepancies.push({
      stationId: event.stationId,
      eventId: event.eventId,
      foundAtMs: nowMs,
      ...d,
    });
    ctx.log.warn(
      // An alert with its reason (issue 8): the code, what HQ expected and what the kiosk claimed.
      {
        code: d.code,
        stationId: event.stationId,
        eventId: event.eventId,
        seq: event.seq,
        detail: d.detail,
        expected: d.expected,
        actual: d.actual,
        alert: true,
      },
      'ledger discrepancy',
    );
  }
}
