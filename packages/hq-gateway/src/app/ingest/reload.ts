// A partition takeover (NATS mode, issue 14): the gateway's state of the partition's stations is
// brought up to the store's before any of their messages is handled. It was loaded at this
// gateway's start (restore.ts) and the previous owner has stored events since, so without this the
// new owner acks a stale cumulative seq, sees false gaps, judges quota on an old mirror and misses
// the grants the previous owner made. The caller has flushed the pipeline and hands nothing of
// these stations while this runs (adapters/nats/partition-rounds.ts).
//
// Why a catch-up and not a rebuild: this gateway's state of a station it did not own is a prefix
// of the store's (it acted for the station only while it owned it, and everything it stored is in
// the store), and the ledger mirror is a fold that cannot take events back. So the sequence state,
// status, chain tip and suspension are replaced by the store's, and the mirror is offered the
// handled seqs it has not taken yet, in seq order, judged as they were at ingest (like restore.ts).
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { provenanceCodes } from '../../domain/provenance.js';
import type { StationEvent, StationRecord, StationStatus } from '../../domain/types.js';
import { withdrawalGrantsRestoreMsBack, withdrawalTallyRestoreMsBack } from '../../limits.js';
import type { Suspension } from '../../ports/integrity-store.js';
import type { StationSeqState } from '../../ports/store.js';
import type { IngestContext } from './context.js';
import { pemToSpkiDer } from './restore.js';
import { settle } from './settlement.js';
import { newStationState, type StationState } from './station-state.js';

/** What the store holds for the stations being reloaded. */
interface Stored {
  readonly seq: StationSeqState | undefined;
  readonly status: StationStatus | undefined;
  readonly suspension: Suspension | null;
}

/** Reload the selected stations (every enrolled one for which `select` is true); returns their ids. */
export async function reloadStations(
  ctx: IngestContext,
  select: (stationId: string) => boolean,
): Promise<string[]> {
  const records = (await ctx.store.listStations()).filter((r) => select(r.stationId));
  const ids = new Set(records.map((r) => r.stationId));
  const seqStates = new Map((await ctx.store.loadSeqStates()).map((s) => [s.stationId, s]));
  const statuses = new Map((await ctx.store.loadStatuses()).map((s) => [s.stationId, s]));
  const suspensions = new Map((await ctx.integrity.suspensions()).map((s) => [s.stationId, s]));
  await reloadGrantsAndTally(ctx, ids);
  for (const record of records) {
    const stationId = record.stationId;
    const stored: Stored = {
      seq: seqStates.get(stationId),
      status: statuses.get(stationId),
      suspension: suspensions.get(stationId) ?? null,
    };
    for (const purchase of await ctx.store.quotaPurchases(stationId))
      ctx.provenance.purchaseRecorded(purchase);
    const station = replaceState(ctx, record, stored);
    await catchUpMirror(ctx, station, stored.seq);
  }
  // The previous owner may have stored withdrawal completions whose bank settlement it never
  // finished (killed in between): re-driven here, as restore.ts does at start-up (idempotent).
  let settlements = 0;
  for (const event of await ctx.store.pendingSettlements())
    if (ids.has(event.stationId)) {
      settle(ctx, event);
      settlements += 1;
    }
  ctx.log.info({ stations: records.length, settlements }, 'stations reloaded from the store');
  return [...ids];
}

/** The station's state from the store, keeping the mirror (a fold) and what the store does not hold. */
function replaceState(ctx: IngestContext, record: StationRecord, stored: Stored): StationState {
  const previous = ctx.stations.get(record.stationId);
  // A re-enrolled key (another gateway's API) or a station enrolled since this gateway started.
  ctx.verifier.addKey(record.fingerprint, pemToSpkiDer(record.publicKeyPem));
  if (previous === undefined) ctx.ledger.registerStation(record);
  const fresh = newStationState(
    record,
    stored.seq?.ackedSeq ?? 0,
    stored.seq?.storedAbove ?? [],
    stored.status,
  );
  const station: StationState =
    previous === undefined
      ? // New here: the mirror takes every handled seq from 1 (catchUpMirror), as restore.ts does.
        { ...fresh, mirror: newStationState(record, 0, [], undefined).mirror }
      : {
          ...fresh,
          mirror: previous.mirror,
          refusals: previous.refusals,
          networkBlock: previous.networkBlock,
          refusalCount: previous.refusalCount,
          hardwareRefusals: previous.hardwareRefusals,
        };
  station.suspension = stored.suspension;
  ctx.stations.set(record.stationId, station);
  // The tracker is the store's: its ack point is at least the stored one.
  if (station.tracker.ackedSeq < (stored.seq?.ackedSeq ?? 0))
    throw new Error('assert: a reloaded tracker starts at the stored ack point');
  return station;
}

/** Offer the mirror every handled seq it has not taken, in seq order; set the chain tip. */
async function catchUpMirror(
  ctx: IngestContext,
  station: StationState,
  seq: StationSeqState | undefined,
): Promise<void> {
  const stationId = station.record.stationId;
  const events = new Map<number, StationEvent>();
  for (const event of await ctx.store.eventsOfStation(stationId)) {
    events.set(event.seq, event);
    ctx.held.stored(event.eventId);
    if (station.chainTip === null || event.seq > station.chainTip.seq)
      station.chainTip = { seq: event.seq, sha256Hex: event.envelopeSha256 };
  }
  const ackedSeq = seq?.ackedSeq ?? 0;
  const handled: number[] = [];
  for (let s = station.mirror.nextSeq; s <= ackedSeq; s += 1) handled.push(s);
  for (const s of [...(seq?.storedAbove ?? [])].sort((a, b) => a - b))
    if (s >= station.mirror.nextSeq) handled.push(s);
  if (handled.length === 0) return;
  const judged = await ctx.integrity.provenanceJudgements(stationId, provenanceCodes);
  const nextSeqBefore = station.mirror.nextSeq;
  for (const s of handled) {
    // A refused seq (handled, not stored) is a placeholder; the discrepancies these events show
    // were recorded by the gateway that stored them.
    const release = station.mirror.offer(s, events.get(s) ?? null);
    for (const event of release.apply) ctx.ledger.apply(event, judged.get(event.eventId) ?? []);
  }
  if (station.mirror.nextSeq < nextSeqBefore) throw new Error('assert: the mirror never moves back');
}

/** Grants and R5 approvals of the reloaded stations: the previous owner made and released some. */
async function reloadGrantsAndTally(ctx: IngestContext, ids: ReadonlySet<string>): Promise<void> {
  const nowMs = ctx.clock.nowMs();
  for (const grant of await ctx.integrity.grantsSince(nowMs - withdrawalGrantsRestoreMsBack))
    if (ids.has(grant.stationId)) ctx.provenance.grantRecorded(grant);
  const open = (
    await ctx.store.openWithdrawalApprovals(shanghaiDate(nowMs - withdrawalTallyRestoreMsBack))
  ).filter((a) => ids.has(a.stationId));
  const openIds = new Set(open.map((a) => a.requestId));
  for (const stationId of ids)
    for (const requestId of ctx.tally.requestIdsOfStation(stationId))
      if (!openIds.has(requestId)) ctx.tally.released(requestId);
  ctx.tally.restore(open);
}
