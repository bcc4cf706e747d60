// Receipt numbers (R9): unique per station and business day, checkable offline by anyone with
// the number alone. Shape: STATION-YYYYMMDD-NNNNNN-CC, where NNNNNN is the station's receipt
// counter for the day (from the journal) and CC is an ISO 7064 MOD 97-10 check (as IBAN uses):
// it catches every single-character error and every adjacent swap.

const RECEIPT_PATTERN = /^([A-Z0-9]{1,32})-(\d{8})-(\d{6})-(\d{2})$/;
export const RECEIPT_COUNTER_MAX = 999_999;

/** Letters count 10..35 as in ISO 13616; digits as themselves. Input already upper-case A-Z0-9. */
function toDigits(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code >= 65 && code <= 90 ? String(code - 55) : char;
  }
  return out;
}

function mod97(digits: string): number {
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  return remainder;
}

function checkDigits(body: string): string {
  const check = 98 - mod97(toDigits(body) + '00');
  return String(check).padStart(2, '0');
}

/** businessDate is YYYY-MM-DD (Asia/Shanghai business day); counter is 1-based. */
export function makeReceiptNumber(stationId: string, businessDate: string, counter: number): string {
  if (!/^[A-Z0-9]{1,32}$/.test(stationId)) throw new Error('assert: station id must be A-Z0-9, 1..32');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDate)) throw new Error('assert: businessDate must be YYYY-MM-DD');
  if (!Number.isSafeInteger(counter) || counter < 1 || counter > RECEIPT_COUNTER_MAX) {
    throw new Error(`assert: receipt counter out of range: ${counter}`);
  }
  const body = `${stationId}${businessDate.replaceAll('-', '')}${String(counter).padStart(6, '0')}`;
  return `${stationId}-${businessDate.replaceAll('-', '')}-${String(counter).padStart(6, '0')}-${checkDigits(body)}`;
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
  if (mod97(toDigits(`${stationId}${ymd}${counter}${check}`)) !== 1) return null;
  return {
    stationId,
    businessDate: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`,
    counter: Number(counter),
  };
}
