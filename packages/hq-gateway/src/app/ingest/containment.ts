// One station cannot hurt the others (issue 8): when a station breaks a per-station bound
// (domain/containment.ts) it is suspended: at once in memory (its next messages are quarantined at
// intake under HQ_STATION_SUSPENDED, without a signature check), durably through the integrity
// store (a restart does not bring the failure back), and with an alert in the log. Every other
// station is served as before. An operator lifts it (HqOperations.resumeStation).
import type { BoundBreach } from '../../domain/containment.js';
import { checkRefusals } from '../../domain/containment.js';
import type { IngestContext } from './context.js';
import type { StationState } from './station-state.js';

export function suspend(ctx: IngestContext, station: StationState, breach: BoundBreach): void {
  if (station.suspension !== null) return;
  const stationId = station.record.stationId;
  const suspension = {
    stationId,
    reasonCode: breach.code,
    detail: breach.detail,
    sinceMs: ctx.clock.nowMs(),
  };
  station.suspension = suspension;
  ctx.counters.stationsSuspended += 1;
  ctx.background.track(ctx.integrity.suspend(suspension));
  ctx.log.error(
    { code: 'HQ_STATION_SUSPENDED', reason: breach.code, stationId, detail: breach.detail, alert: true },
    'station suspended',
  );
  ctx.events.emit('suspended', stationId, breach.code);
}

/** A message of this station was refused: past the refusal bound the station is suspended. */
export function countRefusal(ctx: IngestContext, station: StationState): void {
  if (station.suspension !== null) return;
  station.refusalCount += 1;
  const breach = checkRefusals(ctx.settings.stationBounds, station.refusalCount);
  if (breach !== null) suspend(ctx, station, breach);
}
