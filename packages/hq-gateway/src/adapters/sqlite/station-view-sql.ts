// The station list's SQL (issue 11), written once for both SQL adapters: the joins, the state
// filter as plain conditions (domain/station-state.ts's order: revoked key, other suspension,
// online, seen before, never seen), the branch user's scope and the search, with the dialect's
// placeholders and byte-order collation. The paging query and the count share one WHERE.
import assert from 'node:assert/strict';
import { keyRevokedReasonCode, stationStateOf } from '../../domain/station-state.js';
import type { DiscrepancyRecord } from '../../domain/types.js';
import type { Suspension } from '../../ports/integrity-store.js';
import type { StationRow, StationViewQuery } from '../../ports/station-view-store.js';

export interface StationViewDialect {
  /** The placeholder of the n-th value (1-based). */
  param(index: number): string;
  /** An ORDER BY term sorting station ids by their bytes. */
  readonly idOrder: string;
  /** True when `needle` (already lowercase) is in `column`, case-insensitively. */
  contains(column: string, needle: string): string;
}

export const postgresDialect: StationViewDialect = {
  param: (index) => `$${index}`,
  idOrder: 's.station_id COLLATE "C"',
  contains: (column, needle) => `strpos(lower(${column}), ${needle}) > 0`,
};

export const sqliteDialect: StationViewDialect = {
  param: () => '?',
  idOrder: 's.station_id',
  contains: (column, needle) => `instr(lower(${column}), ${needle}) > 0`,
};

export const stationViewFrom = `FROM stations s
  LEFT JOIN hq_station_branches b ON b.station_id = s.station_id
  LEFT JOIN station_suspensions p ON p.station_id = s.station_id`;

/** The columns of a row: the station's, its branch, its suspension (NULLs when none). */
export const stationViewColumns = `s.station_id, s.org_code, s.online, s.last_seen_ms, b.branch_id,
  p.station_id AS suspended_station_id, p.reason_code AS suspension_reason_code,
  p.detail AS suspension_detail, p.since_ms AS suspension_since_ms`;

export interface StationViewSql {
  readonly rows: string;
  readonly rowValues: unknown[];
  readonly count: string;
  readonly countValues: unknown[];
}

export function stationViewSql(dialect: StationViewDialect, query: StationViewQuery): StationViewSql {
  assert(Number.isSafeInteger(query.limit) && query.limit > 0, 'stationViewSql: limit > 0');
  assert(Number.isSafeInteger(query.offset) && query.offset >= 0, 'stationViewSql: offset >= 0');
  const values: unknown[] = [];
  const bind = (value: unknown): string => {
    values.push(value);
    return dialect.param(values.length);
  };
  const where: string[] = [];
  if (query.scopeBranchId !== undefined) where.push(`b.branch_id = ${bind(query.scopeBranchId)}`);
  if (query.branchId !== undefined) where.push(`b.branch_id = ${bind(query.branchId)}`);
  if (query.search !== undefined) {
    const needle = query.search.toLowerCase();
    where.push(
      `(${dialect.contains('s.station_id', bind(needle))} OR ${dialect.contains('s.org_code', bind(needle))})`,
    );
  }
  switch (query.state) {
    case undefined:
      break;
    case 'revoked':
      where.push(`p.reason_code = ${bind(keyRevokedReasonCode)}`);
      break;
    case 'suspended':
      where.push(`p.station_id IS NOT NULL AND p.reason_code <> ${bind(keyRevokedReasonCode)}`);
      break;
    case 'online':
      where.push('p.station_id IS NULL AND s.online');
      break;
    case 'offline':
      where.push('p.station_id IS NULL AND NOT s.online AND s.last_seen_ms > 0');
      break;
    case 'never_seen':
      where.push('p.station_id IS NULL AND NOT s.online AND s.last_seen_ms <= 0');
      break;
  }
  const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const countValues = [...values];
  const limit = bind(query.limit);
  const offset = bind(query.offset);
  return {
    rows: `SELECT ${stationViewColumns} ${stationViewFrom} ${whereSql} ORDER BY ${dialect.idOrder} LIMIT ${limit} OFFSET ${offset}`,
    rowValues: values,
    count: `SELECT count(*) AS total ${stationViewFrom} ${whereSql}`,
    countValues,
  };
}

type ViewRow = Readonly<Record<string, unknown>>;

/** The suspension columns of a row (stationViewColumns' aliases), null when not suspended. */
export function suspensionOfRow(row: ViewRow): Suspension | null {
  if (row.suspended_station_id === null || row.suspended_station_id === undefined) return null;
  return {
    stationId: String(row.suspended_station_id),
    reasonCode: String(row.suspension_reason_code),
    detail: String(row.suspension_detail),
    sinceMs: Number(row.suspension_since_ms),
  };
}

/** A list row; `online` is read by the adapter (BOOLEAN on PostgreSQL, 0/1 on SQLite). */
export function toStationRow(row: ViewRow, online: boolean): StationRow {
  const suspension = suspensionOfRow(row);
  const lastSeenMs = Number(row.last_seen_ms);
  assert(Number.isSafeInteger(lastSeenMs), 'stations.last_seen_ms is a safe integer');
  return {
    stationId: String(row.station_id),
    orgCode: String(row.org_code),
    branchId: row.branch_id === null || row.branch_id === undefined ? null : String(row.branch_id),
    state: stationStateOf(online, lastSeenMs, suspension),
    online,
    lastSeenMs,
    suspension,
  };
}

export function toDiscrepancy(row: ViewRow): DiscrepancyRecord {
  return {
    stationId: String(row.station_id),
    eventId: String(row.event_id),
    code: String(row.code),
    expected: String(row.expected),
    actual: String(row.actual),
    detail: String(row.detail),
    foundAtMs: Number(row.found_at_ms),
  };
}
