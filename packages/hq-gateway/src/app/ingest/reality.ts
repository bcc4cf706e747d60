// Step 7c, 账实相符 after the commit (R8: report = real cash and bank settlement). A stored daily
// close, or a drawer count declared after it (CASH_DECLARED), starts a check of that station and
// business day: HQ's stored events of the day against the bank's settlement (its posted
// withdrawals) and against the cash the station declared, through the pure comparison in
// domain/reality-check.ts. It first waits for the bank settlements already under way (settlement.ts
// posts each completion to the bank after its commit), so a withdrawal posted just before the
// close is not reported missing at the bank. Every difference is stored with its code and zh-CN
// reason and, the first time it is found, raised as a discrepancy (an alert in `hq status`) and
// logged; `hq report daily` shows them. A close without a count is reported "not declared",
// never as a count of 0.
import { checkReality } from '../../domain/reality-check.js';
import type { StationEvent } from '../../domain/types.js';
import type { IngestContext } from './context.js';

export async function checkRealityAfter(
  ctx: IngestContext,
  event: StationEvent,
  settlementsUnderWay: Promise<void>,
): Promise<void> {
  const reality = ctx.reality;
  if (reality === undefined) return;
  await settlementsUnderWay;
  const events = await reality.events.eventsOfDay(event.stationId, event.businessDate);
  const requestIds = events
    .filter((e) => e.kind === 'WITHDRAWAL_POSTED')
    .map((e) => String(e.detail.requestId ?? ''));
  const bank = await reality.bank.settlement(event.stationId, event.businessDate, requestIds);
  const result = checkReality({
    stationId: event.stationId,
    businessDate: event.businessDate,
    events,
    bank,
  });
  const added = await reality.store.saveRealityCheck({
    ...result,
    triggerEventId: event.eventId,
    checkedAtMs: ctx.clock.nowMs(),
  });
  for (const difference of added) {
    ctx.log.warn(
      {
        code: difference.code,
        stationId: event.stationId,
        businessDate: event.businessDate,
        reference: difference.reference,
        expectedFen: difference.expectedFen,
        actualFen: difference.actualFen,
      },
      `R8 账实相符: ${difference.reasonZh}`,
    );
  }
  ctx.events.emit('reality-checked', { ...result, added });
}
