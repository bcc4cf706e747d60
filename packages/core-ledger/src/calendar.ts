// Working days as data, not code (R6, R10, DOMAIN.md "Working days"). China moves working days
// around public holidays (调休), so a weekday can be a holiday and a weekend day a working day.
// One file per year (data/calendar/cn-YYYY.json) from the State Council notice:
//   { "year": 2026, "source": "...", "holidays": [{ "name": "...", "dates": ["2026-01-01", ...] }],
//     "extra_working_days": ["2026-01-04", ...] }
// A day is a working day when it is Monday–Friday and not a holiday, or an extra working day.
// The caller reads and JSON-parses the files (I/O stays outside the core) and passes the values
// to parseCalendarYear, which reports every problem at once with the field named. A question about
// a year with no file is answered LEDGER_CALENDAR_YEAR_MISSING — never counted as weekends only.

import { assert } from './assert.js';
import type { LedgerCode } from './errors.js';
import { LEDGER_LIMITS } from './limits.js';
import { parseIsoDate, weekdayOfDayNumber, yearOfDayNumber } from './time.js';

export interface CalendarHoliday {
  readonly name: string;
  readonly dates: readonly string[];
}

export interface CalendarYear {
  readonly year: number;
  readonly source: string;
  readonly holidays: readonly CalendarHoliday[];
  readonly extraWorkingDays: readonly string[];
}

/** A problem found in input data, named by field. Returned, every one at once (R21). */
export interface InputProblem {
  readonly code: LedgerCode;
  readonly field: string;
  readonly message: string;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly InputProblem[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one parsed calendar JSON value. Every problem comes back together, field named. */
export function parseCalendarYear(json: unknown): ParseResult<CalendarYear> {
  const problems: InputProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ code: 'LEDGER_CALENDAR_INVALID', field, message });
  };
  if (!isRecord(json)) {
    problem('(root)', 'must be an object');
    return { ok: false, problems };
  }
  const year = json.year;
  const yearValid = typeof year === 'number' && Number.isInteger(year) && year >= 1949 && year <= 9999;
  if (!yearValid) problem('year', 'must be an integer year');
  if (typeof json.source !== 'string' || json.source.length === 0) problem('source', 'must name the notice');
  for (const key of Object.keys(json)) {
    if (!['year', 'source', 'holidays', 'extra_working_days'].includes(key)) problem(key, 'unknown field');
  }
  const seen = new Map<number, string>();
  const checkDate = (value: unknown, field: string): string | undefined => {
    if (typeof value !== 'string') {
      problem(field, 'must be a date string YYYY-MM-DD');
      return undefined;
    }
    const dayNumber = parseIsoDate(value);
    if (dayNumber === undefined) {
      problem(field, `not a real date: ${value}`);
      return undefined;
    }
    // A holiday block may start in the last days of the year before (元旦 around 12-31).
    if (yearValid && Math.abs(yearOfDayNumber(dayNumber) - (year as number)) > 1) {
      problem(field, `${value} is not in or next to ${String(year)}`);
    }
    const firstField = seen.get(dayNumber);
    if (firstField !== undefined) problem(field, `${value} is listed twice (also at ${firstField})`);
    seen.set(dayNumber, field);
    return value;
  };
  const holidays: CalendarHoliday[] = [];
  if (!Array.isArray(json.holidays)) {
    problem('holidays', 'must be an array');
  } else {
    json.holidays.forEach((holiday: unknown, index: number) => {
      const field = `holidays[${index}]`;
      if (!isRecord(holiday)) {
        problem(field, 'must be an object with name and dates');
        return;
      }
      if (typeof holiday.name !== 'string' || holiday.name.length === 0)
        problem(`${field}.name`, 'must be a name');
      if (!Array.isArray(holiday.dates) || holiday.dates.length === 0) {
        problem(`${field}.dates`, 'must be a non-empty array of dates');
        return;
      }
      const dates: string[] = [];
      holiday.dates.forEach((date: unknown, dateIndex: number) => {
        const checked = checkDate(date, `${field}.dates[${dateIndex}]`);
        if (checked !== undefined) dates.push(checked);
      });
      holidays.push({ name: String(holiday.name), dates });
    });
  }
  const extraWorkingDays: string[] = [];
  if (!Array.isArray(json.extra_working_days)) {
    problem('extra_working_days', 'must be an array');
  } else {
    json.extra_working_days.forEach((date: unknown, index: number) => {
      const field = `extra_working_days[${index}]`;
      const checked = checkDate(date, field);
      if (checked === undefined) return;
      const weekday = weekdayOfDayNumber(parseIsoDate(checked)!);
      if (weekday !== 0 && weekday !== 6)
        problem(field, `${checked} is a weekday already; 调休 days are weekends`);
      extraWorkingDays.push(checked);
    });
  }
  if (seen.size > LEDGER_LIMITS.calendarDatesPerYearMax) problem('(root)', 'too many dates for one year');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: { year: year as number, source: json.source as string, holidays, extraWorkingDays },
  };
}

/** An immutable working-day calendar over the years it was given. */
export interface WorkingCalendar {
  readonly years: ReadonlySet<number>;
  readonly holidayDays: ReadonlySet<number>;
  readonly extraWorkingDays: ReadonlySet<number>;
}

export function createWorkingCalendar(years: readonly CalendarYear[]): WorkingCalendar {
  assert(years.length <= LEDGER_LIMITS.calendarYearsMax, 'too many calendar years');
  const yearSet = new Set<number>();
  const holidayDays = new Set<number>();
  const extraWorkingDays = new Set<number>();
  for (const calendarYear of years) {
    assert(!yearSet.has(calendarYear.year), `calendar year ${calendarYear.year} given twice`);
    yearSet.add(calendarYear.year);
    for (const holiday of calendarYear.holidays) {
      for (const date of holiday.dates) holidayDays.add(parseIsoDate(date)!);
    }
    for (const date of calendarYear.extraWorkingDays) extraWorkingDays.add(parseIsoDate(date)!);
  }
  return { years: yearSet, holidayDays, extraWorkingDays };
}

export type WorkingDayAnswer =
  | { readonly ok: true; readonly dayNumber: number }
  | { readonly ok: false; readonly code: 'LEDGER_CALENDAR_YEAR_MISSING'; readonly year: number };

/** true / false, or undefined when the calendar has no data for that day's year. */
export function isWorkingDay(calendar: WorkingCalendar, dayNumber: number): boolean | undefined {
  if (!calendar.years.has(yearOfDayNumber(dayNumber))) return undefined;
  if (calendar.extraWorkingDays.has(dayNumber)) return true;
  if (calendar.holidayDays.has(dayNumber)) return false;
  const weekday = weekdayOfDayNumber(dayNumber);
  return weekday !== 0 && weekday !== 6;
}

function missing(dayNumber: number): WorkingDayAnswer {
  return { ok: false, code: 'LEDGER_CALENDAR_YEAR_MISSING', year: yearOfDayNumber(dayNumber) };
}

/** The count-th working day after fromDay (fromDay itself not counted); count >= 1. */
export function addWorkingDays(calendar: WorkingCalendar, fromDay: number, count: number): WorkingDayAnswer {
  assert(
    Number.isInteger(count) && count >= 1 && count <= LEDGER_LIMITS.workingDaysSpanMax,
    'count out of range',
  );
  let day = fromDay;
  let found = 0;
  // Bounded: at most workingDaysSpanMax working days, each at most a few weeks of holidays away.
  for (let step = 0; step < count * 31; step++) {
    day++;
    const working = isWorkingDay(calendar, day);
    if (working === undefined) return missing(day);
    if (working) {
      found++;
      if (found === count) return { ok: true, dayNumber: day };
    }
  }
  assert(false, 'addWorkingDays walked beyond its bound');
}

/** The last working day strictly before the given day ("before the 15th"). */
export function lastWorkingDayBefore(calendar: WorkingCalendar, beforeDay: number): WorkingDayAnswer {
  let day = beforeDay;
  for (let step = 0; step < 366; step++) {
    day--;
    const working = isWorkingDay(calendar, day);
    if (working === undefined) return missing(day);
    if (working) return { ok: true, dayNumber: day };
  }
  assert(false, 'lastWorkingDayBefore found no working day in a year');
}
