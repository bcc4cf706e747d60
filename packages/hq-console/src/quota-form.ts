// The quota purchase form's checks (R3, R21): every problem at once, each with its field, before
// anything is sent; the server checks again and its problems land on the same fields.

import { parseYuanToFen } from './format.js';
import { t } from './i18n/messages.js';

/** R3: a purchase is at least 500.00 yuan. */
export const quotaPurchaseFenMin = 50_000;
/** The API's limits (hq-gateway limits.ts: receiptReferenceCharsMax; route.ts stationIdSchema). */
const receiptCharsMax = 64;
const stationIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

export type QuotaField = 'station' | 'amount' | 'receipt';
export interface QuotaValues {
  readonly station: string;
  readonly amount: string;
  readonly receipt: string;
}

export function quotaFormProblems(values: QuotaValues): Partial<Record<QuotaField, string>> {
  const problems: Partial<Record<QuotaField, string>> = {};
  if (!stationIdPattern.test(values.station.trim())) problems.station = t('quota.bad.station');
  const fen = parseYuanToFen(values.amount);
  if (fen === null) problems.amount = t('quota.bad.amount');
  else if (fen < quotaPurchaseFenMin) problems.amount = t('quota.bad.minimum');
  const receipt = values.receipt.trim();
  if (receipt.length === 0 || receipt.length > receiptCharsMax) problems.receipt = t('quota.bad.receipt');
  return problems;
}

/** Which form field a server problem names (body.amountYuan, amount, receipt, stationId...). */
export function quotaFieldOf(serverField: string | undefined): QuotaField | undefined {
  if (serverField === undefined) return undefined;
  if (/amount/i.test(serverField)) return 'amount';
  if (/receipt|reference/i.test(serverField)) return 'receipt';
  if (/station/i.test(serverField)) return 'station';
  return undefined;
}
