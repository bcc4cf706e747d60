// R7 daily close: a station's totals for one business day by business type (count, amount, fees,
// quota consumed), sealed with a SHA-256 hash chained to the station's previous close. The hash
// covers the canonical JSON of every field but `hash` itself, including `previousHash`, so
// changing, removing, inserting or reordering a past close is detectable by verifyCloseChain.

import { assert } from './assert.js';
import { canonicalJson } from './canonical-json.js';
import type { LedgerCode } from './errors.js';
import { isFen } from './input-checks.js';
import { sha256Hex } from './sha256.js';
import type { DailyClose, DayTotals, ReconciliationItem, TotalsKind, TypeTotals } from './types.js';

// Day-totals slots in the ledger's Float64Array rows: kind * 4 + (count, amount, fee, quota).
export const SLOT_WITHDRAWAL = 0;
export const SLOT_BILL = 4;
export const SLOT_TOPUP = 8;
export const SLOT_REVERSAL = 12;
export const SLOT_QUOTA_PURCHASE = 16;
export const TOTALS_SLOTS = 20;

/** The previousHash of a station's first close. */
export const GENESIS_HASH = '0'.repeat(64);

function typeTotals(slots: Float64Array | undefined, base: number): TypeTotals {
  if (slots === undefined) return { count: 0, amountFen: 0, feeFen: 0, quotaConsumedFen: 0 };
  return {
    count: slots[base]!,
    amountFen: slots[base + 1]!,
    feeFen: slots[base + 2]!,
    quotaConsumedFen: slots[base + 3]!,
  };
}

export function totalsFromSlots(slots: Float64Array | undefined): DayTotals {
  assert(slots === undefined || slots.length === TOTALS_SLOTS, 'a totals row has TOTALS_SLOTS slots');
  return {
    CASH_WITHDRAWAL: typeTotals(slots, SLOT_WITHDRAWAL),
    BILL_PAYMENT: typeTotals(slots, SLOT_BILL),
    MOBILE_TOPUP: typeTotals(slots, SLOT_TOPUP),
    REVERSAL: typeTotals(slots, SLOT_REVERSAL),
    QUOTA_PURCHASE: typeTotals(slots, SLOT_QUOTA_PURCHASE),
  };
}

const SLOT_BY_KIND: Readonly<Record<TotalsKind, number>> = {
  CASH_WITHDRAWAL: SLOT_WITHDRAWAL,
  BILL_PAYMENT: SLOT_BILL,
  MOBILE_TOPUP: SLOT_TOPUP,
  REVERSAL: SLOT_REVERSAL,
  QUOTA_PURCHASE: SLOT_QUOTA_PURCHASE,
};

/**
 * Totals summed from individual items (a journal, an HQ store, a report's lines): the same rule
 * the ledger applies as it goes, so close totals can be checked against the sum of their entries.
 * Bill payments and top-ups consume quota equal to their amount (R2).
 */
export function totalsFromItems(items: readonly ReconciliationItem[]): DayTotals {
  const result = totalsFromItemsChecked(items);
  assert(
    result.ok,
    'totalsFromItems: a sum passed 2^53 or an amount is not fen; use totalsFromItemsChecked for input from outside',
  );
  return result.totals;
}

/**
 * totalsFromItems for items from outside (a store, a report): every amount must be fen and every
 * sum must stay a safe integer (R1), else the code says which; never a silently rounded total.
 */
export function totalsFromItemsChecked(
  items: readonly ReconciliationItem[],
):
  | { readonly ok: true; readonly totals: DayTotals }
  | { readonly ok: false; readonly code: 'LEDGER_AMOUNT_INVALID' | 'LEDGER_SUM_UNSAFE' } {
  const slots = new Float64Array(TOTALS_SLOTS);
  const add = (slot: number, fen: number): boolean => {
    assert(slot > 0 && slot < TOTALS_SLOTS, 'totals slot out of range');
    const sum = slots[slot]! + fen;
    slots[slot] = sum;
    return sum <= Number.MAX_SAFE_INTEGER;
  };
  for (const item of items) {
    if (!isFen(item.amountFen) || !isFen(item.feeFen)) return { ok: false, code: 'LEDGER_AMOUNT_INVALID' };
    const base = SLOT_BY_KIND[item.kind];
    slots[base] = slots[base]! + 1;
    let safe = add(base + 1, item.amountFen) && add(base + 2, item.feeFen);
    if (item.kind === 'BILL_PAYMENT' || item.kind === 'MOBILE_TOPUP')
      safe = safe && add(base + 3, item.amountFen);
    if (!safe) return { ok: false, code: 'LEDGER_SUM_UNSAFE' };
  }
  return { ok: true, totals: totalsFromSlots(slots) };
}

export type UnsealedClose = Omit<DailyClose, 'hash'>;

/** SHA-256 (hex) over the canonical JSON of every field of the close except `hash`. */
export function closeHash(close: UnsealedClose): string {
  const { stationId, businessDate, sequence, closedAtMs, totals, holdsPendingCount, previousHash } = close;
  assert(/^[0-9a-f]{64}$/.test(previousHash), 'previousHash must be 64 hex digits');
  const hash = sha256Hex(
    canonicalJson({ stationId, businessDate, sequence, closedAtMs, totals, holdsPendingCount, previousHash }),
  );
  assert(hash.length === 64, 'a close hash is 64 hex digits');
  return hash;
}

export interface CloseChainProblem {
  /** Position in the list given to verifyCloseChain. */
  readonly index: number;
  readonly code: LedgerCode;
  readonly message: string;
}

/**
 * Checks one station's closes, oldest first: each hash matches its content and each close
 * points at the one before (the first at GENESIS_HASH, unless `anchorHash` says where a
 * partial chain starts). Returns every problem; an empty list means the past is intact.
 */
export function verifyCloseChain(
  closes: readonly DailyClose[],
  anchorHash = GENESIS_HASH,
): CloseChainProblem[] {
  const problems: CloseChainProblem[] = [];
  let expectedPrevious = anchorHash;
  closes.forEach((close, index) => {
    if (closeHash(close) !== close.hash) {
      problems.push({
        index,
        code: 'LEDGER_CLOSE_HASH_MISMATCH',
        message: `close ${close.businessDate} was changed`,
      });
    }
    if (close.previousHash !== expectedPrevious) {
      problems.push({
        index,
        code: 'LEDGER_CLOSE_CHAIN_BROKEN',
        message: `close ${close.businessDate} does not follow the close before it`,
      });
    }
    expectedPrevious = close.hash;
  });
  assert(problems.length <= closes.length * 2, 'at most two problems per close');
  return problems;
}
