// R18 monthly fee-compliance check, from the events HQ ingested: did the station charge anything
// beyond its fee schedule (R6)? Each event's fee is compared with the schedule in force on HQ's
// business day of the event (domain/fee-check.ts for withdrawals, core-ledger's schedule lookup
// for the others); a fee above it is an overcharge.
import { type FeeSchedule, feeScheduleInForce, shanghaiDayNumber } from '@bianmin/core-ledger';
import { assert } from '../assert.js';
import { withdrawalFeeOnDay } from '../fee-check.js';

export interface FeeEvent {
  readonly eventId: string;
  readonly businessType: 'CASH_WITHDRAWAL' | 'BILL_PAYMENT' | 'MOBILE_TOPUP';
  readonly feeFen: number;
  readonly atMs: number;
}

export interface Overcharge {
  readonly eventId: string;
  readonly businessType: FeeEvent['businessType'];
  readonly feeFen: number;
  /** The schedule's fee on that day; -1 when no schedule was in force (then any fee is beyond it). */
  readonly scheduledFeeFen: number;
}

function scheduledFee(schedules: readonly FeeSchedule[], event: FeeEvent): number {
  if (event.businessType === 'CASH_WITHDRAWAL') return withdrawalFeeOnDay(schedules, event.atMs);
  const schedule = feeScheduleInForce(schedules, shanghaiDayNumber(event.atMs));
  if (schedule === undefined) return -1;
  return event.businessType === 'BILL_PAYMENT' ? schedule.billPaymentFeeFen : schedule.mobileTopupFeeFen;
}

/** Every event whose fee lies above the schedule in force (no schedule: any fee above zero). */
export function feeOvercharges(events: readonly FeeEvent[], schedules: readonly FeeSchedule[]): Overcharge[] {
  const out: Overcharge[] = [];
  for (const event of events) {
    assert(Number.isSafeInteger(event.feeFen) && event.feeFen >= 0, 'a stored fee is fen (R1)');
    const scheduledFeeFen = scheduledFee(schedules, event);
    if (event.feeFen > Math.max(0, scheduledFeeFen))
      out.push({
        eventId: event.eventId,
        businessType: event.businessType,
        feeFen: event.feeFen,
        scheduledFeeFen,
      });
  }
  assert(out.length <= events.length, 'at most one finding per event');
  return out;
}
