// Validation of operator API bodies: bad input is refused at the edge with the field named and a
// stable code, never a crash (STYLE.md). Pure functions over parsed JSON.
import type { BillerKindName, BillPaymentInput, TopupInput, WithdrawalInput } from '../../ports/operator.js';

export interface FieldProblem {
  readonly code: 'AGENT_OPERATOR_BAD_FIELD';
  readonly field: string;
  readonly message: string;
}

export type Validated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: FieldProblem[] };

const BILLER_KINDS: readonly BillerKindName[] = ['WATER', 'ELECTRICITY', 'GAS', 'PHONE', 'BROADBAND'];
const AMOUNT_FEN_MAX = 100_000_000;

function problem(field: string, message: string): FieldProblem {
  return { code: 'AGENT_OPERATOR_BAD_FIELD', field, message };
}

function asObject(body: unknown, problems: FieldProblem[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push(problem('(body)', 'must be a JSON object'));
    return {};
  }
  return body as Record<string, unknown>;
}

function checkUnknown(
  body: Record<string, unknown>,
  known: readonly string[],
  problems: FieldProblem[],
): void {
  for (const key of Object.keys(body)) if (!known.includes(key)) problems.push(problem(key, 'unknown field'));
}

function amountFen(body: Record<string, unknown>, problems: FieldProblem[]): number {
  const value = body.amountFen;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    problems.push(problem('amountFen', 'must be an integer number of fen (R1)'));
    return 0;
  }
  if (value <= 0 || value > AMOUNT_FEN_MAX)
    problems.push(problem('amountFen', `must be 1..${AMOUNT_FEN_MAX} fen`));
  return value;
}

function text(
  body: Record<string, unknown>,
  field: string,
  pattern: RegExp,
  what: string,
  problems: FieldProblem[],
): string {
  const value = body[field];
  if (typeof value !== 'string' || !pattern.test(value)) {
    problems.push(problem(field, `must be ${what}`));
    return '';
  }
  return value;
}

function optionalTxId(body: Record<string, unknown>, problems: FieldProblem[]): { txId?: string } {
  if (body.txId === undefined) return {};
  return { txId: text(body, 'txId', /^[A-Za-z0-9_-]{8,64}$/, '8..64 characters of [A-Za-z0-9_-]', problems) };
}

export function validateWithdrawal(raw: unknown): Validated<WithdrawalInput> {
  const problems: FieldProblem[] = [];
  const body = asObject(raw, problems);
  checkUnknown(body, ['amountFen', 'txId'], problems);
  const value = { amountFen: amountFen(body, problems), ...optionalTxId(body, problems) };
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

export function validateBillPayment(raw: unknown): Validated<BillPaymentInput> {
  const problems: FieldProblem[] = [];
  const body = asObject(raw, problems);
  checkUnknown(body, ['billerKind', 'billerCode', 'accountNumber', 'amountFen', 'txId'], problems);
  const billerKind = body.billerKind;
  if (typeof billerKind !== 'string' || !BILLER_KINDS.includes(billerKind as BillerKindName)) {
    problems.push(problem('billerKind', `must be one of ${BILLER_KINDS.join(', ')}`));
  }
  const value = {
    billerKind: billerKind as BillerKindName,
    billerCode: text(
      body,
      'billerCode',
      /^[A-Za-z0-9_-]{1,32}$/,
      '1..32 characters of [A-Za-z0-9_-]',
      problems,
    ),
    accountNumber: text(
      body,
      'accountNumber',
      /^[A-Za-z0-9-]{1,40}$/,
      '1..40 characters of [A-Za-z0-9-]',
      problems,
    ),
    amountFen: amountFen(body, problems),
    ...optionalTxId(body, problems),
  };
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

export function validateTopup(raw: unknown): Validated<TopupInput> {
  const problems: FieldProblem[] = [];
  const body = asObject(raw, problems);
  checkUnknown(body, ['phoneNumber', 'carrier', 'amountFen', 'txId'], problems);
  const value = {
    phoneNumber: text(body, 'phoneNumber', /^1\d{10}$/, 'an 11-digit mainland mobile number', problems),
    carrier: text(body, 'carrier', /^(CMCC|CUCC|CTCC)$/, 'one of CMCC, CUCC, CTCC', problems),
    amountFen: amountFen(body, problems),
    ...optionalTxId(body, problems),
  };
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

export function validateDailyClose(
  raw: unknown,
): Validated<{ businessDate?: string; cash?: { cashFenCounted: number; floatFenOpening?: number } }> {
  const problems: FieldProblem[] = [];
  const body = asObject(raw, problems);
  checkUnknown(body, ['businessDate', 'cashFenCounted', 'floatFenOpening'], problems);
  const date =
    body.businessDate === undefined
      ? {}
      : { businessDate: text(body, 'businessDate', /^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD', problems) };
  // R8: the drawer count is optional; absent means "not declared", which is not a count of 0.
  const wholeFen = (field: string): number | undefined => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      problems.push(problem(field, 'must be a whole number of fen >= 0 (R1)'));
      return undefined;
    }
    return value;
  };
  const cashFenCounted = wholeFen('cashFenCounted');
  const floatFenOpening = wholeFen('floatFenOpening');
  if (floatFenOpening !== undefined && body.cashFenCounted === undefined)
    problems.push(problem('floatFenOpening', 'needs cashFenCounted: a float is declared with a count'));
  const cash =
    cashFenCounted === undefined
      ? {}
      : { cash: { cashFenCounted, ...(floatFenOpening === undefined ? {} : { floatFenOpening }) } };
  return problems.length === 0 ? { ok: true, value: { ...date, ...cash } } : { ok: false, problems };
}
