// Step 7a, settlement after the commit: a stored withdrawal completion settles the bank hold (R5):
// posted -> the bank posts it; voided or reversed -> the R5 approval is released (durably, first)
// and the bank releases the hold. Marked settled in the store with the bank's outcome; the
// unsettled ones are re-driven at start-up (restore.ts), idempotently.
import type { StationEvent } from '../../domain/types.js';
import type { IngestContext } from './context.js';

export function settle(ctx: IngestContext, event: StationEvent): void {
  const requestId = String(event.detail.requestId ?? '');
  const posted = event.kind === 'WITHDRAWAL_POSTED';
  if (!posted) ctx.tally.released(requestId);
  const atMs = ctx.clock.nowMs();
  // A release is durable before the settlement is marked done: after a crash in between, the
  // settlement is re-driven at start-up and records the release again (idempotent).
  const released = posted ? Promise.resolve() : ctx.store.releaseWithdrawalApproval(requestId, atMs);
  const work = released
    .then(() => (posted ? ctx.bank.post(requestId, atMs) : ctx.bank.release(requestId, atMs)))
    .then(async (outcome) => {
      ctx.counters.settlements += 1;
      if (outcome !== 'done' && outcome !== 'already_done') {
        ctx.log.warn(
          { code: outcome, stationId: event.stationId, eventId: event.eventId },
          'bank settlement',
        );
      }
      await ctx.store.markSettled(event.eventId, outcome);
    });
  ctx.background.track(work);
}
