// Every open step of the network has a due date (issue 11): a DueItem names the aggregate, the
// department that must act, the step, the rule that sets the limit and the due date, or the
// calendar year that is missing to compute it (HQ_NET_CALENDAR_YEAR_MISSING, never a guess).
// A step is overdue from the day after its due date (Asia/Shanghai).
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { assert } from '../assert.js';
import { dueAfterWorkingDays } from './deadlines.js';

export const DEPARTMENTS = [
  'market',
  'ecommerce',
  'agency-finance',
  'insurance',
  'distribution',
  'supervision',
  'finance',
  'branch',
] as const;
export type Department = (typeof DEPARTMENTS)[number];

export interface DueItem {
  readonly aggregateId: string;
  /** The station (or branch, for R16) the step concerns. */
  readonly subjectId: string;
  readonly department: Department;
  /** For branch steps: which branch must act. */
  readonly branchId?: string;
  readonly step: string;
  /** 'R14', 'R15', ... or 'HQ' for HQ's own target where the Measures set no limit. */
  readonly rule: string;
  readonly startedDate: string;
  /** Absent when the calendar lacks the year: see calendarYearMissing. */
  readonly dueDate?: string;
  readonly calendarYearMissing?: number;
}

export function workingDayItem(
  calendar: WorkingCalendar,
  base: Omit<DueItem, 'dueDate' | 'calendarYearMissing'>,
  workingDays: number,
): DueItem {
  assert(Number.isInteger(workingDays) && workingDays >= 1, 'at least one working day');
  const due = dueAfterWorkingDays(calendar, base.startedDate, workingDays);
  return due.ok ? { ...base, dueDate: due.dueDate } : { ...base, calendarYearMissing: due.year };
}

/** Overdue on `today`: due before today, or not computable (a missing calendar is shown, not hidden). */
export function isOverdue(item: DueItem, today: string): boolean {
  assert(/^\d{4}-\d{2}-\d{2}$/.test(today), 'today is YYYY-MM-DD');
  return item.dueDate === undefined ? true : item.dueDate < today;
}

/** Overdue items grouped per department (every department present, possibly empty), oldest first. */
export function overdueByDepartment(items: readonly DueItem[], today: string): Record<Department, DueItem[]> {
  assert(
    items.every((i) => DEPARTMENTS.includes(i.department)),
    'known departments',
  );
  const groups = Object.fromEntries(DEPARTMENTS.map((d) => [d, [] as DueItem[]])) as Record<
    Department,
    DueItem[]
  >;
  for (const item of items) if (isOverdue(item, today)) groups[item.department].push(item);
  for (const list of Object.values(groups))
    list.sort(
      (a, b) =>
        (a.dueDate ?? '').localeCompare(b.dueDate ?? '') || a.aggregateId.localeCompare(b.aggregateId),
    );
  return groups;
}
