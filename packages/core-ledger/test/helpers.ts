// Shared fixtures for the core-ledger tests: the real working calendars from data/calendar, a
// ledger with three registered stations and quota, and small command builders. Not a test file.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CalendarYear,
  createLedger,
  createWorkingCalendar,
  type Ledger,
  type LedgerConfig,
  parseCalendarYear,
  type ServiceHours,
  shanghaiInstantMs,
  standardFeeSchedule,
  WITHDRAWAL_LIMITS_DEFAULT,
  type WorkingCalendar,
} from '../src/index.js';

export function calendarPath(year: number): string {
  return fileURLToPath(new URL(`../../../data/calendar/cn-${year}.json`, import.meta.url));
}

export function loadCalendarYear(year: number): CalendarYear {
  const parsed = parseCalendarYear(JSON.parse(readFileSync(calendarPath(year), 'utf8')));
  if (!parsed.ok) throw new Error(`calendar ${year}: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

export function realCalendar(): WorkingCalendar {
  return createWorkingCalendar([loadCalendarYear(2025), loadCalendarYear(2026)]);
}

/** 2026-03-02 is a Monday and a working day. */
export const DAY = '2026-03-02';
export const at = (hour: number, minute = 0, date = DAY): number => shanghaiInstantMs(date, hour, minute);

export const HOURS_8_TO_20_MAINT_14_16: ServiceHours = {
  opensAtMinute: 8 * 60,
  closesAtMinute: 20 * 60,
  maintenanceWindows: [{ startMinute: 14 * 60, endMinute: 16 * 60 }],
};

export function baseConfig(overrides: Partial<LedgerConfig> = {}): LedgerConfig {
  return {
    calendar: realCalendar(),
    feeSchedules: [standardFeeSchedule('2025-01-01')],
    withdrawalLimits: WITHDRAWAL_LIMITS_DEFAULT,
    ...overrides,
  };
}

/** A ledger with stations S1..S3 (org code, quota account, 8–20 hours, 14–16 maintenance) and quota. */
export function ledgerWithStations(quotaFen = 100_000, overrides: Partial<LedgerConfig> = {}): Ledger {
  const ledger = createLedger(baseConfig(overrides));
  for (const stationId of ['S1', 'S2', 'S3']) {
    const registered = ledger.apply({
      type: 'station-register',
      id: `reg-${stationId}`,
      atMs: at(7),
      stationId,
      orgCode: `ORG-${stationId}`,
      quotaAccountNo: `Q-${stationId}`,
      serviceHours: HOURS_8_TO_20_MAINT_14_16,
    });
    if (!registered.ok) throw new Error('register failed');
    if (quotaFen > 0) {
      const bought = ledger.apply({
        type: 'quota-purchase',
        id: `qp-${stationId}`,
        atMs: at(7),
        stationId,
        amountFen: quotaFen,
      });
      if (!bought.ok) throw new Error('quota purchase failed');
    }
  }
  return ledger;
}

export const bill = (id: string, amountFen: number, stationId = 'S1', atMs = at(9)) =>
  ({
    type: 'bill-payment',
    id,
    atMs,
    stationId,
    amountFen,
    feeFen: 0,
    billerCode: 'ELEC',
    billAccountNo: '0001',
  }) as const;

export const topup = (id: string, amountFen: number, stationId = 'S1', atMs = at(9)) =>
  ({ type: 'mobile-topup', id, atMs, stationId, amountFen, feeFen: 0, phoneNumber: '13800000000' }) as const;

export const hold = (id: string, amountFen: number, stationId = 'S1', cardToken = 'card-A', atMs = at(10)) =>
  ({ type: 'withdrawal-hold', id, atMs, stationId, cardToken, amountFen, feeFen: 100 }) as const;

export const post = (holdId: string, atMs = at(10, 1)) =>
  ({ type: 'withdrawal-post', id: `${holdId}-post`, atMs, holdId }) as const;

export const voidHold = (holdId: string, atMs = at(10, 1)) =>
  ({ type: 'withdrawal-void', id: `${holdId}-void`, atMs, holdId }) as const;

export const reverse = (holdId: string, id = `${holdId}-rev`, stationId = 'S1', atMs = at(10, 5)) =>
  ({ type: 'withdrawal-reverse', id, atMs, stationId, holdId }) as const;

/** Sum of debits and credits over every account (posted and pending). */
export function accountSums(ledger: Ledger): {
  debits: number;
  credits: number;
  pendingDebits: number;
  pendingCredits: number;
} {
  let debits = 0;
  let credits = 0;
  let pendingDebits = 0;
  let pendingCredits = 0;
  for (const account of ledger.accountBalances()) {
    debits += account.debitsPostedFen;
    credits += account.creditsPostedFen;
    pendingDebits += account.debitsPendingFen;
    pendingCredits += account.creditsPendingFen;
  }
  return { debits, credits, pendingDebits, pendingCredits };
}
