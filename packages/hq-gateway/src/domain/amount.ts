// Amounts as operators type them, pure. Money is integer fen (R1); an operator may give fen
// (`--fen 500000`) or yuan (`--yuan 5000`, `5000.00`, at most two decimals: no rounding ever) and
// is answered in yuan. Refusals name the field and are returned, never thrown (R21).
import { formatYuan, parseYuanToFen } from '@bianmin/core-ledger';
import type { HqProblem } from '../errors.js';
import { assert } from './assert.js';

/** An amount given in fen (a safe integer, or its decimal digits) or in yuan (a decimal text or number). */
export type AmountInput = number | { readonly fen: number | string } | { readonly yuan: number | string };

export type AmountParse =
  | { readonly ok: true; readonly amountFen: number }
  | { readonly ok: false; readonly problem: HqProblem };

/** The fen an operator meant, or a problem naming the field (`fen` or `yuan`). */
export function parseAmount(input: AmountInput, code: HqProblem['code']): AmountParse {
  const refuse = (field: string, message: string): AmountParse => ({
    ok: false,
    problem: { code, field, message: `${field}: ${message}` },
  });
  if (typeof input === 'number' || 'fen' in input) {
    const fen = typeof input === 'number' ? input : input.fen;
    const value = typeof fen === 'number' ? fen : /^\d{1,16}$/.test(fen) ? Number(fen) : Number.NaN;
    if (!(Number.isSafeInteger(value) && value >= 0)) return refuse('fen', 'must be a whole number of fen');
    return { ok: true, amountFen: value };
  }
  // A number in yuan is read through its shortest decimal text, so 5000 and 5000.5 work and 0.1+0.2 does not.
  const text = typeof input.yuan === 'number' ? String(input.yuan) : input.yuan.trim();
  const fen = parseYuanToFen(text);
  if (fen === undefined)
    return refuse('yuan', 'must be yuan with at most two decimals, e.g. 5000 or 5000.00');
  assert(Number.isSafeInteger(fen) && fen >= 0, 'core-ledger parseYuanToFen gives whole fen');
  return { ok: true, amountFen: fen };
}

/** Yuan for machines: '5000.00' (two decimals, no separators); fen stays the stored unit. */
export function yuanText(amountFen: number): string {
  if (!(Number.isSafeInteger(amountFen) && amountFen >= 0)) throw new Error('amountFen must be fen');
  const text = `${Math.floor(amountFen / 100)}.${String(amountFen % 100).padStart(2, '0')}`;
  assert(/^\d+\.\d{2}$/.test(text), 'yuan text has exactly two decimals');
  return text;
}

/** Yuan for people: '¥5,000.00'. */
export function yuanForPeople(amountFen: number): string {
  return formatYuan(amountFen);
}

/** A receipt reference (the outlet's receipt number, R9): 1..max printable ASCII, no spaces. */
export function checkReceiptReference(reference: string, charsMax: number): string | undefined {
  assert(Number.isSafeInteger(charsMax) && charsMax >= 1, 'charsMax must be a positive whole number');
  return new RegExp(`^[\\x21-\\x7e]{1,${charsMax}}$`).test(reference)
    ? undefined
    : `must be 1..${charsMax} printable characters without spaces`;
}
