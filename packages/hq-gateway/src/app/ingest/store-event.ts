// Step 5a, a journaled event: a repeat of an id HQ holds is a duplicate (same bytes: re-acked,
// counted, not a refusal, R8) or a replay (other bytes: quarantined); a seq already used by
// another event is a replay too. A new event is decoded into a StationEvent, its seq accepted
// (ack point, gaps), the station marked seen, handed to the ledger mirror in seq order, its chain
// link checked, and put into the open batch; daily closes and withdrawal completions are noted
// for reconciliation and settlement after the commit.
import type { OpenedEnvelope } from '@bianmin/wire';
import { checkChainLink } from '../../domain/chain-link.js';
import { toStationEvent } from '../../domain/codec/bodies.js';
import { CodecFailure, describe } from '../../domain/codec/envelope.js';
import { checkSeq } from '../../domain/containment.js';
import { holdExpiryFinding } from '../../domain/hold-expiry.js';
import { applyStatus } from '../../domain/station-status.js';
import type { StationEvent } from '../../domain/types.js';
import type { StoredEventRef } from '../../ports/store.js';
import { classifyRepeat } from '../repeats.js';
import { suspend } from './containment.js';
import type { IngestContext } from './context.js';
import type { Item } from './intake.js';
import { quarantine } from './quarantine.js';
import { acceptSeq, toMirror } from './sequence.js';
import { recordSkew } from './skew.js';
import type { StationState } from './station-state.js';

export function storeEvent(
  ctx: IngestContext,
  item: Item,
  opened: OpenedEnvelope,
  station: StationState,
  stored: ReadonlyMap<string, StoredEventRef>,
): void {
  const { eventId, seq } = opened.header;
  const stationId = station.record.stationId;
  const heldSha256 = ctx.held.inflightSha256(eventId) ?? stored.get(eventId)?.envelopeSha256;
  if (heldSha256 !== undefined) {
    ctx.openBatch().touched.add(stationId); // re-ack: the kiosk may have lost the first ack
    if (classifyRepeat(item.payload, heldSha256) === 'duplicate') {
      // A resend of the very bytes HQ holds: not a refusal, so not quarantined (R8).
      ctx.counters.duplicates += 1;
      ctx.events.emit('duplicate', stationId, seq);
      return;
    }
    quarantine(ctx, item, 'HQ_REPLAY_EVENT_ID', `event ${eventId} seq ${seq} reused with other bytes`, false);
    return;
  }
  if (station.tracker.has(seq)) {
    ctx.openBatch().touched.add(stationId);
    quarantine(ctx, item, 'HQ_REPLAY_SEQ', `seq ${seq} already used by another event`, false);
    return;
  }
  // Per-station bounds before the seq takes memory or opens a gap (issue 8).
  const breach = checkSeq(
    ctx.settings.stationBounds,
    seq,
    station.tracker.ackedSeq,
    station.tracker.pendingCount,
  );
  if (breach !== null) {
    quarantine(ctx, item, breach.code, breach.detail, false);
    suspend(ctx, station, breach);
    return;
  }
  let event: StationEvent;
  try {
    event = toStationEvent(opened, item.payload, item.link?.sha256.toString('hex'));
  } catch (error) {
    const code = error instanceof CodecFailure ? error.code : 'HQ_BODY_DECODE_FAILED';
    quarantine(ctx, item, code, describe(error), true);
    return;
  }
  acceptSeq(ctx, station, seq);
  const batch = ctx.openBatch();
  station.status = applyStatus(station.status, { kind: 'seen', atMs: item.receivedAtMs }).status;
  batch.statuses.set(stationId, station.status);
  const nowMs = ctx.clock.nowMs();
  toMirror(ctx, station, seq, event, nowMs);
  recordChainLink(ctx, station, event, opened.header.prevEnvelopeSha256, nowMs);
  batch.events.push(event);
  ctx.held.hold(eventId, event.envelopeSha256);
  recordSkew(ctx, 'journaled', stationId, eventId, event.createdAtMs, item.receivedAtMs);
  if (event.kind === 'WITHDRAWAL_POSTED') recordHoldExpiry(ctx, event, item.receivedAtMs);
  if (event.kind === 'DAILY_CLOSE') batch.closes.push(event);
  if (event.kind === 'CASH_DECLARED') batch.cashDeclarations.push(event);
  if (event.kind === 'OTA_PROGRESS') batch.otaProgress.push(event);
  if (
    event.kind === 'WITHDRAWAL_POSTED' ||
    event.kind === 'WITHDRAWAL_VOIDED' ||
    event.kind === 'WITHDRAWAL_REVERSED'
  ) {
    batch.settlements.push(event);
  }
}

/** The chain-link check (domain/chain-link.ts); a break is a discrepancy in the open batch. */
function recordChainLink(
  ctx: IngestContext,
  station: StationState,
  event: StationEvent,
  prev: Uint8Array,
  nowMs: number,
): void {
  const prevHex = Buffer.from(prev.buffer, prev.byteOffset, prev.byteLength).toString('hex');
  const { tip, broken } = checkChainLink(station.chainTip, event, prevHex);
  station.chainTip = tip;
  if (broken === null) return;
  const code = 'HQ_DISCREPANCY_CHAIN_BROKEN';
  ctx.counters.discrepancies += 1;
  ctx.openBatch().discrepancies.push({
    stationId: event.stationId,
    eventId: event.eventId,
    code,
    ...broken,
    foundAtMs: nowMs,
  });
  ctx.log.warn({ code, stationId: event.stationId, seq: event.seq }, 'chain link broken');
}

/** Issue 9: a posted withdrawal received after its hold expired on HQ's clock is a discrepancy. */
function recordHoldExpiry(ctx: IngestContext, event: StationEvent, receivedAtMs: number): void {
  const grant = ctx.provenance.grantOf(String(event.detail.requestId ?? ''));
  if (grant === undefined) return; // no grant: the provenance book already judges it unauthorised
  // The hold expiry HQ signed into this station's config in force at the grant (its default only
  // for a station whose config HQ never saw).
  const holdExpiryMs =
    ctx.holdExpiries.inForceAt(event.stationId, grant.grantedAtMs) ?? ctx.settings.holdExpiryMs;
  const finding = holdExpiryFinding(grant.grantedAtMs, holdExpiryMs, receivedAtMs);
  if (finding === null) return;
  ctx.counters.discrepancies += 1;
  ctx.openBatch().discrepancies.push({
    stationId: event.stationId,
    eventId: event.eventId,
    foundAtMs: receivedAtMs,
    ...finding,
  });
  ctx.log.warn({ code: finding.code, stationId: event.stationId, eventId: event.eventId }, finding.detail);
}
