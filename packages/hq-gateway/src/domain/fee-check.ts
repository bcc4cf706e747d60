// R5/R6 at HQ's authorisation, pure: the withdrawal fee a request names must be the one of the
// fee schedule in force for that station on HQ's business day, not a constant, so after an R6
// change (announced 5 working days ahead, docs/hq.md) withdrawals at the new fee are approved and
// the old fee is declined. The schedules are versioned history: every version HQ ever announced,
// the very list HQ signs into StationConfig.fee_schedules and hands its ledger mirror.
import { type FeeSchedule, feeScheduleInForce, shanghaiDayNumber } from '@bianmin/core-ledger';
import { assert } from './assert.js';

/** A fee schedule as HQ announces it (StationConfig.FeeSchedule): core-ledger's plus when it was announced. */
export interface HqFeeSchedule extends FeeSchedule {
  /** When HQ announced it (Unix ms); 0 for the schedule given in writing before business started. */
  readonly announcedAtMs: number;
}

/** The fee-schedule part of the station defaults (app/operations.ts StationDefaults). */
export interface FeeScheduleDefaults {
  readonly withdrawalFeeFen: number;
  readonly feeScheduleVersion: number;
  readonly feeScheduleEffectiveDate: string;
  /** Every version, oldest first; absent: the one schedule the three fields above describe. */
  readonly feeSchedules?: readonly HqFeeSchedule[];
}

export function feeSchedulesOf(defaults: FeeScheduleDefaults): readonly HqFeeSchedule[] {
  const schedules = defaults.feeSchedules ?? [
    {
      version: defaults.feeScheduleVersion,
      effectiveDate: defaults.feeScheduleEffectiveDate,
      announcedAtMs: 0,
      withdrawalFeeFen: defaults.withdrawalFeeFen,
      billPaymentFeeFen: 0,
      mobileTopupFeeFen: 0,
    },
  ];
  if (schedules.length === 0) throw new Error('at least one fee schedule (R6)');
  for (const s of schedules) {
    if (!(Number.isSafeInteger(s.withdrawalFeeFen) && s.withdrawalFeeFen >= 0))
      throw new Error('withdrawalFeeFen must be fen');
  }
  assert(schedules.length >= 1, 'at least one fee schedule (R6)');
  return schedules;
}

/**
 * True when `feeFen` is the withdrawal fee of a schedule in force on HQ's business day of
 * `atMs`, or of the day `skewMs` before or after (a kiosk a few seconds off around midnight of an
 * effective date must not be declined for it).
 */
export function withdrawalFeeInForce(
  schedules: readonly FeeSchedule[],
  feeFen: number,
  atMs: number,
  skewMs: number,
): boolean {
  if (!(Number.isSafeInteger(feeFen) && feeFen >= 0)) return false;
  if (!(Number.isSafeInteger(skewMs) && skewMs >= 0)) throw new Error('skewMs must be a whole number');
  // atMs is HQ's own clock (issue 9), never the kiosk's claim.
  assert(Number.isSafeInteger(atMs) && atMs >= 0, 'atMs must be HQ epoch milliseconds');
  const days = new Set([
    shanghaiDayNumber(atMs - skewMs),
    shanghaiDayNumber(atMs),
    shanghaiDayNumber(atMs + skewMs),
  ]);
  assert(days.size >= 1 && days.size <= 3, 'one to three business days around atMs');
  for (const day of days) {
    if (feeScheduleInForce(schedules, day)?.withdrawalFeeFen === feeFen) return true;
  }
  return false;
}

/** The withdrawal fee of the schedule in force on HQ's business day of `atMs` (-1 when none is). */
export function withdrawalFeeOnDay(schedules: readonly FeeSchedule[], atMs: number): number {
  assert(Number.isSafeInteger(atMs) && atMs >= 0, 'atMs must be HQ epoch milliseconds');
  const feeFen = feeScheduleInForce(schedules, shanghaiDayNumber(atMs))?.withdrawalFeeFen ?? -1;
  assert(feeFen === -1 || (Number.isSafeInteger(feeFen) && feeFen >= 0), 'a scheduled fee is fen (R1)');
  return feeFen;
}
