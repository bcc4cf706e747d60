// Business days and service hours in Asia/Shanghai, and the per-day totals a daily close reports
// (R7). The calendar arithmetic is core-ledger's (one home for the Shanghai business date). Pure.
import {
  dateFromDayNumber,
  shanghaiDayNumber,
  shanghaiDayStartMs,
  shanghaiMinuteOfDay,
} from '@bianmin/core-ledger';
import { assert, assertIntegerInRange } from '../assert.js';

const dayMs = 24 * 60 * 60 * 1000;
const minutesPerDay = 24 * 60;
const msMax = Number.MAX_SAFE_INTEGER;

/** "YYYY-MM-DD" of the Shanghai calendar day that contains `atMs` (core-ledger's day number). */
export function businessDateOf(atMs: number): string {
  assertIntegerInRange(atMs, 0, msMax, 'businessDateOf atMs');
  const date = dateFromDayNumber(shanghaiDayNumber(atMs));
  assert(/^\d{4}-\d{2}-\d{2}$/.test(date), 'businessDateOf: not YYYY-MM-DD');
  return date;
}

/** Minutes since Shanghai midnight, 0..1439. */
export function minuteOfDay(atMs: number): number {
  const minute = shanghaiMinuteOfDay(atMs);
  assertIntegerInRange(minute, 0, minutesPerDay - 1, 'minuteOfDay');
  return minute;
}

/** Milliseconds from `atMs` to the next Shanghai midnight (> 0). */
export function msUntilNextMidnight(atMs: number): number {
  assertIntegerInRange(atMs, 0, msMax, 'msUntilNextMidnight atMs');
  const untilMs = shanghaiDayStartMs(shanghaiDayNumber(atMs) + 1) - atMs;
  // Shanghai keeps no daylight saving: a day is always 24 hours, and midnight is still ahead.
  assertIntegerInRange(untilMs, 1, dayMs, 'msUntilNextMidnight');
  return untilMs;
}

export interface Window {
  readonly startMinute: number;
  readonly endMinute: number;
}

/** R20: open when inside an opening window and outside every maintenance window. */
export function isWithinServiceHours(
  hours: { readonly open: readonly Window[]; readonly maintenance: readonly Window[] },
  atMs: number,
): boolean {
  // The windows are HQ's (checked when its config is parsed); only the instant is asserted here.
  assertIntegerInRange(atMs, 0, msMax, 'isWithinServiceHours atMs');
  const minute = minuteOfDay(atMs);
  const inside = (window: Window) => minute >= window.startMinute && minute < window.endMinute;
  return hours.open.some(inside) && !hours.maintenance.some(inside);
}

/** core-ledger's TotalsKind values the kiosk produces (R7). */
export type BusinessTypeName =
  | 'CASH_WITHDRAWAL'
  | 'BILL_PAYMENT'
  | 'MOBILE_TOPUP'
  | 'REVERSAL'
  | 'QUOTA_PURCHASE';
export const BUSINESS_TYPES: readonly BusinessTypeName[] = [
  'CASH_WITHDRAWAL',
  'BILL_PAYMENT',
  'MOBILE_TOPUP',
  'REVERSAL',
  'QUOTA_PURCHASE',
];

export interface TypeTotals {
  count: number;
  amountFen: number;
  feeFen: number;
  quotaFenConsumed: number;
}

export interface DayTotals {
  readonly byType: Map<BusinessTypeName, TypeTotals>;
  firstSeq: number;
  lastSeq: number;
}

export function emptyDay(): DayTotals {
  const day = { byType: new Map(), firstSeq: 0, lastSeq: 0 };
  assert(day.byType.size === 0, 'emptyDay: a new day holds no totals');
  return day;
}

/** Adds one money event to a day's totals. */
export function addToDay(
  day: DayTotals,
  type: BusinessTypeName,
  seq: number,
  amounts: { amountFen: number; feeFen: number; quotaFenConsumed: number },
): void {
  // The amounts come from the agent's own journal rows (chained and checked at start-up).
  for (const value of Object.values(amounts)) assertIntegerInRange(value, 0, msMax, 'day totals fen (R1)');
  assertIntegerInRange(seq, 1, msMax, 'addToDay seq');
  assert(BUSINESS_TYPES.includes(type), `addToDay: unknown business type ${type}`);
  const totals = day.byType.get(type) ?? { count: 0, amountFen: 0, feeFen: 0, quotaFenConsumed: 0 };
  totals.count += 1;
  totals.amountFen += amounts.amountFen;
  totals.feeFen += amounts.feeFen;
  totals.quotaFenConsumed += amounts.quotaFenConsumed;
  day.byType.set(type, totals);
  if (day.firstSeq === 0 || seq < day.firstSeq) day.firstSeq = seq;
  if (seq > day.lastSeq) day.lastSeq = seq;
  assert(day.firstSeq >= 1 && day.firstSeq <= day.lastSeq, 'addToDay: seq range of the day out of order');
  assertIntegerInRange(totals.amountFen, 0, msMax, 'day amountFen total');
}
