// Start-up: the pipeline's state rebuilt from the store. Every enrolled station with its sequence
// state and status; the ledger mirror re-applied in seq order (what lies beyond a gap waits for
// it, refused seqs are placeholders); the R5 tally of the current business day(s); the card-key
// fingerprint checked; and withdrawal settlements not yet confirmed re-driven.
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { provenanceCodes } from '../../domain/provenance.js';
import type { StationRecord, StationStatus } from '../../domain/types.js';
import { withdrawalGrantsRestoreMsBack, withdrawalTallyRestoreMsBack } from '../../limits.js';
import type { IngestContext } from './context.js';
import { settle } from './settlement.js';
import { newStationState } from './station-state.js';

/** Where HQ keeps the fingerprint of the card-key secret of its last run (hq_meta). */
const cardKeyFingerprintMeta = 'card_key_fingerprint';

/** Bind a station: its key to the verifier, its record to the ledger mirror, its state here. */
export function addStation(
  ctx: IngestContext,
  record: StationRecord,
  ackedSeq: number,
  storedAbove: readonly number[],
  status: StationStatus | undefined,
): void {
  ctx.verifier.addKey(record.fingerprint, pemToSpkiDer(record.publicKeyPem));
  ctx.ledger.registerStation(record);
  ctx.stations.set(record.stationId, newStationState(record, ackedSeq, storedAbove, status));
}

export async function restore(ctx: IngestContext): Promise<void> {
  const { store } = ctx;
  // Provenance first (issue 8): HQ's recorded purchases and recent grants, so the events still
  // waiting beyond a gap are judged against them; stored events are judged as they were at ingest.
  const nowMs = ctx.clock.nowMs();
  for (const grant of await ctx.integrity.grantsSince(nowMs - withdrawalGrantsRestoreMsBack))
    ctx.provenance.grantRecorded(grant);
  const suspensions = new Map((await ctx.integrity.suspensions()).map((s) => [s.stationId, s]));
  const seqStates = new Map((await store.loadSeqStates()).map((s) => [s.stationId, s]));
  const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
  for (const record of await store.listStations()) {
    const seq = seqStates.get(record.stationId);
    addStation(ctx, record, seq?.ackedSeq ?? 0, seq?.storedAbove ?? [], statuses.get(record.stationId));
    const station = ctx.stations.get(record.stationId)!;
    station.suspension = suspensions.get(record.stationId) ?? null;
    for (const purchase of await store.quotaPurchases(record.stationId))
      ctx.provenance.purchaseRecorded(purchase);
    const judged = await ctx.integrity.provenanceJudgements(record.stationId, provenanceCodes);
    const above = new Set(seq?.storedAbove ?? []);
    for (const event of await store.eventsOfStation(record.stationId)) {
      if (event.seq < station.mirror.nextSeq) ctx.ledger.apply(event, judged.get(event.eventId) ?? []);
      else station.mirror.restorePending(event.seq, event);
      above.delete(event.seq);
      ctx.held.stored(event.eventId);
      if (station.chainTip === null || event.seq > station.chainTip.seq)
        station.chainTip = { seq: event.seq, sha256Hex: event.envelopeSha256 };
    }
    for (const refused of above)
      if (refused >= station.mirror.nextSeq) station.mirror.restorePending(refused, null);
  }
  // The R5 tally of the current business day(s), before the settlements re-driven below: a
  // release they make must find its approval.
  const tallyDateMin = shanghaiDate(ctx.clock.nowMs() - withdrawalTallyRestoreMsBack);
  const restored = ctx.tally.restore(await store.openWithdrawalApprovals(tallyDateMin));
  // The restored approvals are keyed with the card-key secret of the run that made them: if the
  // secret changed, today's per-card tally cannot match them (the per-station tally still does).
  const fingerprint = ctx.settings.cardKeySecret.fingerprint();
  const storedFingerprint = await store.getMeta(cardKeyFingerprintMeta);
  if (storedFingerprint !== undefined && storedFingerprint !== fingerprint) {
    ctx.log.warn(
      { code: 'HQ_CARD_KEY_CHANGED', withdrawalApprovalsRestored: restored },
      "the card-key secret changed since the last run: today's per-card withdrawal tally starts again",
    );
  }
  if (storedFingerprint !== fingerprint) await store.setMeta(cardKeyFingerprintMeta, fingerprint);
  for (const event of await store.pendingSettlements()) settle(ctx, event);
  for (const s of suspensions.values()) {
    ctx.log.warn(
      { code: s.reasonCode, stationId: s.stationId, detail: s.detail },
      'station suspended (alert)',
    );
  }
  ctx.log.info(
    { stations: ctx.stations.size, withdrawalApprovalsRestored: restored, suspended: suspensions.size },
    'ingest pipeline started',
  );
}

/** SPKI DER of a PEM public key (the verifier takes DER). */
export function pemToSpkiDer(pem: string): Uint8Array {
  const base64 = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
