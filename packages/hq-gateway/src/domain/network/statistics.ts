// Postal branches (R12 sites) and their monthly development statistics (R16): each branch reports
// its stations' development for a month by the 5th of the next month; the insurance and
// distribution revenue it reports is what R11 commissions are paid on. A resubmission is a new
// record (a correction); the latest counts, the first decides whether it was on time.
import { assert } from '../assert.js';
import { isMonth, nextMonth, previousMonth, STATISTICS_DUE_DAY_OF_MONTH, shanghaiDate } from './deadlines.js';
import type { DueItem } from './due-items.js';
import { type GeoPoint, isGeoPoint } from './geo.js';
import { type Decision, decide, fieldInvalid, type NetReason } from './refusal.js';

export interface BranchView {
  readonly branchId: string;
  readonly name: string;
  readonly location: GeoPoint;
}

export interface StatisticsLine {
  readonly stationId: string;
  readonly businessType: 'INSURANCE' | 'DISTRIBUTION';
  readonly revenueFen: number;
}

export interface StatisticsView {
  readonly branchId: string;
  readonly month: string;
  readonly version: number;
  readonly firstSubmittedDate: string;
  readonly dueDate: string;
  readonly late: boolean;
  readonly stationsOpened: number;
  readonly stationsClosed: number;
  readonly lines: readonly StatisticsLine[];
}

type Payload = Readonly<Record<string, unknown>>;

/** R16: the statistics for `month` are due on the 5th of the month after. */
export function statisticsDueDate(month: string): string {
  assert(isMonth(month), 'month is YYYY-MM');
  return `${nextMonth(month)}-${String(STATISTICS_DUE_DAY_OF_MONTH).padStart(2, '0')}`;
}

export function decideBranch(
  view: BranchView | undefined,
  input: Payload,
): Decision<Record<string, unknown>> {
  assert(typeof input === 'object' && input !== null, 'input is an object');
  const reasons: NetReason[] = [];
  if (view !== undefined)
    reasons.push({ code: 'HQ_NET_ALREADY_EXISTS', message: `branch ${view.branchId} already exists` });
  if (!(typeof input.name === 'string' && input.name.trim().length > 0 && input.name.length <= 200))
    reasons.push(fieldInvalid('name', 'the branch name'));
  if (!isGeoPoint(input.location))
    reasons.push(fieldInvalid('location', '{ latitudeDeg, longitudeDeg } in degrees'));
  return decide(reasons, () => ({ name: input.name, location: input.location }));
}

export function foldBranch(
  branchId: string,
  records: readonly { payload: Payload }[],
): BranchView | undefined {
  assert(records.length <= 1, 'a branch is registered once');
  const first = records[0];
  if (first === undefined) return undefined;
  return { branchId, name: first.payload.name as string, location: first.payload.location as GeoPoint };
}

export function decideStatistics(input: Payload): Decision<Record<string, unknown>> {
  assert(typeof input === 'object' && input !== null, 'input is an object');
  const reasons: NetReason[] = [];
  if (!isMonth(input.month)) reasons.push(fieldInvalid('month', 'YYYY-MM'));
  for (const field of ['stationsOpened', 'stationsClosed'] as const)
    if (!(Number.isSafeInteger(input[field]) && (input[field] as number) >= 0))
      reasons.push(fieldInvalid(field, 'a whole number >= 0'));
  const lines = input.lines;
  if (!Array.isArray(lines))
    reasons.push(fieldInvalid('lines', 'a list of { stationId, businessType, revenueFen }'));
  else
    lines.forEach((line: Partial<StatisticsLine>, index) => {
      const ok =
        typeof line === 'object' &&
        line !== null &&
        typeof line.stationId === 'string' &&
        /^[A-Za-z0-9_-]{1,32}$/.test(line.stationId) &&
        (line.businessType === 'INSURANCE' || line.businessType === 'DISTRIBUTION') &&
        Number.isSafeInteger(line.revenueFen) &&
        (line.revenueFen as number) >= 0;
      if (!ok)
        reasons.push(
          fieldInvalid(
            `lines[${index}]`,
            '{ stationId, businessType INSURANCE | DISTRIBUTION, revenueFen integer fen }',
          ),
        );
    });
  return decide(reasons, () => ({
    month: input.month,
    stationsOpened: input.stationsOpened,
    stationsClosed: input.stationsClosed,
    lines,
  }));
}

export function foldStatistics(
  branchId: string,
  records: readonly { payload: Payload; atMs: number; version: number }[],
): StatisticsView | undefined {
  assert(
    records.every((r, index) => r.version === index + 1),
    'records in version order',
  );
  const first = records[0];
  const latest = records.at(-1);
  if (first === undefined || latest === undefined) return undefined;
  const month = first.payload.month as string;
  assert(
    records.every((r) => r.payload.month === month),
    'one month per statistics aggregate',
  );
  const dueDate = statisticsDueDate(month);
  const firstSubmittedDate = shanghaiDate(first.atMs);
  return {
    branchId,
    month,
    version: latest.version,
    firstSubmittedDate,
    dueDate,
    late: firstSubmittedDate > dueDate,
    stationsOpened: latest.payload.stationsOpened as number,
    stationsClosed: latest.payload.stationsClosed as number,
    lines: latest.payload.lines as StatisticsLine[],
  };
}

/** R16: the branches that have not reported last month (relative to today), due on the 5th. */
export function statisticsDueItems(
  branchIds: readonly string[],
  submitted: ReadonlySet<string>,
  today: string,
): DueItem[] {
  assert(/^\d{4}-\d{2}-\d{2}$/.test(today), 'today is YYYY-MM-DD');
  const month = previousMonth(today.slice(0, 7));
  return branchIds
    .filter((branchId) => !submitted.has(`${branchId}:${month}`))
    .map((branchId) => ({
      aggregateId: `stats:${branchId}:${month}`,
      subjectId: branchId,
      branchId,
      department: 'branch' as const,
      step: `monthly statistics ${month}`,
      rule: 'R16',
      startedDate: `${nextMonth(month)}-01`,
      dueDate: statisticsDueDate(month),
    }));
}
