// Deadlines of the station network in working days (R14, R15) and calendar dates (R16, R18),
// counted on core-ledger's working calendar (one home for working days: core-ledger/src/calendar.ts,
// data in data/calendar/cn-YYYY.json). A deadline that reaches a year with no calendar file is
// HQ_NET_CALENDAR_YEAR_MISSING with the year, never counted on weekends alone. Dates are
// Asia/Shanghai business dates 'YYYY-MM-DD'; a step is overdue from the day after its due date.
import {
  addWorkingDays,
  dateFromDayNumber,
  dayNumberFromDate,
  parseIsoDate,
  shanghaiDayNumber,
  type WorkingCalendar,
} from '@bianmin/core-ledger';
import { assert } from '../assert.js';

export type DueAnswer =
  | { readonly ok: true; readonly dueDate: string }
  | { readonly ok: false; readonly code: 'HQ_NET_CALENDAR_YEAR_MISSING'; readonly year: number };

/** R14/R15 time limits, in working days after the day the step started (that day not counted). */
export const WORKING_DAYS = {
  /** R14: survey within 3 working days of the branch's proposal. */
  survey: 3,
  /** R14: installation, UK key and training within 10 working days of the notice. */
  installation: 10,
  /** R14: goods delivered within 3 working days (of the installation). */
  goodsDelivery: 3,
  /** R14: follow-up visit within 7 working days after opening. */
  openingFollowUp: 7,
  /** R15: an ordinary change approved within 1 working day. */
  changeApproval: 1,
} as const;

/** R18: a follow-up within 2 weeks (calendar days) of any training. */
export const TRAINING_FOLLOW_UP_DAYS = 14;
/** R16: a branch's monthly statistics are due by this day of the next month. */
export const STATISTICS_DUE_DAY_OF_MONTH = 5;

export function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && parseIsoDate(value) !== undefined;
}

/** The Asia/Shanghai business date of an instant. */
export function shanghaiDate(atMs: number): string {
  assert(Number.isSafeInteger(atMs) && atMs >= 0, 'atMs must be epoch milliseconds');
  return dateFromDayNumber(shanghaiDayNumber(atMs));
}

/** The count-th working day after fromDate, or the year the calendar lacks. */
export function dueAfterWorkingDays(calendar: WorkingCalendar, fromDate: string, count: number): DueAnswer {
  assert(isIsoDate(fromDate), 'fromDate must be YYYY-MM-DD');
  const answer = addWorkingDays(calendar, dayNumberFromDate(fromDate), count);
  if (!answer.ok) return { ok: false, code: 'HQ_NET_CALENDAR_YEAR_MISSING', year: answer.year };
  const dueDate = dateFromDayNumber(answer.dayNumber);
  assert(dueDate > fromDate, 'a working-day deadline lies after its start');
  return { ok: true, dueDate };
}

export function addCalendarDays(date: string, days: number): string {
  assert(Math.abs(days) <= 36_600, 'within a century');
  assert(isIsoDate(date) && Number.isInteger(days), 'addCalendarDays takes a date and whole days');
  return dateFromDayNumber(dayNumberFromDate(date) + days);
}

/** 'YYYY-MM' of a date. */
export function monthOf(date: string): string {
  assert(isIsoDate(date), 'date is YYYY-MM-DD');
  return date.slice(0, 7);
}

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(value);
}

/** The month after 'YYYY-MM'. */
export function nextMonth(month: string): string {
  assert(isMonth(month), 'month must be YYYY-MM');
  const year = Number(month.slice(0, 4));
  const number = Number(month.slice(5, 7));
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}

export function previousMonth(month: string): string {
  assert(isMonth(month), 'month must be YYYY-MM');
  const year = Number(month.slice(0, 4));
  const number = Number(month.slice(5, 7));
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, '0')}`;
}

export interface Quarter {
  /** e.g. '2026-Q4' */
  readonly key: string;
  readonly firstDate: string;
  readonly lastDate: string;
}

export function quarterOf(date: string): Quarter {
  assert(isIsoDate(date), 'date must be YYYY-MM-DD');
  const year = Number(date.slice(0, 4));
  const index = Math.floor((Number(date.slice(5, 7)) - 1) / 3);
  const firstMonth = index * 3 + 1;
  const firstDate = `${year}-${String(firstMonth).padStart(2, '0')}-01`;
  const after = index === 3 ? `${year + 1}-01-01` : `${year}-${String(firstMonth + 3).padStart(2, '0')}-01`;
  return { key: `${year}-Q${index + 1}`, firstDate, lastDate: addCalendarDays(after, -1) };
}
