// The StationViewStore port (issue 11): the station list and one station's page read as store
// queries, so a request costs one page of rows, not every station's. Filter (state, branch,
// search), the branch user's scope, the stable order (station id, byte order) and the paging are
// the store's work, in SQL on SQLite and PostgreSQL; the memory adapter composes the broad ports
// and is the reference the contract suite (test/store-contract/station-views.test.ts) compares
// the SQL ones with.
import type { StationState } from '../domain/station-state.js';
import type { DiscrepancyRecord, StationEvent, StationRecord, StationStatus } from '../domain/types.js';
import type { Suspension } from './integrity-store.js';

export interface StationRow {
  readonly stationId: string;
  readonly orgCode: string;
  readonly branchId: string | null;
  readonly state: StationState;
  readonly online: boolean;
  readonly lastSeenMs: number;
  readonly suspension: Suspension | null;
}

export interface StationViewQuery {
  /**
   * The caller's scope: only stations of this branch office (a branch user's own). Absent: every
   * station. Applied in the query, with `branchId` as a further filter.
   */
  readonly scopeBranchId?: string;
  readonly state?: StationState;
  readonly branchId?: string;
  /** Substring of the station id or org code, case-insensitive (ASCII). */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

/** One station with what its page shows beside the ingest details. */
export interface StationDetail {
  readonly station: StationRecord;
  readonly branchId: string | null;
  readonly status: StationStatus;
  readonly suspension: Suspension | null;
}

export interface StationViewStore {
  /** The matching rows in station-id order (byte order), one page of them, and how many match. */
  stationRows(query: StationViewQuery): Promise<{ total: number; items: StationRow[] }>;
  /** One station by key; undefined when not enrolled. */
  stationDetail(stationId: string): Promise<StationDetail | undefined>;
  /** The station's newest `limit` events, newest first. */
  lastEvents(stationId: string, limit: number): Promise<StationEvent[]>;
  /** The station's first `limit` discrepancies in the order they were found. */
  stationDiscrepancies(stationId: string, limit: number): Promise<DiscrepancyRecord[]>;
}
