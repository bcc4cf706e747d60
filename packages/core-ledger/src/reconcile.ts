// R8 reconciliation: 账账相符 (kiosk journal = HQ store) by comparing two lists of items by id,
// and 账表相符 (store = daily report) by comparing totals by business type. Every difference is
// returned with a reason code; an empty list means the two sides agree. Pure and order-stable:
// duplicates first (in the order found), then the left side's order, then the right side's.

import { assert } from './assert.js';
import type { LedgerCode } from './errors.js';
import { LEDGER_LIMITS } from './limits.js';
import {
  type DayTotals,
  type ReconciliationItem,
  TOTALS_KINDS,
  type TotalsKind,
  type TypeTotals,
} from './types.js';

export type ReconciliationSide = 'left' | 'right';

export interface ItemDifference {
  readonly code: LedgerCode;
  readonly id: string;
  /** For LEDGER_RECON_DUPLICATE: the side with the repeated id. */
  readonly side?: ReconciliationSide;
  /** For LEDGER_RECON_AMOUNT_DIFFERS: which fields differ. */
  readonly fields?: readonly (keyof ReconciliationItem)[];
  readonly left?: ReconciliationItem;
  readonly right?: ReconciliationItem;
}

const COMPARED_FIELDS: readonly (keyof ReconciliationItem)[] = [
  'amountFen',
  'feeFen',
  'kind',
  'stationId',
  'businessDate',
];

function indexById(
  items: readonly ReconciliationItem[],
  side: ReconciliationSide,
  differences: ItemDifference[],
): Map<string, ReconciliationItem> {
  assert(items.length <= LEDGER_LIMITS.reconciliationItemsMax, 'reconciliationItemsMax exceeded');
  const byId = new Map<string, ReconciliationItem>();
  for (const item of items) {
    if (byId.has(item.id)) {
      differences.push({ code: 'LEDGER_RECON_DUPLICATE', id: item.id, side, [side]: item });
      continue;
    }
    byId.set(item.id, item);
  }
  return byId;
}

/** Compares two item lists by id: missing, extra, amount differs, duplicate. */
export function reconcileItems(
  left: readonly ReconciliationItem[],
  right: readonly ReconciliationItem[],
): ItemDifference[] {
  const differences: ItemDifference[] = [];
  const leftById = indexById(left, 'left', differences);
  const rightById = indexById(right, 'right', differences);
  for (const [id, leftItem] of leftById) {
    const rightItem = rightById.get(id);
    if (rightItem === undefined) {
      differences.push({ code: 'LEDGER_RECON_MISSING', id, left: leftItem });
      continue;
    }
    const fields = COMPARED_FIELDS.filter((field) => leftItem[field] !== rightItem[field]);
    if (fields.length > 0) {
      differences.push({ code: 'LEDGER_RECON_AMOUNT_DIFFERS', id, fields, left: leftItem, right: rightItem });
    }
  }
  for (const [id, rightItem] of rightById) {
    if (!leftById.has(id)) differences.push({ code: 'LEDGER_RECON_EXTRA', id, right: rightItem });
  }
  assert(differences.length <= left.length + right.length, 'at most one difference per item');
  return differences;
}

export interface TotalsDifference {
  readonly code: 'LEDGER_RECON_TOTAL_DIFFERS';
  readonly kind: TotalsKind;
  readonly field: keyof TypeTotals;
  readonly ledgerValue: number;
  readonly reportValue: number;
}

/** Compares a ledger's day totals with a report's (for example a received daily close). */
export function reconcileTotals(ledger: DayTotals, report: DayTotals): TotalsDifference[] {
  const differences: TotalsDifference[] = [];
  const fields: readonly (keyof TypeTotals)[] = ['count', 'amountFen', 'feeFen', 'quotaConsumedFen'];
  for (const kind of TOTALS_KINDS) {
    for (const field of fields) {
      const ledgerValue = ledger[kind][field];
      const reportValue = report[kind][field];
      if (ledgerValue !== reportValue) {
        differences.push({ code: 'LEDGER_RECON_TOTAL_DIFFERS', kind, field, ledgerValue, reportValue });
      }
    }
  }
  assert(differences.length <= TOTALS_KINDS.length * fields.length, 'at most one difference per field');
  return differences;
}
