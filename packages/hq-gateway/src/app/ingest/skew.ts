// Time from HQ's clock (issue 9): a kiosk timestamp implausibly far from HQ's receive time is a
// discrepancy (domain/clock-skew.ts) in the open batch and an alert in the log. Nothing else
// changes: HQ's own decisions (R5 business day, hold expiry) already run on HQ's clock.
import { clockSkewFinding, type TimestampKind } from '../../domain/clock-skew.js';
import type { IngestContext } from './context.js';

/** Record a skewed timestamp; true when it was one. `eventId`: the event's, or a request's tag. */
export function recordSkew(
  ctx: IngestContext,
  kind: TimestampKind,
  stationId: string,
  eventId: string,
  createdAtMs: number,
  receivedAtMs: number,
): boolean {
  const finding = clockSkewFinding(kind, createdAtMs, receivedAtMs, ctx.settings.clockSkewMsMax);
  if (finding === null) return false;
  const { skewMs, ...row } = finding;
  ctx.counters.discrepancies += 1;
  ctx.openBatch().discrepancies.push({ stationId, eventId, foundAtMs: receivedAtMs, ...row });
  ctx.scheduleCommit();
  ctx.log.warn({ code: finding.code, stationId, eventId, skewMs, alert: true }, finding.detail);
  return true;
}
