// The HQ ledger mirror (domain/ledger-mirror.ts) built from its inputs: the working calendar's
// years, the withdrawal limits and fee schedules (default: HQ's station defaults) and, at ingest,
// the provenance book. Shared by the gateway's wiring (main.ts) and the offline quota view
// (app/quota-view.ts); the calendar files are read by the caller (main.ts loadCalendarYears).
import {
  type CalendarYear,
  createWorkingCalendar,
  type FeeSchedule,
  type WithdrawalLimits,
} from '@bianmin/core-ledger';
import { feeSchedulesOf } from '../domain/fee-check.js';
import { LedgerMirror } from '../domain/ledger-mirror.js';
import type { ProvenanceBook } from '../domain/provenance.js';
import { ledgerLimitsOf } from '../domain/withdrawal-limits.js';
import { ledgerEventCapacityInitial } from '../limits.js';
import { stationDefaults } from './operations.js';

/** HQ's ledger mirror rebuilt from the store (CLI commands that need HQ's quota view). */
export function createLedgerMirror(
  calendarYears: readonly CalendarYear[],
  withdrawalLimits: WithdrawalLimits = ledgerLimitsOf(stationDefaults),
  feeSchedules: readonly FeeSchedule[] = feeSchedulesOf(stationDefaults),
  provenance?: ProvenanceBook,
): LedgerMirror {
  return new LedgerMirror({
    withdrawalLimits,
    calendar: createWorkingCalendar([...calendarYears]),
    feeSchedules,
    ...(provenance === undefined ? {} : { provenance }),
    // Sized up front: core-ledger grows its typed-array columns by doubling, which costs copies
    // and GC in the middle of ingest.
    eventCapacityInitial: ledgerEventCapacityInitial,
  });
}
