// R10–R11 monthly commission per station and business type by a ratio in basis points
// (1 bp = 0.01%), then tax by a configurable rule, with the due dates from the working calendar.
//
// Rounding rule (the one place money is divided): each line's commission is
// floor(revenueFen × ratioBasisPoints / 10000) — floored to the fen per line (station, business
// type), never rounded up, so HQ never pays a fraction it does not owe. The dropped fraction is
// kept visible on the line as remainderTenThousandthsFen (0..9999, in 1/10000 fen). Tax is
// computed once per station and payer on the summed gross and also floored to the fen (the
// station is never taxed on a fraction); its dropped fraction is shown the same way.
// Multiplications run in bigint, so no intermediate product can lose precision (R1).
//
// R10: e-commerce business (bill payment, top-up) is paid by HQ; the list reaches finance before
// the 15th of the month after — the last working day before the 15th — and the after-tax amount
// is paid before the 20th — the last working day before the 20th. R11: insurance and
// distribution follow the branch's monthly statistics (passed in as revenue lines) and are paid
// through the branch; they are grouped separately.

import { assert, assertFen } from './assert.js';
import { lastWorkingDayBefore, type WorkingCalendar } from './calendar.js';
import type { LedgerCode } from './errors.js';
import { isFen } from './input-checks.js';
import { LEDGER_LIMITS } from './limits.js';
import { COMMISSION_LIST_BEFORE_DAY_OF_MONTH, COMMISSION_PAYMENT_BEFORE_DAY_OF_MONTH } from './rules.js';
import { dateFromDayNumber, daysFromCivil } from './time.js';
import type { BusinessType } from './types.js';

export type TaxRule =
  | { readonly kind: 'none' }
  /** tax = floor(gross × rateBasisPoints / 10000). */
  | { readonly kind: 'flat-rate'; readonly rateBasisPoints: number }
  /** Only the gross above thresholdFen is taxed, at rateBasisPoints. */
  | {
      readonly kind: 'rate-above-threshold';
      readonly thresholdFen: number;
      readonly rateBasisPoints: number;
    };

export interface RevenueLine {
  readonly stationId: string;
  readonly businessType: BusinessType;
  readonly revenueFen: number;
}

export interface CommissionInput {
  /** The month the commission is for, 'YYYY-MM'. */
  readonly month: string;
  /** Revenue per station and type: ledger.monthlyRevenue(month) plus the branch statistics (R11). */
  readonly revenue: readonly RevenueLine[];
  /** The agreed ratio per business type, basis points (150 = 1.5%). */
  readonly ratiosBasisPoints: Readonly<Partial<Record<BusinessType, number>>>;
  readonly taxRule: TaxRule;
  readonly calendar: WorkingCalendar;
}

export type CommissionPayer = 'HQ' | 'BRANCH';

export interface CommissionLine {
  readonly stationId: string;
  readonly businessType: BusinessType;
  readonly revenueFen: number;
  readonly ratioBasisPoints: number;
  readonly commissionFen: number;
  /** The fraction dropped by flooring, in 1/10000 fen (0..9999). */
  readonly remainderTenThousandthsFen: number;
}

export interface StationCommission {
  readonly stationId: string;
  readonly paidThrough: CommissionPayer;
  readonly lines: readonly CommissionLine[];
  readonly grossFen: number;
  readonly taxFen: number;
  readonly taxRemainderTenThousandthsFen: number;
  readonly netFen: number;
}

export type CommissionResult =
  | {
      readonly ok: true;
      readonly month: string;
      /** R10: the last working day before the 15th of the month after. */
      readonly listDueDate: string;
      /** R10: the last working day before the 20th of the month after. */
      readonly paymentDueDate: string;
      readonly stations: readonly StationCommission[];
      readonly grossFen: number;
      readonly taxFen: number;
      readonly netFen: number;
    }
  | { readonly ok: false; readonly code: LedgerCode; readonly reasons: readonly LedgerCode[] };

function payerOf(businessType: BusinessType): CommissionPayer {
  return businessType === 'INSURANCE' || businessType === 'DISTRIBUTION' ? 'BRANCH' : 'HQ';
}

function assertBasisPoints(value: number, field: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 10_000, `${field} must be 0..10000 basis points`);
}

/** floor(amountFen × basisPoints / 10000) and the dropped fraction, computed in bigint. */
function applyBasisPoints(
  amountFen: number,
  basisPoints: number,
): { readonly fen: number; readonly remainder: number } {
  const product = BigInt(amountFen) * BigInt(basisPoints);
  return { fen: Number(product / 10_000n), remainder: Number(product % 10_000n) };
}

function taxOf(grossFen: number, rule: TaxRule): { readonly fen: number; readonly remainder: number } {
  switch (rule.kind) {
    case 'none':
      return { fen: 0, remainder: 0 };
    case 'flat-rate':
      assertBasisPoints(rule.rateBasisPoints, 'taxRule.rateBasisPoints');
      return applyBasisPoints(grossFen, rule.rateBasisPoints);
    case 'rate-above-threshold':
      assertBasisPoints(rule.rateBasisPoints, 'taxRule.rateBasisPoints');
      assertFen(rule.thresholdFen, 'taxRule.thresholdFen');
      return applyBasisPoints(Math.max(0, grossFen - rule.thresholdFen), rule.rateBasisPoints);
    default:
      assert(false, 'unknown tax rule');
  }
}

/** R10–R11: the month's commission list with due dates, or the calendar problem that stops it. */
export function computeMonthlyCommission(input: CommissionInput): CommissionResult {
  const match = /^(\d{4})-(\d{2})$/.exec(input.month);
  assert(match !== null, 'month must be YYYY-MM');
  assert(input.revenue.length <= LEDGER_LIMITS.commissionLinesMax, 'commissionLinesMax exceeded');
  const year = Number(match[1]);
  const monthNumber = Number(match[2]);
  assert(monthNumber >= 1 && monthNumber <= 12, 'month must be 01..12');
  const nextYear = monthNumber === 12 ? year + 1 : year;
  const nextMonth = monthNumber === 12 ? 1 : monthNumber + 1;
  const listDue = lastWorkingDayBefore(
    input.calendar,
    daysFromCivil(nextYear, nextMonth, COMMISSION_LIST_BEFORE_DAY_OF_MONTH),
  );
  const paymentDue = lastWorkingDayBefore(
    input.calendar,
    daysFromCivil(nextYear, nextMonth, COMMISSION_PAYMENT_BEFORE_DAY_OF_MONTH),
  );
  if (!listDue.ok || !paymentDue.ok) {
    return { ok: false, code: 'LEDGER_CALENDAR_YEAR_MISSING', reasons: ['LEDGER_CALENDAR_YEAR_MISSING'] };
  }

  // Group by (station, payer), then by business type, in first-seen order.
  const groups = new Map<
    string,
    { stationId: string; paidThrough: CommissionPayer; byType: Map<BusinessType, number> }
  >();
  const refused = (code: LedgerCode): CommissionResult => ({ ok: false, code, reasons: [code] });
  for (const line of input.revenue) {
    // Branch statistics come from outside: a bad amount is a refusal, not a crash (R21).
    if (!isFen(line.revenueFen)) return refused('LEDGER_AMOUNT_INVALID');
    const paidThrough = payerOf(line.businessType);
    const key = `${line.stationId}\u0000${paidThrough}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { stationId: line.stationId, paidThrough, byType: new Map() };
      groups.set(key, group);
    }
    const sumFen = (group.byType.get(line.businessType) ?? 0) + line.revenueFen;
    if (sumFen > Number.MAX_SAFE_INTEGER) return refused('LEDGER_SUM_UNSAFE');
    group.byType.set(line.businessType, sumFen);
  }

  const stations: StationCommission[] = [];
  let grossTotalFen = 0;
  let taxTotalFen = 0;
  for (const group of groups.values()) {
    const lines: CommissionLine[] = [];
    let grossFen = 0;
    for (const [businessType, revenueFen] of group.byType) {
      const ratioBasisPoints = input.ratiosBasisPoints[businessType];
      assert(ratioBasisPoints !== undefined, `no commission ratio configured for ${businessType}`);
      assertBasisPoints(ratioBasisPoints, `ratiosBasisPoints.${businessType}`);
      const commission = applyBasisPoints(revenueFen, ratioBasisPoints);
      lines.push({
        stationId: group.stationId,
        businessType,
        revenueFen,
        ratioBasisPoints,
        commissionFen: commission.fen,
        remainderTenThousandthsFen: commission.remainder,
      });
      grossFen += commission.fen;
      if (grossFen > Number.MAX_SAFE_INTEGER) return refused('LEDGER_SUM_UNSAFE');
    }
    const tax = taxOf(grossFen, input.taxRule);
    assert(tax.fen <= grossFen, 'tax above gross');
    stations.push({
      stationId: group.stationId,
      paidThrough: group.paidThrough,
      lines,
      grossFen,
      taxFen: tax.fen,
      taxRemainderTenThousandthsFen: tax.remainder,
      netFen: grossFen - tax.fen,
    });
    grossTotalFen += grossFen;
    taxTotalFen += tax.fen;
    if (grossTotalFen > Number.MAX_SAFE_INTEGER) return refused('LEDGER_SUM_UNSAFE');
  }
  return {
    ok: true,
    month: input.month,
    listDueDate: dateFromDayNumber(listDue.dayNumber),
    paymentDueDate: dateFromDayNumber(paymentDue.dayNumber),
    stations,
    grossFen: grossTotalFen,
    taxFen: taxTotalFen,
    netFen: grossTotalFen - taxTotalFen,
  };
}
