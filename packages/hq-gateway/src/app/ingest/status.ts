// Step 5b, station status: birth, death and telemetry update the station's status
// (domain/station-status.ts) through the open batch's status rows; a stale death (an older
// connection's last will) is counted and ignored. The silence sweep marks offline every online
// station not heard from for longer than the silence window, on the Clock's time.
import { hash } from 'node:crypto';
import type { OpenedEnvelope } from '@bianmin/wire';
import { decodeStatus } from '../../domain/codec/bodies.js';
import { refusalChange } from '../../domain/kiosk-refusals.js';
import { applyStatus, type StatusInput } from '../../domain/station-status.js';
import type { IngestContext } from './context.js';
import { recordSkew } from './skew.js';
import type { StationState } from './station-state.js';

export function applyStatusMessage(
  ctx: IngestContext,
  station: StationState,
  opened: OpenedEnvelope,
  payload: Uint8Array,
): void {
  const body = decodeStatus(opened.header.type, opened.body);
  const atMs = ctx.clock.nowMs();
  const stationId = station.record.stationId;
  const createdAtMs = opened.header.createdAtMs;
  // Freshness (issue 8): a birth or death whose very bytes were seen before is a replay.
  if (body.kind !== 'telemetry' && ctx.statusGuard.seenBefore(stationId, hash('sha256', payload, 'hex'))) {
    staleStatus(ctx, stationId, body.kind, body.bdSeq, 'envelope already seen');
    return;
  }
  // A death is signed at connect time (its will), so only births and telemetry are live stamps.
  if (body.kind !== 'death')
    recordSkew(ctx, 'live', stationId, `${body.kind}:${opened.header.eventId}`, createdAtMs, atMs);
  const input: StatusInput =
    body.kind === 'telemetry'
      ? {
          kind: 'telemetry',
          atMs,
          bdSeq: body.bdSeq,
          peripherals: body.peripherals,
          outboxDepth: body.outboxDepth,
        }
      : body.kind === 'birth'
        ? { kind: 'birth', bdSeq: body.bdSeq, atMs, createdAtMs }
        : { kind: 'death', bdSeq: body.bdSeq, atMs };
  const { status, outcome } = applyStatus(station.status, input);
  if (outcome === 'stale_death') {
    ctx.counters.staleDeaths += 1;
    ctx.log.info({ stationId, bdSeq: body.bdSeq }, 'stale death ignored');
    ctx.events.emit('status', stationId, 'stale_death');
    return;
  }
  if (outcome === 'stale_birth' || outcome === 'stale_telemetry') {
    staleStatus(
      ctx,
      stationId,
      body.kind,
      body.bdSeq,
      `bdSeq ${body.bdSeq}, current ${station.status.bdSeq}`,
    );
    return;
  }
  station.status =
    body.kind === 'birth'
      ? { ...status, peripherals: body.peripherals, outboxDepth: body.outboxDepth }
      : status;
  if (body.kind === 'telemetry') noteRefusals(ctx, station, body.refusingCodes);
  const batch = ctx.openBatch();
  batch.statuses.set(stationId, station.status);
  // A birth means a (re)connected kiosk: tell it at once where HQ stands.
  if (body.kind === 'birth') batch.touched.add(stationId);
  ctx.events.emit('status', stationId, body.kind);
}

/**
 * Issue 9: a kiosk that refuses business for its own hardware (disk below its reserve, clock
 * known wrong) says so in telemetry; HQ raises an alert once when a code appears and notes when
 * it clears.
 */
function noteRefusals(ctx: IngestContext, station: StationState, reported: readonly string[]): void {
  const change = refusalChange(station.hardwareRefusals, reported);
  station.hardwareRefusals = change.current;
  const stationId = station.record.stationId;
  for (const refusing of change.raised) {
    ctx.counters.hardwareAlerts += 1;
    ctx.log.error(
      { code: 'HQ_STATION_REFUSING', stationId, refusing, alert: true },
      'the kiosk refuses new business for its own hardware (disk or clock): send a technician',
    );
  }
  if (change.cleared.length > 0)
    ctx.log.info({ stationId, cleared: change.cleared }, 'the kiosk no longer refuses for its hardware');
}

/** A birth, death or telemetry that is not fresh: ignored, counted, logged (HQ_STATUS_REPLAYED). */
function staleStatus(ctx: IngestContext, stationId: string, kind: string, bdSeq: number, why: string): void {
  if (kind === 'death') ctx.counters.staleDeaths += 1;
  else ctx.counters.staleStatus += 1;
  ctx.log.warn(
    { code: 'HQ_STATUS_REPLAYED', stationId, kind, bdSeq, why },
    'status message not fresh: ignored',
  );
  ctx.events.emit('status', stationId, `stale_${kind}`);
}

/** Mark silent stations offline (reason 'silence'); returns their ids. */
export function sweepSilence(ctx: IngestContext): string[] {
  const atMs = ctx.clock.nowMs();
  const silenced: string[] = [];
  for (const station of ctx.stations.values()) {
    // Another gateway owns it (NATS mode): its messages do not reach this one, silence is no sign.
    if (!ctx.ownsStation(station.record.stationId)) continue;
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
