// The one code registry of core-ledger (STYLE.md "Errors: three kinds, never strings").
// Every code the package can return or throw is a key here, with its meaning; the test
// test/errors-registry.test.ts keeps this list equal to docs/errors/core-ledger.md.
// Codes are stable and never reused. The ORDER of the keys is the precedence order (R21): when
// several rules refuse one command, `reasons` lists every code, sorted by this order.

export const LEDGER_CODES = {
  // Accepted outcomes.
  LEDGER_OK: 'Accepted and recorded.',
  LEDGER_REVERSAL_ALREADY_DONE:
    'Accepted as a no-op: the withdrawal was already reversed by another reversal (reversing twice changes nothing).',
  // Refusals, in precedence order.
  LEDGER_ID_CONFLICT:
    'The client id was already used with different content (idempotency, TigerBeetle-style).',
  LEDGER_ID_INVALID:
    'The command id is not a string of 1..128 characters; refused and not remembered (there is no id to remember it by).',
  LEDGER_INSTANT_INVALID: 'An instant (atMs, expiresAtMs) is not integer epoch milliseconds >= 0.',
  LEDGER_AMOUNT_INVALID:
    'The amount is not integer fen in [0, 10^12] (R1): a fraction, a negative, an unsafe or a non-number value.',
  LEDGER_FEE_INVALID: 'The fee is not integer fen in [0, 10^12] (R1).',
  LEDGER_FIELD_INVALID:
    'Another field has the wrong shape: an id, card token, reference, date, service hours, limits or command type.',
  LEDGER_FEE_SCHEDULE_INVALID:
    'A fee schedule has the wrong shape: version not an integer >= 1, date not YYYY-MM-DD, a fee not integer fen (R6).',
  LEDGER_STATION_UNKNOWN: 'No station with this id is registered (R4).',
  LEDGER_STATION_NO_ORG_CODE: 'The station has no org code from HQ yet and cannot transact (R4).',
  LEDGER_STATION_NO_QUOTA_ACCOUNT: 'The station has no quota virtual account yet and cannot transact (R4).',
  LEDGER_STATION_ORG_CODE_IMMUTABLE: 'A station keeps its org code once given; a change is refused (R15).',
  LEDGER_STATION_QUOTA_ACCOUNT_IMMUTABLE:
    'A station keeps its quota virtual account once given; a change is refused (R4).',
  LEDGER_CALENDAR_YEAR_MISSING:
    'The working-day calendar has no data for a year the rule needs; never counted as weekends only (R6, R10).',
  LEDGER_OUTSIDE_SERVICE_HOURS: "The instant is outside the station's service hours (R20).",
  LEDGER_IN_MAINTENANCE_WINDOW: "The instant is inside the station's maintenance window (R20).",
  LEDGER_DAY_CLOSED: 'The business day is already closed for this station; new business is refused (R7).',
  LEDGER_AMOUNT_NOT_POSITIVE: 'The amount is zero; a transaction moves at least one fen.',
  LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM: 'A quota purchase below 500.00 yuan (50000 fen) is refused (R3).',
  LEDGER_FEE_SCHEDULE_NONE_IN_FORCE: 'No fee schedule is in force on that business day (R6).',
  LEDGER_FEE_ABOVE_SCHEDULE:
    'The fee charged is above the fee schedule in force; nothing beyond it is charged (R6).',
  LEDGER_FEE_BELOW_SCHEDULE:
    'The fee charged is below the fee schedule in force; exactly the scheduled fee applies (R5, R6).',
  LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT: 'The withdrawal is above the per-transaction limit (R5).',
  LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT:
    "The withdrawal would take the card's daily total above its limit (R5).",
  LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT:
    "The withdrawal would take the station's daily total above its limit (R5).",
  LEDGER_QUOTA_INSUFFICIENT:
    'The transaction would take the station quota below zero; nothing is recorded (R2).',
  LEDGER_SUM_UNSAFE:
    'A sum of fen (an account total, a day or commission total) would pass 2^53 - 1 and lose precision; refused, never rounded (R1).',
  LEDGER_HOLD_UNKNOWN: 'No withdrawal hold with this id exists (R5).',
  LEDGER_HOLD_STATION_MISMATCH: 'The hold belongs to another station.',
  LEDGER_REVERSAL_NOT_A_WITHDRAWAL:
    'A reversal (冲正) names an id that is not a withdrawal hold (a bill payment, a close, a post...); nothing changes.',
  LEDGER_REVERSAL_HOLD_POSTED:
    'A reversal (冲正) names a posted withdrawal: the cash was handed out and the bank settled it; a correction is not a reversal. Nothing changes.',
  LEDGER_REVERSAL_HOLD_VOIDED:
    'A reversal (冲正) names a voided hold: it was already released and nothing is left to reverse. Nothing changes.',
  LEDGER_WITHDRAWAL_REVERSED: 'The withdrawal was reversed (冲正); it can no longer be authorised or posted.',
  LEDGER_HOLD_NOT_PENDING: 'The hold was already posted or voided; it can be completed only once (R5).',
  LEDGER_HOLD_EXPIRED: 'The hold expired before it was posted; void it (R5).',
  LEDGER_FEE_SCHEDULE_VERSION_CONFLICT:
    'A fee schedule version already known (or given twice) comes with other content; a version never changes (R6).',
  LEDGER_FEE_SCHEDULE_VERSION_NOT_NEWER:
    'A fee schedule version must be higher than every version already known (R6).',
  LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT:
    'A fee schedule change must be announced at least 5 working days before it takes effect (R6).',
  LEDGER_FEE_SCHEDULE_VERSIONS_TOO_MANY:
    'The fee schedule history would hold more versions than feeScheduleVersionsMax (1000).',
  LEDGER_CLOSE_OUT_OF_ORDER:
    "A station's business days are closed in order; this day is at or before the last close (R7).",
  LEDGER_CLOSE_DATE_IN_FUTURE: 'A business day cannot be closed before it has begun (R7).',
  LEDGER_CLOSE_EARLIER_DAY_UNCLOSED:
    'An earlier business day with business is not closed yet: close it first, in order (R7: no day is skipped; unclosedBusinessDays lists them).',
  // Daily-close chain verification (R7).
  LEDGER_CLOSE_HASH_MISMATCH: "A daily close's hash does not match its content: the record was changed (R7).",
  LEDGER_CLOSE_CHAIN_BROKEN:
    "A daily close does not point at the previous close's hash: a close was removed, added or reordered (R7).",
  // Reconciliation reasons (R8).
  LEDGER_RECON_MISSING: 'Reconciliation: the item is on the left side but missing on the right (R8).',
  LEDGER_RECON_EXTRA: 'Reconciliation: the item is on the right side but not on the left (R8).',
  LEDGER_RECON_AMOUNT_DIFFERS:
    'Reconciliation: both sides hold the item but an amount, fee, type, station or date differs (R8).',
  LEDGER_RECON_DUPLICATE: 'Reconciliation: the same id appears more than once on one side (R8).',
  LEDGER_RECON_TOTAL_DIFFERS: 'Reconciliation against a report: a total by business type differs (R8).',
  // Input validation of data files and configuration (returned as problems, every one at once).
  LEDGER_CALENDAR_INVALID:
    'A working-day calendar file does not have the documented shape; the field is named.',
  LEDGER_SERVICE_HOURS_INVALID:
    'Service hours are not a valid set of minutes of the day; the field is named (R20).',
  // Thrown.
  LEDGER_ASSERTION_FAILED:
    'A programmer error: an invariant or argument assertion failed (for example fen that are not a safe integer, R1).',
} as const;

export type LedgerCode = keyof typeof LEDGER_CODES;

/** Every code, in registry (= precedence) order. */
export const LEDGER_CODE_LIST: readonly LedgerCode[] = Object.keys(LEDGER_CODES) as LedgerCode[];

const precedenceByCode = new Map<LedgerCode, number>(LEDGER_CODE_LIST.map((code, index) => [code, index]));

/** The position of a code in the precedence order (R21): lower comes first. */
export function codePrecedence(code: LedgerCode): number {
  const index = precedenceByCode.get(code);
  if (index === undefined) throw new LedgerAssertionError(`unknown ledger code ${String(code)}`);
  return index;
}

/** Sorts reasons into the fixed precedence order, in place, and returns them. */
export function sortByPrecedence(codes: LedgerCode[]): LedgerCode[] {
  return codes.sort((a, b) => codePrecedence(a) - codePrecedence(b));
}

/** Thrown for programmer errors only (STYLE.md kind 1). Business outcomes are never thrown. */
export class LedgerAssertionError extends Error {
  readonly code = 'LEDGER_ASSERTION_FAILED' as const;
  constructor(message: string) {
    super(message);
    this.name = 'LedgerAssertionError';
  }
}
