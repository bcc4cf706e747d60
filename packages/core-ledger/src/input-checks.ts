// Checks of values that come from outside the process (the operator API, an HQ message, a journal
// row written by an older version): each answers true or false and never throws, so the ledger can
// turn a bad value into a refusal with a code and list it beside every other reason (R21). The
// assert* functions in assert.ts stay for programmer errors; these are for input.

import { LEDGER_LIMITS } from './limits.js';
import type { ServiceHours } from './service-hours.js';
import { parseIsoDate } from './time.js';
import type { WithdrawalLimits } from './types.js';

/** R1: integer fen in [0, amountFenMax]. */
export function isFen(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= 0 &&
    value <= LEDGER_LIMITS.amountFenMax
  );
}

/** Integer epoch milliseconds (UTC), never negative. */
export function isInstantMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A client-made id or another short identifier: 1..idLengthMax characters. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= LEDGER_LIMITS.idLengthMax;
}

/** A real calendar date 'YYYY-MM-DD'. */
export function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && parseIsoDate(value) !== undefined;
}

function isMinute(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** R20 service hours with minutes in range and at most maintenanceWindowsMax windows. */
export function isServiceHours(value: unknown): value is ServiceHours {
  if (typeof value !== 'object' || value === null) return false;
  const hours = value as Partial<ServiceHours>;
  if (!isMinute(hours.opensAtMinute, 1439) || !isMinute(hours.closesAtMinute, 1440)) return false;
  const windows = hours.maintenanceWindows;
  if (!Array.isArray(windows) || windows.length > LEDGER_LIMITS.maintenanceWindowsMax) return false;
  return windows.every(
    (window: unknown) =>
      typeof window === 'object' &&
      window !== null &&
      isMinute((window as { startMinute?: unknown }).startMinute, 1439) &&
      isMinute((window as { endMinute?: unknown }).endMinute, 1440),
  );
}

/** R5 limits: three amounts of integer fen. */
export function isWithdrawalLimits(value: unknown): value is WithdrawalLimits {
  if (typeof value !== 'object' || value === null) return false;
  const limits = value as Partial<WithdrawalLimits>;
  return (
    isFen(limits.perTransactionFenMax) &&
    isFen(limits.perCardDailyFenMax) &&
    isFen(limits.perStationDailyFenMax)
  );
}

/** R1: adding addFen to totalFen stays a safe integer (exact in a double). */
export function sumFits(totalFen: number, addFen: number): boolean {
  return totalFen + addFen <= Number.MAX_SAFE_INTEGER;
}
