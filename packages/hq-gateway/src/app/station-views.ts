// Read views of stations for the HTTP API and the CLI (issue 11): the station list (filter by
// status, branch and search; stable order by station id; server-side paging) and one station's
// page (status, config version, fee schedules, quota balance and purchases, last events,
// discrepancies). Branch users see only their own branch (domain/roles.ts seesBranch).
import { feeSchedulesOf, type HqFeeSchedule } from '../domain/fee-check.js';
import { type Actor, seesBranch } from '../domain/roles.js';
import type { DiscrepancyRecord, StationRecord } from '../domain/types.js';
import { HqError } from '../errors.js';
import { reportRowsMax, stationPageEventsMax } from '../limits.js';
import type { IntegrityStore, Suspension } from '../ports/integrity-store.js';
import type { OpsStore } from '../ports/ops-store.js';
import type { QuotaPurchaseRecord, Store } from '../ports/store.js';
import type { StationDefaults } from './operations.js';

export type StationState = 'online' | 'offline' | 'suspended' | 'revoked' | 'never_seen';
export const stationStates: readonly StationState[] = [
  'online',
  'offline',
  'suspended',
  'revoked',
  'never_seen',
];

export interface StationRow {
  readonly stationId: string;
  readonly orgCode: string;
  readonly branchId: string | null;
  readonly state: StationState;
  readonly online: boolean;
  readonly lastSeenMs: number;
  readonly suspension: Suspension | null;
}

export interface StationQuery {
  readonly state?: StationState;
  readonly branchId?: string;
  /** Substring of the station id or org code (case-insensitive). */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface StationViewDeps {
  readonly store: Store;
  readonly ops: Pick<OpsStore, 'stationBranches'>;
  readonly integrity: Pick<IntegrityStore, 'suspensions'>;
  readonly quotaOf: (stationId: string) => Promise<{ quotaFen: number; throughSeq: number }>;
  readonly defaults: StationDefaults;
}

function stateOf(online: boolean, lastSeenMs: number, suspension: Suspension | undefined): StationState {
  if (suspension?.reasonCode === 'HQ_STATION_KEY_REVOKED') return 'revoked';
  if (suspension !== undefined) return 'suspended';
  if (online) return 'online';
  return lastSeenMs > 0 ? 'offline' : 'never_seen';
}

/** A station's row from what the store holds about it. */
function rowOf(
  station: StationRecord,
  branchId: string | null,
  status: { readonly online: boolean; readonly lastSeenMs: number } | undefined,
  suspension: Suspension | undefined,
): StationRow {
  const online = status?.online ?? false;
  const lastSeenMs = status?.lastSeenMs ?? 0;
  return {
    stationId: station.stationId,
    orgCode: station.orgCode,
    branchId,
    state: stateOf(online, lastSeenMs, suspension),
    online,
    lastSeenMs,
    suspension: suspension ?? null,
  };
}

export class StationViews {
  readonly #deps: StationViewDeps;

  constructor(deps: StationViewDeps) {
    this.#deps = deps;
  }

  /** Every station the actor may see, in station-id order. */
  async rows(actor: Actor): Promise<StationRow[]> {
    const { store, ops, integrity } = this.#deps;
    const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
    const suspensions = new Map((await integrity.suspensions()).map((s) => [s.stationId, s]));
    const branches = await ops.stationBranches();
    const rows: StationRow[] = [];
    for (const station of await store.listStations()) {
      const branchId = branches.get(station.stationId) ?? null;
      if (!seesBranch(actor, branchId)) continue;
      rows.push(
        rowOf(station, branchId, statuses.get(station.stationId), suspensions.get(station.stationId)),
      );
    }
    return rows.sort((a, b) => (a.stationId < b.stationId ? -1 : a.stationId > b.stationId ? 1 : 0));
  }

  async list(actor: Actor, query: StationQuery): Promise<{ total: number; items: StationRow[] }> {
    const search = query.search?.toLowerCase();
    const matching = (await this.rows(actor)).filter(
      (r) =>
        (query.state === undefined || r.state === query.state) &&
        (query.branchId === undefined || r.branchId === query.branchId) &&
        (search === undefined ||
          r.stationId.toLowerCase().includes(search) ||
          r.orgCode.toLowerCase().includes(search)),
    );
    return { total: matching.length, items: matching.slice(query.offset, query.offset + query.limit) };
  }

  /** The station as the actor may see it; outside a branch user's branch it does not exist for them. */
  async visibleStation(actor: Actor, stationId: string): Promise<StationRecord> {
    return (await this.#visible(actor, stationId)).station;
  }

  async #visible(
    actor: Actor,
    stationId: string,
  ): Promise<{ station: StationRecord; branchId: string | null }> {
    const station = await this.#deps.store.getStation(stationId);
    const branchId = (await this.#deps.ops.stationBranches()).get(stationId) ?? null;
    if (station === undefined || !seesBranch(actor, branchId)) {
      const message = `station ${stationId} is not enrolled`;
      throw new HqError('HQ_STATION_NOT_FOUND', message, {
        problems: [{ code: 'HQ_STATION_NOT_FOUND', field: 'stationId', message }],
      });
    }
    return { station, branchId };
  }

  async page(actor: Actor, stationId: string): Promise<StationPage> {
    // One station: its own row, not every station's (each status read once).
    const { station, branchId } = await this.#visible(actor, stationId);
    const { store, integrity } = this.#deps;
    const status = (await store.loadStatuses()).find((s) => s.stationId === stationId);
    const suspension = (await integrity.suspensions()).find((s) => s.stationId === stationId);
    const row = rowOf(station, branchId, status, suspension);
    const config = await store.latestConfig(stationId);
    const quota = await this.#deps.quotaOf(stationId);
    const events = await store.eventsOfStation(stationId);
    const discrepancies = (await store.discrepancies(reportRowsMax)).filter((d) => d.stationId === stationId);
    return {
      stationId,
      orgCode: station.orgCode,
      keyId: station.keyId,
      fingerprint: station.fingerprint,
      enrolledAtMs: station.enrolledAtMs,
      branchId: row.branchId,
      state: row.state,
      suspension: row.suspension,
      status: {
        online: status?.online ?? false,
        offlineReason: status?.offlineReason ?? null,
        lastSeenMs: status?.lastSeenMs ?? 0,
        outboxDepth: status?.outboxDepth ?? 0,
        peripherals: (status?.peripherals ?? []).map((p) => ({ name: p.name, ok: p.ok })),
      },
      configVersion: config?.version ?? 0,
      feeSchedules: feeSchedulesOf(this.#deps.defaults),
      quotaFen: quota.quotaFen,
      quotaThroughSeq: quota.throughSeq,
      quotaPurchases: await store.quotaPurchases(stationId),
      lastEvents: events
        .slice(-stationPageEventsMax)
        .reverse()
        .map((e) => ({
          eventId: e.eventId,
          seq: e.seq,
          kind: e.kind,
          createdAtMs: e.createdAtMs,
          businessDate: e.businessDate,
          amountFen: e.amountFen,
          feeFen: e.feeFen,
        })),
      discrepancies: discrepancies.slice(0, stationPageEventsMax),
    };
  }
}

export interface StationPage {
  readonly stationId: string;
  readonly orgCode: string;
  readonly keyId: string;
  readonly fingerprint: string;
  readonly enrolledAtMs: number;
  readonly branchId: string | null;
  readonly state: StationState;
  readonly suspension: Suspension | null;
  readonly status: {
    readonly online: boolean;
    readonly offlineReason: string | null;
    readonly lastSeenMs: number;
    readonly outboxDepth: number;
    readonly peripherals: ReadonlyArray<{ readonly name: string; readonly ok: boolean }>;
  };
  readonly configVersion: number;
  readonly feeSchedules: readonly HqFeeSchedule[];
  readonly quotaFen: number;
  readonly quotaThroughSeq: number;
  readonly quotaPurchases: readonly QuotaPurchaseRecord[];
  readonly lastEvents: ReadonlyArray<Record<string, unknown>>;
  readonly discrepancies: readonly DiscrepancyRecord[];
}
