// Step 7b, reconciliation after the commit (R8 账账相符): a stored daily close is compared with
// HQ's ledger mirror (totals), its seal with the previous close's hash (R7 chain), and its last
// seq with what HQ holds; the differences are stored and reported.
import { checkCloseSeal, type KioskClose } from '../../domain/ledger-mirror.js';
import type { StationEvent } from '../../domain/types.js';
import type { IngestContext } from './context.js';

export async function reconcile(ctx: IngestContext, close: StationEvent): Promise<void> {
  const detail = close.detail as Partial<KioskClose> & { lastSeq?: number };
  const differences = ctx.ledger
    .reconcileClose(close.stationId, close.businessDate, detail.totals ?? [])
    .map((d) => ({ ...d }));
  const previous = await ctx.store.previousClose(close.stationId, close.seq);
  differences.push(
    ...checkCloseSeal(
      {
        stationId: close.stationId,
        businessDate: close.businessDate,
        closeSequence: Number(detail.closeSequence ?? 0),
        closedAtMs: Number(detail.closedAtMs ?? 0),
        holdsPendingCount: Number(detail.holdsPendingCount ?? 0),
        closeHash: String(detail.closeHash ?? ''),
        previousCloseHash: String(detail.previousCloseHash ?? ''),
        totals: detail.totals ?? [],
      },
      previous === undefined ? undefined : String(previous.detail.closeHash ?? ''),
    ),
  );
  const station = ctx.stations.get(close.stationId);
  const lastSeq = Number(detail.lastSeq ?? 0);
  if (station !== undefined && lastSeq > station.tracker.ackedSeq) {
    differences.push({
      code: 'HQ_RECON_DIFFERENCE',
      detail: `events up to seq ${lastSeq} are covered by the close, HQ holds all only up to ${station.tracker.ackedSeq}`,
    });
  }
  await ctx.store.saveReconciliation({
    stationId: close.stationId,
    businessDate: close.businessDate,
    closeEventId: close.eventId,
    reconciledAtMs: ctx.clock.nowMs(),
    differences,
  });
  if (differences.length > 0) {
    ctx.log.warn(
      { code: 'HQ_RECON_DIFFERENCE', stationId: close.stationId, count: differences.length },
      'R8',
    );
  }
  ctx.events.emit('reconciled', {
    stationId: close.stationId,
    businessDate: close.businessDate,
    differences,
  });
}
