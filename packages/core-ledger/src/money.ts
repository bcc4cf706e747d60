// Money for people. The ledger keeps integer fen (R1); yuan appear only when printed for a
// person, as ¥1,234.50 (two decimals, thousands separated by commas), built from integers so no
// floating-point rounding can creep in.

import { assert } from './assert.js';

/** Formats fen as yuan for people: 123450 → '¥1,234.50', -5 → '-¥0.05'. */
export function formatYuan(fen: number): string {
  assert(Number.isSafeInteger(fen), 'formatYuan takes integer fen (R1)');
  const negative = fen < 0;
  const absoluteFen = Math.abs(fen);
  const yuan = Math.floor(absoluteFen / 100);
  const cents = absoluteFen - yuan * 100;
  const yuanText = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}¥${yuanText}.${String(cents).padStart(2, '0')}`;
}

/** Integer fen from a yuan decimal string such as '1234.5' or '500'; undefined when not exact. */
export function parseYuanToFen(text: string): number | undefined {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text);
  if (match === null) return undefined;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(fen) ? fen : undefined;
}
