// R6 fee schedules (资费标准): versioned and effective-dated. The version in force on a business
// day is the highest version whose effective date is on or before that day, so a later
// announcement supersedes an earlier one from its own effective date. The first schedules come
// with the ledger config (given in writing before business starts); every later version must be
// announced at least 5 working days before it takes effect: its effective date is no earlier
// than the 5th working day after the announcement's business day (the announcement day itself is
// not counted). The ledger refuses any fee that differs from the schedule in force.

import { assert, assertFen } from './assert.js';
import { addWorkingDays, type WorkingCalendar } from './calendar.js';
import type { LedgerCode } from './errors.js';
import { isFen, isIsoDate } from './input-checks.js';
import { FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN, WITHDRAWAL_FEE_FEN_STANDARD } from './rules.js';
import { parseIsoDate } from './time.js';

export interface FeeSchedule {
  /** Positive integer, strictly increasing across announcements. */
  readonly version: number;
  /** First business day (Asia/Shanghai) the schedule applies, 'YYYY-MM-DD'. */
  readonly effectiveDate: string;
  /** R5: fee per posted cash withdrawal, whatever the amount. */
  readonly withdrawalFeeFen: number;
  /** Fee the customer pays per bill payment (0 in the standard schedule). */
  readonly billPaymentFeeFen: number;
  /** Fee the customer pays per mobile top-up (0 in the standard schedule). */
  readonly mobileTopupFeeFen: number;
}

/** The standard schedule of the Measures: 1.00 yuan per withdrawal, nothing else. */
export function standardFeeSchedule(effectiveDate: string, version = 1): FeeSchedule {
  return {
    version,
    effectiveDate,
    withdrawalFeeFen: WITHDRAWAL_FEE_FEN_STANDARD,
    billPaymentFeeFen: 0,
    mobileTopupFeeFen: 0,
  };
}

/** The shape of a fee schedule from outside (an HQ config): never throws. */
export function isFeeSchedule(value: unknown): value is FeeSchedule {
  if (typeof value !== 'object' || value === null) return false;
  const schedule = value as Partial<FeeSchedule>;
  return (
    typeof schedule.version === 'number' &&
    Number.isSafeInteger(schedule.version) &&
    schedule.version >= 1 &&
    isIsoDate(schedule.effectiveDate) &&
    isFen(schedule.withdrawalFeeFen) &&
    isFen(schedule.billPaymentFeeFen) &&
    isFen(schedule.mobileTopupFeeFen)
  );
}

export function assertFeeSchedule(schedule: FeeSchedule): void {
  assert(
    Number.isSafeInteger(schedule.version) && schedule.version >= 1,
    'fee schedule version must be >= 1',
  );
  assert(parseIsoDate(schedule.effectiveDate) !== undefined, 'fee schedule effectiveDate must be YYYY-MM-DD');
  assertFen(schedule.withdrawalFeeFen, 'withdrawalFeeFen');
  assertFen(schedule.billPaymentFeeFen, 'billPaymentFeeFen');
  assertFen(schedule.mobileTopupFeeFen, 'mobileTopupFeeFen');
}

/** The schedule in force on a business day, or undefined when none is yet. */
export function feeScheduleInForce(
  schedules: readonly FeeSchedule[],
  dayNumber: number,
): FeeSchedule | undefined {
  let best: FeeSchedule | undefined;
  for (const schedule of schedules) {
    if (parseIsoDate(schedule.effectiveDate)! > dayNumber) continue;
    if (best === undefined || schedule.version > best.version) best = schedule;
  }
  return best;
}

/** R6: the reasons an announcement on announceDay is refused; empty when it may be accepted. */
export function checkFeeScheduleAnnouncement(
  known: readonly FeeSchedule[],
  schedule: FeeSchedule,
  announceDay: number,
  calendar: WorkingCalendar,
): LedgerCode[] {
  if (!isFeeSchedule(schedule)) return ['LEDGER_FEE_SCHEDULE_INVALID'];
  const reasons: LedgerCode[] = [];
  for (const existing of known) {
    if (existing.version >= schedule.version) {
      reasons.push('LEDGER_FEE_SCHEDULE_VERSION_NOT_NEWER');
      break;
    }
  }
  const earliest = addWorkingDays(calendar, announceDay, FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN);
  if (!earliest.ok) {
    // Unknown working days are never guessed (never weekends-only): refuse and say why.
    reasons.push(earliest.code);
  } else if (parseIsoDate(schedule.effectiveDate)! < earliest.dayNumber) {
    reasons.push('LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT');
  }
  return reasons;
}
