// The agent's view of the HQ-signed StationConfig it runs under: the decoded wire message with
// every optional field resolved (proto3 leaves absent fields null), integers asserted (R1).

import {
  dayNumberFromDate,
  type FeeSchedule,
  feeScheduleInForce,
  SERVICE_HOURS_ALWAYS,
  type ServiceHours,
} from '@bianmin/core-ledger';
import type { bianmin } from '@bianmin/wire';
import { assert, assertIntegerInRange } from '../assert.js';

/** A fee schedule as HQ signs it: core-ledger's shape and when it was announced (epoch ms; 0 = not given). */
export type AnnouncedFeeSchedule = FeeSchedule & { readonly announcedAtMs: number };

export interface ActiveConfig {
  readonly configVersion: number;
  readonly orgCode: string;
  readonly quotaAccountId: string;
  readonly quotaFenBalance: number;
  readonly quotaBalanceThroughSeq: number;
  /** core-ledger's FeeSchedule shape (the proto mirrors it), with the signed announcement time (R6). */
  readonly feeSchedules: readonly AnnouncedFeeSchedule[];
  readonly quotaPurchases: readonly { readonly purchaseId: string; readonly amountFen: number }[];
  /** core-ledger's ServiceHours (R20); always open when HQ sent none. */
  readonly serviceHours: ServiceHours;
  readonly limits: {
    readonly withdrawalFenMaxPerTransaction: number;
    /** R5 daily caps (0 = core-ledger's default), checked before the bank is asked. */
    readonly withdrawalFenMaxPerCardPerDay: number;
    readonly withdrawalFenMaxPerStationPerDay: number;
    readonly billPaymentFenMaxPerTransaction: number;
    readonly topupFenMaxPerTransaction: number;
    readonly authorisationTimeoutMs: number;
    /** How long an authorised hold may wait to be posted; 0 = no expiry (proto Limits.hold_expiry_ms). */
    readonly holdExpiryMs: number;
  };
}

function int(value: number | null | undefined, what: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`assert: ${what} must be a non-negative safe integer`);
  return n;
}

export function toActiveConfig(config: bianmin.v1.IStationConfig): ActiveConfig {
  const limits = config.limits ?? {};
  const hours = config.serviceHours;
  return {
    configVersion: int(config.configVersion, 'configVersion'),
    orgCode: config.orgCode ?? '',
    quotaAccountId: config.quotaAccountId ?? '',
    quotaFenBalance: int(config.quotaFenBalance, 'quotaFenBalance'),
    quotaBalanceThroughSeq: int(config.quotaBalanceThroughSeq, 'quotaBalanceThroughSeq'),
    feeSchedules: (config.feeSchedules ?? []).map((schedule) => ({
      version: int(schedule.version, 'version'),
      effectiveDate: schedule.effectiveDate ?? '',
      announcedAtMs: int(schedule.announcedAtMs, 'announcedAtMs'),
      withdrawalFeeFen: int(schedule.withdrawalFeeFen, 'withdrawalFeeFen'),
      billPaymentFeeFen: int(schedule.billPaymentFeeFen, 'billPaymentFeeFen'),
      mobileTopupFeeFen: int(schedule.mobileTopupFeeFen, 'mobileTopupFeeFen'),
    })),
    quotaPurchases: (config.quotaPurchases ?? []).map((purchase) => ({
      purchaseId: purchase.purchaseId ?? '',
      amountFen: int(purchase.amountFen, 'amountFen'),
    })),
    serviceHours:
      hours === null || hours === undefined
        ? SERVICE_HOURS_ALWAYS
        : {
            opensAtMinute: int(hours.opensAtMinute, 'opensAtMinute'),
            closesAtMinute: int(hours.closesAtMinute, 'closesAtMinute'),
            maintenanceWindows: (hours.maintenanceWindows ?? []).map((w) => ({
              startMinute: int(w.startMinute, 'startMinute'),
              endMinute: int(w.endMinute, 'endMinute'),
            })),
          },
    limits: {
      withdrawalFenMaxPerTransaction: int(limits.withdrawalFenMaxPerTransaction, 'withdrawal limit'),
      withdrawalFenMaxPerCardPerDay: int(limits.withdrawalFenMaxPerCardPerDay, 'card daily limit'),
      withdrawalFenMaxPerStationPerDay: int(limits.withdrawalFenMaxPerStationPerDay, 'station daily limit'),
      billPaymentFenMaxPerTransaction: int(limits.billPaymentFenMaxPerTransaction, 'bill limit'),
      topupFenMaxPerTransaction: int(limits.topupFenMaxPerTransaction, 'topup limit'),
      authorisationTimeoutMs: int(limits.authorisationTimeoutMs, 'authorisationTimeoutMs'),
      holdExpiryMs: int(limits.holdExpiryMs, 'holdExpiryMs'),
    },
  };
}

export type FeeKind = 'CASH_WITHDRAWAL' | 'BILL_PAYMENT' | 'MOBILE_TOPUP';

/** The fee per transaction from the schedule in force on `businessDate` (core-ledger's rule, R6). */
export function feeInForce(
  schedules: readonly FeeSchedule[],
  kind: FeeKind,
  businessDate: string,
): { feeFen: number; version: number } {
  // The business date is ours (businessDateOf); the schedules passed int() or the stored history check.
  assert(/^\d{4}-\d{2}-\d{2}$/.test(businessDate), 'feeInForce: businessDate must be YYYY-MM-DD');
  const schedule = feeScheduleInForce(schedules, dayNumberFromDate(businessDate));
  if (schedule === undefined) return { feeFen: 0, version: 0 };
  const feeFen =
    kind === 'CASH_WITHDRAWAL'
      ? schedule.withdrawalFeeFen
      : kind === 'BILL_PAYMENT'
        ? schedule.billPaymentFeeFen
        : schedule.mobileTopupFeeFen;
  assertIntegerInRange(feeFen, 0, Number.MAX_SAFE_INTEGER, 'feeInForce feeFen (R1)');
  return { feeFen, version: schedule.version };
}

/** WithdrawalAuthorised.hold_expires_at_ms: authorised + the configured hold expiry; 0 = no expiry. */
export function holdExpiresAtMsOf(authorisedAtMs: number, holdExpiryMs: number): number {
  if (!Number.isSafeInteger(holdExpiryMs) || holdExpiryMs < 0) throw new Error('assert: holdExpiryMs >= 0');
  return holdExpiryMs > 0 ? authorisedAtMs + holdExpiryMs : 0;
}
