// @bianmin/core-ledger — the money rules of the station network (DOMAIN.md R1–R11, R20, R21),
// pure TypeScript: no I/O, no clock, no randomness; time (epoch ms) and ids come in as arguments.
// A service keeps its own journal of the commands it applied and rebuilds the ledger on start by
// applying them again (the ledger is a fold over commands; replays are idempotent).
//
// Usage:
//
//   import { createLedger, createWorkingCalendar, parseCalendarYear, standardFeeSchedule,
//            shanghaiInstantMs, WITHDRAWAL_LIMITS_DEFAULT } from '@bianmin/core-ledger';
//
//   const parsed = parseCalendarYear(JSON.parse(text2026));          // the caller reads the file
//   if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.field).join(', '));
//   const ledger = createLedger({
//     calendar: createWorkingCalendar([parsed.value]),
//     feeSchedules: [standardFeeSchedule('2026-01-01')],              // 100 fen per withdrawal
//     withdrawalLimits: WITHDRAWAL_LIMITS_DEFAULT,
//   });
//   const atMs = shanghaiInstantMs('2026-03-02', 9, 30);
//   ledger.apply({ type: 'station-register', id: 'reg-1', atMs, stationId: 'S1',
//                  orgCode: '31000101', quotaAccountNo: 'Q-31000101' });
//   ledger.apply({ type: 'quota-purchase', id: 'qp-1', atMs, stationId: 'S1', amountFen: 50_000 });
//   const result = ledger.apply({ type: 'bill-payment', id: 'bp-1', atMs, stationId: 'S1',
//     amountFen: 12_345, feeFen: 0, billerCode: 'ELEC', billAccountNo: '0001' });
//   if (!result.ok) console.log(result.reasons);                     // every reason at once (R21)
//   ledger.apply({ type: 'withdrawal-hold', id: 'w-1', atMs, stationId: 'S1',
//     cardToken: 'tok:ab12', amountFen: 50_000, feeFen: 100 });
//   ledger.apply({ type: 'withdrawal-post', id: 'w-1-post', atMs, holdId: 'w-1' });
//   const day = ledger.apply({ type: 'daily-close', id: 'close-S1-2026-03-02',
//     atMs: shanghaiInstantMs('2026-03-02', 21, 0), stationId: 'S1', businessDate: '2026-03-02' });
//   // day.ok && day.close → totals by business type, sealed with a hash chained to the last close.

export { assert, assertFen, assertId, assertInstantMs } from './assert.js';
export type {
  CalendarHoliday,
  CalendarYear,
  InputProblem,
  ParseResult,
  WorkingCalendar,
  WorkingDayAnswer,
} from './calendar.js';
export {
  addWorkingDays,
  createWorkingCalendar,
  isWorkingDay,
  lastWorkingDayBefore,
  parseCalendarYear,
} from './calendar.js';
export { canonicalJson } from './canonical-json.js';
export type {
  CommissionInput,
  CommissionLine,
  CommissionPayer,
  CommissionResult,
  RevenueLine,
  StationCommission,
  TaxRule,
} from './commission.js';
export { computeMonthlyCommission } from './commission.js';
export type { CloseChainProblem, UnsealedClose } from './daily-close.js';
export {
  closeHash,
  GENESIS_HASH,
  totalsFromItems,
  totalsFromItemsChecked,
  verifyCloseChain,
} from './daily-close.js';
export type { LedgerCode } from './errors.js';
export {
  codePrecedence,
  LEDGER_CODE_LIST,
  LEDGER_CODES,
  LedgerAssertionError,
  sortByPrecedence,
} from './errors.js';
export type { CashComparison, CashLine, ExpectedCashInput, ExpectedCashResult } from './expected-cash.js';
export { compareDeclaredCash, expectedCash } from './expected-cash.js';
export type {
  FeeSchedule,
  FeeScheduleSetCheck,
  FeeScheduleSetContext,
  FeeScheduleSetProblem,
} from './fee-schedule.js';
export {
  checkFeeScheduleAnnouncement,
  checkFeeScheduleSet,
  feeScheduleInForce,
  isFeeSchedule,
  sameFeeSchedule,
  standardFeeSchedule,
} from './fee-schedule.js';
export type { Ledger } from './ledger.js';
export { createLedger } from './ledger.js';
export { LEDGER_LIMITS } from './limits.js';
export { formatYuan, parseYuanToFen } from './money.js';
export type { ItemDifference, ReconciliationSide, TotalsDifference } from './reconcile.js';
export { reconcileItems, reconcileTotals } from './reconcile.js';
export {
  COMMISSION_LIST_BEFORE_DAY_OF_MONTH,
  COMMISSION_PAYMENT_BEFORE_DAY_OF_MONTH,
  FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN,
  QUOTA_PURCHASE_FEN_MIN,
  WITHDRAWAL_FEE_FEN_STANDARD,
} from './rules.js';
export type { MinuteWindow, ServiceHours } from './service-hours.js';
export { checkServiceHours, parseServiceHours, SERVICE_HOURS_ALWAYS } from './service-hours.js';
export { bytesToHex, sha256, sha256Hex, utf8Encode } from './sha256.js';
export {
  dateFromDayNumber,
  dayNumberFromDate,
  parseIsoDate,
  shanghaiDayNumber,
  shanghaiDayStartMs,
  shanghaiInstantMs,
  shanghaiMinuteOfDay,
  weekdayOfDayNumber,
} from './time.js';
export type {
  Accepted,
  AccountBalance,
  BillPaymentCommand,
  BusinessType,
  DailyClose,
  DailyCloseCommand,
  DayTotals,
  FeeScheduleAnnounceCommand,
  FeeSchedulesMergeCommand,
  HoldState,
  LedgerCommand,
  LedgerCommandType,
  LedgerConfig,
  LedgerEntry,
  LedgerEvent,
  LedgerResult,
  MobileTopupCommand,
  QuotaPurchaseCommand,
  ReconciliationItem,
  Refused,
  StationBalances,
  StationRegisterCommand,
  TotalsKind,
  TypeTotals,
  WithdrawalHoldCommand,
  WithdrawalLimits,
  WithdrawalPostCommand,
  WithdrawalReverseCommand,
  WithdrawalVoidCommand,
} from './types.js';
export { TOTALS_KINDS } from './types.js';
export { WITHDRAWAL_LIMITS_DEFAULT } from './withdrawal-limits.js';
