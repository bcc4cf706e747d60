// Quarantine: a refused message is kept with its raw bytes, reason code and detail (bounded), and
// counted; the gateway keeps running. An authentic event (its signature verified) refused for its
// content still counts as handled: its seq joins the ack with a refusal, so the kiosk stops
// resending it (docs/protocol.md Ack).
import { decodeSignedHeader, type EnvelopeParts } from '@bianmin/wire';
import { refusalReasonOf } from '../../domain/authorisation.js';
import { redactedQuarantineCopy } from '../../domain/codec/envelope.js';
import { checkSeq } from '../../domain/containment.js';
import type { HqCode } from '../../errors.js';
import { countRefusal } from './containment.js';
import type { IngestContext } from './context.js';
import type { Item } from './intake.js';
import { acceptSeq, toMirror } from './sequence.js';
import type { StationState } from './station-state.js';

const topicCharsStoredMax = 256;
const detailCharsStoredMax = 500;
const topicCharsLoggedMax = 128;

export function quarantine(
  ctx: IngestContext,
  item: Item,
  code: HqCode,
  detail: string,
  verified: boolean,
): void {
  const station = item.station;
  let handledSeq: number | null = null;
  if (verified && station !== null && item.parts !== null && item.parsed?.channel === 'event') {
    handledSeq = handledSeqOf(ctx, station, item.parts, code, detail);
  }
  if (station !== null && code !== 'HQ_STATION_SUSPENDED') countRefusal(ctx, station);
  ctx.counters.quarantined += 1;
  ctx.counters.quarantinedByReason[code] = (ctx.counters.quarantinedByReason[code] ?? 0) + 1;
  ctx.openBatch().quarantined.push({
    receivedAtMs: item.receivedAtMs,
    topic: item.topic.slice(0, topicCharsStoredMax),
    stationId: item.parsed?.stationId ?? null,
    reasonCode: code,
    detail: detail.slice(0, detailCharsStoredMax),
    sizeBytes: item.payload.length,
    // Never a full PAN, a PIN block or a secret (R24): an authorisation request is kept redacted.
    raw: redactedQuarantineCopy(item.parsed?.channel ?? null, item.payload),
    handledSeq,
  });
  ctx.log.warn(
    { code, topic: item.topic.slice(0, topicCharsLoggedMax), size: item.payload.length, handledSeq },
    'quarantined',
  );
  ctx.events.emit('quarantined', code);
}

function handledSeqOf(
  ctx: IngestContext,
  station: StationState,
  parts: EnvelopeParts,
  code: HqCode,
  detail: string,
): number | null {
  let header: { stationId: string; seq: number; eventId: string };
  try {
    header = decodeSignedHeader(parts.signed).header;
  } catch {
    return null;
  }
  if (header.stationId !== station.record.stationId || header.seq < 1 || station.tracker.has(header.seq)) {
    return null;
  }
  // A seq beyond the per-station bounds is not taken as handled (it would open an unbounded gap
  // or fill the seq tracker): the refusal still counts towards the station's refusal bound.
  const { stationBounds } = ctx.settings;
  if (checkSeq(stationBounds, header.seq, station.tracker.ackedSeq, station.tracker.pendingCount) !== null) {
    return null;
  }
  acceptSeq(ctx, station, header.seq);
  toMirror(ctx, station, header.seq, null, ctx.clock.nowMs());
  station.refusals.push({
    seq: header.seq,
    eventId: header.eventId,
    reason: refusalReasonOf(code),
    code,
    detail,
  });
  return header.seq;
}
