// HQ's quota view of one station computed offline from the store (the `hq` CLI's `config send`
// and `quota purchase`, which run beside or without the gateway): the ledger mirror rebuilt from
// the station's stored events with the provenance judgements recorded at ingest (issue 8), so a
// quota purchase HQ never recorded, or a withdrawal it never authorised, is not counted here
// either. Without them an offline rebuild would sign a config with a forged quota balance.
import type { CalendarYear } from '@bianmin/core-ledger';
import { provenanceCodes } from '../domain/provenance.js';
import type { IntegrityStore } from '../ports/integrity-store.js';
import type { Store } from '../ports/store.js';
import { createLedgerMirror } from './ledger-mirror-factory.js';

export interface QuotaSourceDeps {
  /** True when this gateway owns the station's events (always, with one gateway). */
  readonly ownsStation: (stationId: string) => boolean;
  /** The running ledger and ack point of an owned station (memory, current). */
  readonly owned: (stationId: string) => { quotaFen: number; throughSeq: number };
  readonly store: Pick<Store, 'getStation' | 'eventsOfStation' | 'loadSeqStates'>;
  readonly integrity: Pick<IntegrityStore, 'provenanceJudgements'>;
  readonly calendarYears: readonly CalendarYear[];
}

/**
 * The quota view the API and HQ's operations sign configs and record purchases with (issue 14):
 * the running ledger for a station this gateway owns; for one another gateway owns (N gateways,
 * partitions by station), the view rebuilt from the one store, never this process's copy, which
 * stopped moving when the partition left (a config signed from it would carry a stale balance).
 */
export function quotaSource(
  deps: QuotaSourceDeps,
): (stationId: string) => Promise<{ quotaFen: number; throughSeq: number }> {
  return async (stationId) =>
    deps.ownsStation(stationId)
      ? deps.owned(stationId)
      : stationQuotaView(deps.store, deps.integrity, deps.calendarYears, stationId);
}

export async function stationQuotaView(
  store: Pick<Store, 'getStation' | 'eventsOfStation' | 'loadSeqStates'>,
  integrity: Pick<IntegrityStore, 'provenanceJudgements'>,
  calendarYears: readonly CalendarYear[],
  stationId: string,
): Promise<{ quotaFen: number; throughSeq: number }> {
  const station = await store.getStation(stationId);
  const mirror = createLedgerMirror(calendarYears);
  if (station !== undefined) mirror.registerStation(station);
  const judged = await integrity.provenanceJudgements(stationId, provenanceCodes);
  for (const event of await store.eventsOfStation(stationId))
    mirror.apply(event, judged.get(event.eventId) ?? []);
  const throughSeq = (await store.loadSeqStates()).find((s) => s.stationId === stationId)?.ackedSeq ?? 0;
  return { quotaFen: mirror.quotaFenAvailable(stationId), throughSeq };
}
