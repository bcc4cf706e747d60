// Receipt numbers (R9): unique per station and business day, checkable offline by anyone with
// the number alone. Shape: STATION-YYYYMMDD-NNNNNN-CC, where NNNNNN is the station's receipt
// counter for the day (from the journal) and CC is an ISO 7064 MOD 97-10 check (as IBAN uses):
// it catches every single-character error and every adjacent swap.

import { assert, assertIntegerInRange } from '../assert.js';

const RECEIPT_PATTERN = /^([A-Z0-9]{1,32})-(\d{8})-(\d{6})-(\d{2})$/;
export const RECEIPT_COUNTER_MAX = 999_999;

/** Letters count 10..35 as in ISO 13616; digits as themselves. Input already upper-case A-Z0-9. */
function toDigits(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code >= 65 && code <= 90 ? String(code - 55) : char;
  }
  assert(/^[0-9]*$/.test(out), 'toDigits: input was not A-Z0-9');
  return out;
}

function mod97(digits: string): number {
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  assertIntegerInRange(remainder, 0, 96, 'mod97 remainder');
  return remainder;
}

function checkDigits(body: string): string {
  const check = 98 - mod97(toDigits(body) + '00');
  assertIntegerInRange(check, 2, 98, 'ISO 7064 MOD 97-10 check');
  return String(check).padStart(2, '0');
}

/** businessDate is YYYY-MM-DD (Asia/Shanghai business day); counter is 1-based. */
export function makeReceiptNumber(stationId: string, businessDate: string, counter: number): string {
  if (!/^[A-Z0-9]{1,32}$/.test(stationId)) throw new Error('assert: station id must be A-Z0-9, 1..32');
  assert(/^\d{4}-\d{2}-\d{2}$/.test(businessDate), 'makeReceiptNumber: businessDate must be YYYY-MM-DD');
  assertIntegerInRange(counter, 1, RECEIPT_COUNTER_MAX, 'receipt counter');
  const body = `${stationId}${businessDate.replaceAll('-', '')}${String(counter).padStart(6, '0')}`;
  const receipt = `${stationId}-${businessDate.replaceAll('-', '')}-${String(counter).padStart(6, '0')}-${checkDigits(body)}`;
  // R9: anyone can check it offline with the number alone, so it must pass its own check.
  const parsed = verifyReceiptNumber(receipt);
  assert(parsed !== null && parsed.counter === counter, 'makeReceiptNumber: fails its own check');
  return receipt;
}

export interface ParsedReceipt {
  readonly stationId: string;
  readonly businessDate: string;
  readonly counter: number;
}

/** Checks shape and check digits; returns the parts or null. */
export function verifyReceiptNumber(receipt: string): ParsedReceipt | null {
  const match = RECEIPT_PATTERN.exec(receipt);
  if (match === null) return null;
  const [, stationId, ymd, counter, check] = match as unknown as [string, string, string, string, string];
  // `receipt` may be typed by anyone: a wrong one is null, never an assertion.
  if (mod97(toDigits(`${stationId}${ymd}${counter}${check}`)) !== 1) return null;
  assert(counter.length === 6 && ymd.length === 8, 'verifyReceiptNumber: the pattern fixes the widths');
  return {
    stationId,
    businessDate: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`,
    counter: Number(counter),
  };
}
