// The StationViewStore as the obviously-correct reference (issue 11): every station read through
// the broad ports (Store, OpsStore's branches, IntegrityStore's suspensions), then filtered, sorted
// and paged in memory, exactly as the views were built before they became store queries. It is
// the model the contract suite holds the SQLite and PostgreSQL adapters to, and the adapter for a
// store that has no query of its own; it reads every station per call, so it is not for 10,000.
import assert from 'node:assert/strict';
import { stationStateOf } from '../../domain/station-state.js';
import type { DiscrepancyRecord, StationEvent } from '../../domain/types.js';
import type { IntegrityStore } from '../../ports/integrity-store.js';
import type { OpsStore } from '../../ports/ops-store.js';
import type {
  StationDetail,
  StationRow,
  StationViewQuery,
  StationViewStore,
} from '../../ports/station-view-store.js';
import type { Store } from '../../ports/store.js';

export interface MemoryStationViewDeps {
  readonly store: Pick<Store, 'listStations' | 'loadStatuses' | 'eventsOfStation' | 'discrepancies'>;
  readonly ops: Pick<OpsStore, 'stationBranches'>;
  readonly integrity: Pick<IntegrityStore, 'suspensions'>;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class MemoryStationViewStore implements StationViewStore {
  readonly #deps: MemoryStationViewDeps;

  constructor(deps: MemoryStationViewDeps) {
    this.#deps = deps;
  }

  async #details(): Promise<StationDetail[]> {
    const { store, ops, integrity } = this.#deps;
    const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
    const suspensions = new Map((await integrity.suspensions()).map((s) => [s.stationId, s]));
    const branches = await ops.stationBranches();
    return (await store.listStations())
      .map((station) => {
        const status = statuses.get(station.stationId);
        assert(status !== undefined, `station ${station.stationId} has a status row`);
        return {
          station,
          branchId: branches.get(station.stationId) ?? null,
          status,
          suspension: suspensions.get(station.stationId) ?? null,
        };
      })
      .sort((a, b) => byteOrder(a.station.stationId, b.station.stationId));
  }

  async stationRows(query: StationViewQuery): Promise<{ total: number; items: StationRow[] }> {
    assert(Number.isSafeInteger(query.limit) && query.limit > 0, 'stationRows: limit > 0');
    assert(Number.isSafeInteger(query.offset) && query.offset >= 0, 'stationRows: offset >= 0');
    const search = query.search?.toLowerCase();
    const scope = query.scopeBranchId;
    const matching = (await this.#details())
      .map(
        (d): StationRow => ({
          stationId: d.station.stationId,
          orgCode: d.station.orgCode,
          branchId: d.branchId,
          state: stationStateOf(d.status.online, d.status.lastSeenMs, d.suspension),
          online: d.status.online,
          lastSeenMs: d.status.lastSeenMs,
          suspension: d.suspension,
        }),
      )
      .filter(
        (r) =>
          (scope === undefined || r.branchId === scope) &&
          (query.state === undefined || r.state === query.state) &&
          (query.branchId === undefined || r.branchId === query.branchId) &&
          (search === undefined ||
            r.stationId.toLowerCase().includes(search) ||
            r.orgCode.toLowerCase().includes(search)),
      );
    return { total: matching.length, items: matching.slice(query.offset, query.offset + query.limit) };
  }

  async stationDetail(stationId: string): Promise<StationDetail | undefined> {
    return (await this.#details()).find((d) => d.station.stationId === stationId);
  }

  async lastEvents(stationId: string, limit: number): Promise<StationEvent[]> {
    return (await this.#deps.store.eventsOfStation(stationId)).slice(-limit).reverse();
  }

  async stationDiscrepancies(stationId: string, limit: number): Promise<DiscrepancyRecord[]> {
    const all = await this.#deps.store.discrepancies(Number.MAX_SAFE_INTEGER);
    return all.filter((d) => d.stationId === stationId).slice(0, limit);
  }
}
