// R5 daily withdrawal limits need the amount a card or a station has withdrawn per business day.

import { assert } from './assert.js';
import { LEDGER_LIMITS } from './limits.js';

/**
 * Withdrawal amounts per business day for one card or one station (R5 daily limits). The current
 * day is kept in two fields (no allocation per withdrawal); earlier days still open for business
 * move to a small map, pruned to the last usageDaysKept days.
 */
export class DailyUsage {
  day: number;
  amountFen: number;
  private previous: Map<number, number> | undefined;

  constructor(day: number) {
    assert(Number.isInteger(day), 'a business day is an integer day number');
    this.day = day;
    this.amountFen = 0;
  }

  usedFen(day: number): number {
    if (day === this.day) return this.amountFen;
    return this.previous?.get(day) ?? 0;
  }

  add(day: number, amountFen: number): void {
    // A hold adds its amount; a void or reversal gives it back (negative).
    assert(Number.isInteger(day), 'a business day is an integer day number');
    assert(
      Number.isSafeInteger(amountFen) && Math.abs(amountFen) <= LEDGER_LIMITS.amountFenMax,
      'usage in fen',
    );
    if (day === this.day) {
      this.amountFen += amountFen;
      return;
    }
    this.previous ??= new Map();
    if (day > this.day) {
      this.previous.set(this.day, this.amountFen);
      for (const kept of this.previous.keys()) {
        if (kept <= day - LEDGER_LIMITS.usageDaysKept) this.previous.delete(kept);
      }
      this.day = day;
      this.amountFen = amountFen;
      return;
    }
    this.previous.set(day, (this.previous.get(day) ?? 0) + amountFen);
  }
}
