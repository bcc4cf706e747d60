// R8 账实相符, the cash side: how much cash a station's drawer should hold at the end of a business
// day, and how a declared count compares with it. The money flows (DOMAIN.md): a bill payment or a
// top-up is paid in cash by the customer, amount + fee (the fee leg comes from the customer's cash,
// rules-quota.ts); a posted withdrawal hands the amount out in cash, while its fee is taken from the
// customer's bank account, never from the drawer (R5); a reversal (冲正) only settles a hold that
// never paid out, so it moves no cash. The domain names no opening float; the station may declare
// the float it started the day with, and it is added as declared (0 when it declares none).
// Pure, no I/O; every sum is checked against 2^53 - 1 (R1): refused with LEDGER_SUM_UNSAFE, never
// rounded.
import type { LedgerCode } from './errors.js';

/** One business type's day line as a close or a report has it (fen). */
export interface CashLine {
  readonly amountFen: number;
  readonly feeFen: number;
}

export interface ExpectedCashInput {
  /** Posted withdrawals of the day: cash paid out (amount only, R5). */
  readonly withdrawals: CashLine;
  /** Bill payments of the day: cash taken in (amount + fee, R2). */
  readonly billPayments: CashLine;
  /** Top-ups of the day: cash taken in (amount + fee, R2). */
  readonly topups: CashLine;
  /** The cash the drawer held when the day opened, as the station declares it; default 0. */
  readonly floatFenOpening?: number;
}

export type ExpectedCashResult =
  | {
      readonly ok: true;
      /** Customers' cash taken in: bill payments and top-ups, amount + fee. */
      readonly cashFenIn: number;
      /** Cash handed out for posted withdrawals. */
      readonly cashFenOut: number;
      /** float + in - out; may be negative (the payouts used cash the business did not take in). */
      readonly expectedCashFen: number;
    }
  | {
      readonly ok: false;
      readonly code: 'LEDGER_AMOUNT_INVALID' | 'LEDGER_SUM_UNSAFE';
      readonly reasons: readonly LedgerCode[];
    };

function refused(code: 'LEDGER_AMOUNT_INVALID' | 'LEDGER_SUM_UNSAFE'): ExpectedCashResult {
  return { ok: false, code, reasons: [code] };
}

/** Expected cash in the drawer at the close of a day (R8 账实相符). */
export function expectedCash(input: ExpectedCashInput): ExpectedCashResult {
  const floatFen = input.floatFenOpening ?? 0;
  const parts = [
    input.withdrawals.amountFen,
    input.billPayments.amountFen,
    input.billPayments.feeFen,
    input.topups.amountFen,
    input.topups.feeFen,
    floatFen,
  ];
  // Totals come from a report or a message: a bad amount is a refusal, not a crash (R21).
  if (!parts.every(Number.isSafeInteger) || parts.some((fen) => fen < 0)) {
    return refused('LEDGER_AMOUNT_INVALID');
  }
  const cashFenIn =
    input.billPayments.amountFen + input.billPayments.feeFen + input.topups.amountFen + input.topups.feeFen;
  if (!Number.isSafeInteger(cashFenIn)) return refused('LEDGER_SUM_UNSAFE');
  const cashFenOut = input.withdrawals.amountFen;
  const withFloatFen = floatFen + cashFenIn;
  if (!Number.isSafeInteger(withFloatFen)) return refused('LEDGER_SUM_UNSAFE');
  // Both operands are safe and non-negative, so their difference is within ±(2^53 - 1).
  return { ok: true, cashFenIn, cashFenOut, expectedCashFen: withFloatFen - cashFenOut };
}

/** A declared count against the expected cash: not declared is not zero. */
export type CashComparison =
  | { readonly kind: 'not-declared' }
  | { readonly kind: 'equal' }
  | { readonly kind: 'short'; readonly shortFen: number }
  | { readonly kind: 'over'; readonly overFen: number }
  | { readonly kind: 'refused'; readonly code: 'LEDGER_AMOUNT_INVALID' | 'LEDGER_SUM_UNSAFE' };

export function compareDeclaredCash(
  expectedCashFen: number,
  declaredCashFen: number | undefined,
): CashComparison {
  if (declaredCashFen === undefined) return { kind: 'not-declared' };
  // The count comes from a station's message: a bad one is a refusal, not a crash (R21).
  if (
    !(Number.isSafeInteger(expectedCashFen) && Number.isSafeInteger(declaredCashFen) && declaredCashFen >= 0)
  ) {
    return { kind: 'refused', code: 'LEDGER_AMOUNT_INVALID' };
  }
  const differenceFen = declaredCashFen - expectedCashFen;
  if (!Number.isSafeInteger(differenceFen)) return { kind: 'refused', code: 'LEDGER_SUM_UNSAFE' };
  if (differenceFen === 0) return { kind: 'equal' };
  return differenceFen < 0
    ? { kind: 'short', shortFen: -differenceFen }
    : { kind: 'over', overFen: differenceFen };
}
