// Read views of stations for the HTTP API and the CLI (issue 11): the station list (filter by
// status, branch and search; stable order by station id; server-side paging) and one station's
// page (status, config version, fee schedules, quota balance and purchases, last events,
// discrepancies), as store queries (ports/station-view-store.ts): filter, scope and paging in SQL.
// A branch user sees only its own branch (the scope is a condition of the query, not a filter after).
import assert from 'node:assert/strict';
import { feeSchedulesOf, type HqFeeSchedule } from '../domain/fee-check.js';
import type { Actor } from '../domain/roles.js';
import { type StationState, stationStateOf } from '../domain/station-state.js';
import type { DiscrepancyRecord, StationRecord } from '../domain/types.js';
import { HqError } from '../errors.js';
import { stationPageEventsMax, stationViewRowsMax } from '../limits.js';
import type { Suspension } from '../ports/integrity-store.js';
import type { StationDetail, StationRow, StationViewStore } from '../ports/station-view-store.js';
import type { QuotaPurchaseRecord, Store } from '../ports/store.js';
import type { StationDefaults } from './operations.js';

export { type StationState, stationStates } from '../domain/station-state.js';
export type { StationRow } from '../ports/station-view-store.js';

export interface StationQuery {
  readonly state?: StationState;
  readonly branchId?: string;
  /** Substring of the station id or org code (case-insensitive). */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface StationViewDeps {
  readonly store: Pick<Store, 'latestConfig' | 'quotaPurchases'>;
  /** The list and the page as store queries (SQLite, PostgreSQL, or the memory reference). */
  readonly views: StationViewStore;
  readonly quotaOf: (stationId: string) => Promise<{ quotaFen: number; throughSeq: number }>;
  readonly defaults: StationDefaults;
}

/**
 * The actor's scope as a store filter: undefined for HQ roles (every station), the branch id for
 * a branch user, null for a branch user without a branch (sees nothing).
 */
function scopeOf(actor: Actor): string | undefined | null {
  if (actor.role !== 'branch') return undefined;
  return actor.branchId;
}

export class StationViews {
  readonly #deps: StationViewDeps;

  constructor(deps: StationViewDeps) {
    this.#deps = deps;
  }

  /** Every station the actor may see, in station-id order (the overview's counts). */
  async rows(actor: Actor): Promise<StationRow[]> {
    const { total, items } = await this.list(actor, { limit: stationViewRowsMax, offset: 0 });
    assert(total <= stationViewRowsMax, `rows: more than ${stationViewRowsMax} stations`);
    return items;
  }

  /** One page of the stations the actor may see, filtered in the store, in station-id order. */
  async list(actor: Actor, query: StationQuery): Promise<{ total: number; items: StationRow[] }> {
    const scope = scopeOf(actor);
    if (scope === null) return { total: 0, items: [] };
    return this.#deps.views.stationRows({
      ...query,
      ...(scope === undefined ? {} : { scopeBranchId: scope }),
    });
  }

  /** The station as the actor may see it; outside a branch user's branch it does not exist for them. */
  async visibleStation(actor: Actor, stationId: string): Promise<StationRecord> {
    return (await this.#visible(actor, stationId)).station;
  }

  async #visible(actor: Actor, stationId: string): Promise<StationDetail> {
    const detail = await this.#deps.views.stationDetail(stationId);
    const scope = scopeOf(actor);
    if (detail === undefined || (scope !== undefined && (scope === null || detail.branchId !== scope))) {
      const message = `station ${stationId} is not enrolled`;
      throw new HqError('HQ_STATION_NOT_FOUND', message, {
        problems: [{ code: 'HQ_STATION_NOT_FOUND', field: 'stationId', message }],
      });
    }
    return detail;
  }

  async page(actor: Actor, stationId: string): Promise<StationPage> {
    // One station by key: its row, its newest events and its discrepancies, each a bounded query.
    const { station, branchId, status, suspension } = await this.#visible(actor, stationId);
    const { store, views } = this.#deps;
    const [config, quota, purchases, events, discrepancies] = await Promise.all([
      store.latestConfig(stationId),
      this.#deps.quotaOf(stationId),
      store.quotaPurchases(stationId),
      views.lastEvents(stationId, stationPageEventsMax),
      views.stationDiscrepancies(stationId, stationPageEventsMax),
    ]);
    return {
      stationId,
      orgCode: station.orgCode,
      keyId: station.keyId,
      fingerprint: station.fingerprint,
      enrolledAtMs: station.enrolledAtMs,
      branchId,
      state: stationStateOf(status.online, status.lastSeenMs, suspension),
      suspension,
      status: {
        online: status.online,
        offlineReason: status.offlineReason,
        lastSeenMs: status.lastSeenMs,
        outboxDepth: status.outboxDepth,
        peripherals: status.peripherals.map((p) => ({ name: p.name, ok: p.ok })),
      },
      configVersion: config?.version ?? 0,
      feeSchedules: feeSchedulesOf(this.#deps.defaults),
      quotaFen: quota.quotaFen,
      quotaThroughSeq: quota.throughSeq,
      quotaPurchases: purchases,
      lastEvents: events.map((e) => ({
        eventId: e.eventId,
        seq: e.seq,
        kind: e.kind,
        createdAtMs: e.createdAtMs,
        businessDate: e.businessDate,
        amountFen: e.amountFen,
        feeFen: e.feeFen,
      })),
      discrepancies,
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
