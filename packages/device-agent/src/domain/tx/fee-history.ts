// Fee schedules are history (R6): the kiosk keeps every version HQ ever gave it, and a config may
// add a version only with its announcement at least 5 working days before the effective date (the
// working-day calendar of data/calendar; a year with no calendar is refused, never guessed) —
// core-ledger's checkFeeScheduleSet decides. The first schedules (the kiosk knows none yet) are the
// ones "given in writing before business starts" and need no notice. Pure: the calendar and the
// time come in as arguments.
import {
  checkFeeScheduleSet,
  type FeeSchedule,
  type LedgerCode,
  sameFeeSchedule,
  type WorkingCalendar,
} from '@bianmin/core-ledger';
import { assert } from '../assert.js';
import type { AnnouncedFeeSchedule } from './active-config.js';

/** True when the versions are strictly ascending (each version once). */
function ascendingVersions(schedules: readonly FeeSchedule[]): boolean {
  return schedules.every(
    (schedule, index) => index === 0 || schedules[index - 1]!.version < schedule.version,
  );
}

/** core-ledger's shape of a schedule (the announcement time dropped). */
export function plainSchedule(schedule: FeeSchedule): FeeSchedule {
  const plain = {
    version: schedule.version,
    effectiveDate: schedule.effectiveDate,
    withdrawalFeeFen: schedule.withdrawalFeeFen,
    billPaymentFeeFen: schedule.billPaymentFeeFen,
    mobileTopupFeeFen: schedule.mobileTopupFeeFen,
  };
  // Only the announcement is dropped: the fee content is the same schedule.
  assert(sameFeeSchedule(plain, schedule), 'plainSchedule: the copy changed the schedule');
  return plain;
}

/** One reason a config's fee schedules are refused (R6), naming the version. */
export interface FeeScheduleProblem {
  readonly version: number;
  readonly code: LedgerCode | 'AGENT_FEE_SCHEDULE_CHANGED' | 'AGENT_FEE_SCHEDULE_NOT_ANNOUNCED';
}

/**
 * The reasons the schedules of a new config are refused; [] when they may be merged. The R6 rule
 * itself is core-ledger's (checkFeeScheduleSet: a known version unchanged, a new one newer and
 * announced 5 working days ahead, no guessed calendar). The kiosk adds one policy: a new version
 * must carry its signed announcement time (HQ signs it; "as received" is not enough at the kiosk).
 */
export function checkFeeScheduleChange(
  known: readonly FeeSchedule[],
  incoming: readonly AnnouncedFeeSchedule[],
  calendar: WorkingCalendar,
  receivedAtMs: number,
): FeeScheduleProblem[] {
  const problems: FeeScheduleProblem[] = [];
  const knownVersions = new Set(known.map((schedule) => schedule.version));
  if (known.length > 0) {
    for (const schedule of incoming) {
      if (!knownVersions.has(schedule.version) && schedule.announcedAtMs <= 0)
        problems.push({ version: schedule.version, code: 'AGENT_FEE_SCHEDULE_NOT_ANNOUNCED' });
    }
  }
  const given = incoming.map((schedule) => (schedule.announcedAtMs > 0 ? schedule : plainSchedule(schedule)));
  const check = checkFeeScheduleSet(known, given, { calendar, receivedAtMs });
  for (const problem of check.problems) {
    problems.push({
      version: problem.version,
      code:
        problem.code === 'LEDGER_FEE_SCHEDULE_VERSION_CONFLICT' ? 'AGENT_FEE_SCHEDULE_CHANGED' : problem.code,
    });
  }
  // Every problem names a version of the incoming config (R21: the refusal says which one).
  assert(
    problems.every((problem) => incoming.some((schedule) => schedule.version === problem.version)),
    'checkFeeScheduleChange: a problem names a version the config does not carry',
  );
  return problems;
}

/** `known` with the versions of `incoming` it lacks (a known version keeps its first content). */
export function mergeFeeSchedules(
  known: readonly FeeSchedule[],
  incoming: readonly FeeSchedule[],
): FeeSchedule[] {
  const byVersion = new Map(known.map((schedule) => [schedule.version, plainSchedule(schedule)]));
  for (const schedule of incoming) {
    if (!byVersion.has(schedule.version)) byVersion.set(schedule.version, plainSchedule(schedule));
  }
  const merged = [...byVersion.values()].sort((a, b) => a.version - b.version);
  // R6: history is merged, never dropped; each version once, in order.
  assert(ascendingVersions(merged), 'mergeFeeSchedules: versions not strictly ascending');
  assert(
    merged.length >= known.length && incoming.every((schedule) => byVersion.has(schedule.version)),
    'mergeFeeSchedules: a version was dropped',
  );
  return merged;
}

/** The history stored in the journal's meta, read back; [] for anything that is not a list of schedules. */
export function parseStoredSchedules(text: string): FeeSchedule[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const fen = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  return value.filter(
    (s): s is FeeSchedule =>
      typeof s === 'object' &&
      s !== null &&
      Number.isSafeInteger(s.version) &&
      s.version >= 1 &&
      typeof s.effectiveDate === 'string' &&
      fen(s.withdrawalFeeFen) &&
      fen(s.billPaymentFeeFen) &&
      fen(s.mobileTopupFeeFen),
  );
}
