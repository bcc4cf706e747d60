// Step 5b, station status: birth, death and telemetry update the station's status
// (domain/station-status.ts) through the open batch's status rows; a stale death (an older
// connection's last will) is counted and ignored. The silence sweep marks offline every online
// station not heard from for longer than the silence window, on the Clock's time.
import type { OpenedEnvelope } from '@bianmin/wire';
import { decodeStatus } from '../../adapters/wire/codec.js';
import { applyStatus, type StatusInput } from '../../domain/station-status.js';
import type { IngestContext } from './context.js';
import type { StationState } from './station-state.js';

export function applyStatusMessage(ctx: IngestContext, station: StationState, opened: OpenedEnvelope): void {
  const body = decodeStatus(opened.header.type, opened.body);
  const atMs = ctx.clock.nowMs();
  const stationId = station.record.stationId;
  const input: StatusInput =
    body.kind === 'telemetry'
      ? { kind: 'telemetry', atMs, peripherals: body.peripherals, outboxDepth: body.outboxDepth }
      : { kind: body.kind, bdSeq: body.bdSeq, atMs };
  const { status, outcome } = applyStatus(station.status, input);
  if (outcome === 'stale_death') {
    ctx.counters.staleDeaths += 1;
    ctx.log.info({ stationId, bdSeq: body.bdSeq }, 'stale death ignored');
    ctx.events.emit('status', stationId, 'stale_death');
    return;
  }
  station.status =
    body.kind === 'birth'
      ? { ...status, peripherals: body.peripherals, outboxDepth: body.outboxDepth }
      : status;
  const batch = ctx.openBatch();
  batch.statuses.set(stationId, station.status);
  // A birth means a (re)connected kiosk: tell it at once where HQ stands.
  if (body.kind === 'birth') batch.touched.add(stationId);
  ctx.events.emit('status', stationId, body.kind);
}

/** Mark silent stations offline (reason 'silence'); returns their ids. */
export function sweepSilence(ctx: IngestContext): string[] {
  const atMs = ctx.clock.nowMs();
  const silenced: string[] = [];
  for (const station of ctx.stations.values()) {
    const input = { kind: 'silence', atMs, silenceMsMax: ctx.settings.stationSilenceMsMax } as const;
    const { status, outcome } = applyStatus(station.status, input);
    if (outcome !== 'silenced') continue;
    const stationId = station.record.stationId;
    station.status = status;
    ctx.openBatch().statuses.set(stationId, status);
    silenced.push(stationId);
    const silentMs = atMs - status.lastSeenMs;
    ctx.log.warn({ code: 'HQ_STATION_SILENT', stationId, lastSeenMs: status.lastSeenMs, silentMs }, 'silent');
    ctx.events.emit('status', stationId, 'silence');
  }
  if (silenced.length > 0) ctx.scheduleCommit();
  return silenced;
}
