// Business time without a clock or a time-zone database. Instants are epoch milliseconds (UTC);
// business dates are Asia/Shanghai (UTC+8 all year, no daylight saving), so the wall time is the
// instant plus eight hours. A "day number" counts days since 1970-01-01 in that shifted frame;
// dates are ISO strings 'YYYY-MM-DD'. Civil-date arithmetic follows Howard Hinnant's
// days_from_civil / civil_from_days (pure integer maths, no Date object).

import { assert, assertInstantMs } from './assert.js';
import { DAY_MS, SHANGHAI_OFFSET_MS } from './rules.js';

/** The Asia/Shanghai business day number of an instant. */
export function shanghaiDayNumber(atMs: number): number {
  assertInstantMs(atMs, 'atMs');
  return Math.floor((atMs + SHANGHAI_OFFSET_MS) / DAY_MS);
}

/** Minutes since local (Asia/Shanghai) midnight, 0..1439. */
export function shanghaiMinuteOfDay(atMs: number): number {
  assertInstantMs(atMs, 'atMs');
  const localMs = atMs + SHANGHAI_OFFSET_MS;
  return Math.floor((localMs - Math.floor(localMs / DAY_MS) * DAY_MS) / 60_000);
}

/** The instant at which a Shanghai business day begins (local midnight). */
export function shanghaiDayStartMs(dayNumber: number): number {
  assert(Number.isSafeInteger(dayNumber), 'dayNumber must be an integer');
  return dayNumber * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** Epoch ms of a Shanghai wall-clock time, e.g. shanghaiInstantMs('2026-03-02', 9, 30). */
export function shanghaiInstantMs(date: string, hour: number, minute = 0, second = 0): number {
  assert(Number.isInteger(hour) && hour >= 0 && hour < 24, 'hour must be 0..23');
  assert(Number.isInteger(minute) && minute >= 0 && minute < 60, 'minute must be 0..59');
  assert(Number.isInteger(second) && second >= 0 && second < 60, 'second must be 0..59');
  return shanghaiDayStartMs(dayNumberFromDate(date)) + ((hour * 60 + minute) * 60 + second) * 1000;
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthShifted = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthShifted + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function civilFromDays(dayNumber: number): CivilDate {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthShifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthShifted + 2) / 5) + 1;
  const month = monthShifted < 10 ? monthShifted + 3 : monthShifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day number of 'YYYY-MM-DD', or undefined when the string is not a real calendar date. */
export function parseIsoDate(date: string): number | undefined {
  const match = ISO_DATE.exec(date);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const dayNumber = daysFromCivil(year, month, day);
  const back = civilFromDays(dayNumber);
  if (back.year !== year || back.month !== month || back.day !== day) return undefined;
  return dayNumber;
}

/** The day number of a date the caller guarantees is valid (asserted). */
export function dayNumberFromDate(date: string): number {
  const dayNumber = parseIsoDate(date);
  assert(dayNumber !== undefined, `not an ISO date (YYYY-MM-DD): ${date}`);
  return dayNumber;
}

export function dateFromDayNumber(dayNumber: number): string {
  assert(Number.isSafeInteger(dayNumber), 'dayNumber must be an integer');
  const { year, month, day } = civilFromDays(dayNumber);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDayNumber(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

export function yearOfDayNumber(dayNumber: number): number {
  return civilFromDays(dayNumber).year;
}

/** 'YYYY-MM' month key → first day number and the day number after its last day. */
export function monthRange(month: string): { readonly firstDay: number; readonly endDay: number } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  assert(match !== null, `month must be YYYY-MM, got ${month}`);
  const year = Number(match[1]);
  const monthNumber = Number(match[2]);
  assert(monthNumber >= 1 && monthNumber <= 12, `month must be 01..12, got ${month}`);
  const firstDay = daysFromCivil(year, monthNumber, 1);
  const endDay = monthNumber === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, monthNumber + 1, 1);
  return { firstDay, endDay };
}
