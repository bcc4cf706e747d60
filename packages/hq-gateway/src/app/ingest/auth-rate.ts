// Step 5c's first check (issue 8, one station cannot hurt the others): the station's authorisation
// request rate (domain/auth-rate-limit.ts, limits in limits.ts). A request over it is declined
// before the R5 tally, the store and the bank; it is counted (authRateLimited), counts as a refusal
// towards the station's suspension bound (app/ingest/containment.ts), and the first of a burst is
// logged as an alert. Other stations' requests are untouched: each station has its own cell.
import { countRefusal } from './containment.js';
import type { IngestContext } from './context.js';
import type { StationState } from './station-state.js';

/** True when the request may go on; false when it is to be declined (HQ_AUTH_RATE_LIMITED). */
export function withinAuthRate(ctx: IngestContext, station: StationState, nowMs: number): boolean {
  const stationId = station.record.stationId;
  const verdict = ctx.authRate.take(stationId, nowMs);
  if (verdict.allowed) return true;
  ctx.counters.authRateLimited += 1;
  if (verdict.limitStarted) {
    ctx.log.error(
      { code: 'HQ_AUTH_RATE_LIMITED', stationId, alert: true },
      'authorisation requests over the station rate limit: declined before the bank',
    );
  }
  ctx.events.emit('auth-rate-limited', stationId);
  countRefusal(ctx, station);
  return false;
}
