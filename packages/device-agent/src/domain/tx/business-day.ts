// Business days and service hours in Asia/Shanghai, and the per-day totals a daily close reports
// (R7). The calendar arithmetic is core-ledger's (one home for the Shanghai business date). Pure.
import {
  dateFromDayNumber,
  shanghaiDayNumber,
  shanghaiDayStartMs,
  shanghaiMinuteOfDay,
} from '@bianmin/core-ledger';

/** "YYYY-MM-DD" of the Shanghai calendar day that contains `atMs` (core-ledger's day number). */
export function businessDateOf(atMs: number): string {
  return dateFromDayNumber(shanghaiDayNumber(atMs));
}

/** Minutes since Shanghai midnight, 0..1439. */
export function minuteOfDay(atMs: number): number {
  return shanghaiMinuteOfDay(atMs);
}

/** Milliseconds from `atMs` to the next Shanghai midnight (> 0). */
export function msUntilNextMidnight(atMs: number): number {
  return shanghaiDayStartMs(shanghaiDayNumber(atMs) + 1) - atMs;
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
  return { byType: new Map(), firstSeq: 0, lastSeq: 0 };
}

/** Adds one money event to a day's totals. */
export function addToDay(
  day: DayTotals,
  type: BusinessTypeName,
  seq: number,
  amounts: { amountFen: number; feeFen: number; quotaFenConsumed: number },
): void {
  for (const value of Object.values(amounts)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error('assert: totals are non-negative integer fen');
  }
  const totals = day.byType.get(type) ?? { count: 0, amountFen: 0, feeFen: 0, quotaFenConsumed: 0 };
  totals.count += 1;
  totals.amountFen += amounts.amountFen;
  totals.feeFen += amounts.feeFen;
  totals.quotaFenConsumed += amounts.quotaFenConsumed;
  day.byType.set(type, totals);
  if (day.firstSeq === 0 || seq < day.firstSeq) day.firstSeq = seq;
  if (seq > day.lastSeq) day.lastSeq = seq;
}
