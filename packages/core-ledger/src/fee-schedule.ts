// R6 fee schedules (资费标准): versioned and effective-dated. The version in force on a business
// day is the highest version whose effective date is on or before that day, so a later
// announcement supersedes an earlier one from its own effective date. The first schedules come
// with the ledger config (given in writing before business starts); every later version must be
// announced at least 5 working days before it takes effect: its effective date is no earlier
// than the 5th working day after the announcement's business day (the announcement day itself is
// not counted). The ledger refuses any fee that differs from the schedule in force.

import { assert, assertFen } from './assert.js';
import { addWorkingDays, type WorkingCalendar } from './calendar.js';
import { type LedgerCode, sortByPrecedence } from './errors.js';
import { isFen, isInstantMs, isIsoDate } from './input-checks.js';
import { LEDGER_LIMITS } from './limits.js';
import { FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN, WITHDRAWAL_FEE_FEN_STANDARD } from './rules.js';
import { parseIsoDate, shanghaiDayNumber } from './time.js';

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
  /**
   * When HQ announced this version (epoch ms, part of HQ's signed config); R6 counts the notice
   * from its business day. Absent for the schedules given in writing before business starts, and
   * for a version whose announcement the receiver only knows by receiving it (then the receipt
   * instant counts). Not part of a version's identity: two copies differing only here are equal.
   */
  readonly announcedAtMs?: number;
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
    isFen(schedule.mobileTopupFeeFen) &&
    (schedule.announcedAtMs === undefined || isInstantMs(schedule.announcedAtMs))
  );
}

/** Same version, same content (the announcement instant is not part of a version's identity). */
export function sameFeeSchedule(a: FeeSchedule, b: FeeSchedule): boolean {
  return (
    a.version === b.version &&
    a.effectiveDate === b.effectiveDate &&
    a.withdrawalFeeFen === b.withdrawalFeeFen &&
    a.billPaymentFeeFen === b.billPaymentFeeFen &&
    a.mobileTopupFeeFen === b.mobileTopupFeeFen
  );
}

/** A frozen copy: the ledger never keeps a caller's object, nor hands out its own (sealed means immutable). */
export function frozenFeeSchedule(schedule: FeeSchedule): FeeSchedule {
  const copy: FeeSchedule = {
    version: schedule.version,
    effectiveDate: schedule.effectiveDate,
    withdrawalFeeFen: schedule.withdrawalFeeFen,
    billPaymentFeeFen: schedule.billPaymentFeeFen,
    mobileTopupFeeFen: schedule.mobileTopupFeeFen,
    ...(schedule.announcedAtMs === undefined ? {} : { announcedAtMs: schedule.announcedAtMs }),
  };
  return Object.freeze(copy);
}

/** One reason a fee schedule set is refused, with the version it is about (0: the set itself). */
export interface FeeScheduleSetProblem {
  readonly version: number;
  readonly code: LedgerCode;
}

export interface FeeScheduleSetCheck {
  /** true when the set may be merged into the known history. */
  readonly ok: boolean;
  /** Every reason at once (R21), in precedence order; empty when ok. */
  readonly reasons: readonly LedgerCode[];
  /** Each reason with the version it concerns. */
  readonly problems: readonly FeeScheduleSetProblem[];
  /** The versions new to the known history, by version (what a merge adds; empty when not ok). */
  readonly added: readonly FeeSchedule[];
}

export interface FeeScheduleSetContext {
  /** Working days (R6); a year without data is LEDGER_CALENDAR_YEAR_MISSING, never guessed. */
  readonly calendar: WorkingCalendar;
  /** When the set is received (epoch ms): the announcement of a new version without announcedAtMs. */
  readonly receivedAtMs: number;
}

/**
 * R6 over a whole set, the one check the kiosk and HQ both run before accepting a config, and the
 * rule the ledger's `fee-schedules-merge` applies. Schedules are versioned history: a version
 * already known must come with the same content (else LEDGER_FEE_SCHEDULE_VERSION_CONFLICT); a
 * known version missing from the set is kept, never dropped; a new version must be higher than
 * every known one and take effect on or after the 5th working day after its announcement
 * (announcedAtMs, else receivedAtMs). When nothing is known yet, the set is the schedule given in
 * writing before business starts (R6) and no notice applies. Pure: never throws for bad input.
 */
export function checkFeeScheduleSet(
  known: readonly FeeSchedule[],
  given: readonly FeeSchedule[],
  context: FeeScheduleSetContext,
): FeeScheduleSetCheck {
  assert(isInstantMs(context.receivedAtMs), 'receivedAtMs must be epoch ms');
  const problems: FeeScheduleSetProblem[] = [];
  if (!Array.isArray(given) || given.length > LEDGER_LIMITS.feeScheduleVersionsMax) {
    problems.push({
      version: 0,
      code: Array.isArray(given) ? 'LEDGER_FEE_SCHEDULE_VERSIONS_TOO_MANY' : 'LEDGER_FEE_SCHEDULE_INVALID',
    });
    return setResult(problems, []);
  }
  const knownByVersion = new Map<number, FeeSchedule>(known.map((schedule) => [schedule.version, schedule]));
  let knownVersionMax = 0;
  for (const schedule of known) knownVersionMax = Math.max(knownVersionMax, schedule.version);
  const newByVersion = new Map<number, FeeSchedule>();
  for (const schedule of given) {
    if (!isFeeSchedule(schedule)) {
      const version = (schedule as { version?: unknown } | null)?.version;
      problems.push({
        version: typeof version === 'number' && Number.isSafeInteger(version) ? version : 0,
        code: 'LEDGER_FEE_SCHEDULE_INVALID',
      });
      continue;
    }
    const seen = knownByVersion.get(schedule.version) ?? newByVersion.get(schedule.version);
    if (seen !== undefined) {
      if (!sameFeeSchedule(seen, schedule)) {
        problems.push({ version: schedule.version, code: 'LEDGER_FEE_SCHEDULE_VERSION_CONFLICT' });
      }
      continue;
    }
    newByVersion.set(schedule.version, schedule);
  }
  const added = [...newByVersion.values()].sort((a, b) => a.version - b.version);
  if (known.length > 0) {
    for (const schedule of added) {
      if (schedule.version <= knownVersionMax) {
        problems.push({ version: schedule.version, code: 'LEDGER_FEE_SCHEDULE_VERSION_NOT_NEWER' });
      }
      const announceDay = shanghaiDayNumber(schedule.announcedAtMs ?? context.receivedAtMs);
      const notice = noticeReason(schedule, announceDay, context.calendar);
      if (notice !== undefined) problems.push({ version: schedule.version, code: notice });
    }
  }
  if (known.length + added.length > LEDGER_LIMITS.feeScheduleVersionsMax) {
    problems.push({ version: 0, code: 'LEDGER_FEE_SCHEDULE_VERSIONS_TOO_MANY' });
  }
  return setResult(problems, added);
}

function setResult(problems: FeeScheduleSetProblem[], added: readonly FeeSchedule[]): FeeScheduleSetCheck {
  const reasons = sortByPrecedence([...new Set(problems.map((problem) => problem.code))]);
  const ok = reasons.length === 0;
  return { ok, reasons, problems, added: ok ? added : [] };
}

/** R6 notice: undefined when the effective date is far enough from the announcement day. */
function noticeReason(
  schedule: FeeSchedule,
  announceDay: number,
  calendar: WorkingCalendar,
): LedgerCode | undefined {
  const earliest = addWorkingDays(calendar, announceDay, FEE_SCHEDULE_NOTICE_WORKING_DAYS_MIN);
  // Unknown working days are never guessed (never weekends-only): refuse and say why.
  if (!earliest.ok) return earliest.code;
  return parseIsoDate(schedule.effectiveDate)! < earliest.dayNumber
    ? 'LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT'
    : undefined;
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
  const notice = noticeReason(schedule, announceDay, calendar);
  if (notice !== undefined) reasons.push(notice);
  if (known.length >= LEDGER_LIMITS.feeScheduleVersionsMax)
    reasons.push('LEDGER_FEE_SCHEDULE_VERSIONS_TOO_MANY');
  return reasons;
}
