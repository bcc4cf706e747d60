// The ledger's public data shapes: commands in, results out, configuration, totals. Every
// amount is integer fen (R1) and names its unit; every instant is epoch milliseconds (UTC) and
// every business date is an Asia/Shanghai date 'YYYY-MM-DD'. Commands carry a client-made `id`
// (unique across all commands of a ledger) and the instant `atMs` they happened at.

import type { WorkingCalendar } from './calendar.js';
import type { LedgerCode } from './errors.js';
import type { FeeSchedule } from './fee-schedule.js';
import type { ServiceHours } from './service-hours.js';

/** DOMAIN.md business types (业务种类). */
export type BusinessType = 'CASH_WITHDRAWAL' | 'BILL_PAYMENT' | 'MOBILE_TOPUP' | 'INSURANCE' | 'DISTRIBUTION';

/** R5 limits on cash withdrawals, in fen; per station overridable at registration. */
export interface WithdrawalLimits {
  readonly perTransactionFenMax: number;
  /** Sum of a card's withdrawal amounts (fee excluded) per business day. */
  readonly perCardDailyFenMax: number;
  /** Sum of a station's withdrawal amounts (fee excluded) per business day. */
  readonly perStationDailyFenMax: number;
}

export interface LedgerConfig {
  /** Working days (R6); built with parseCalendarYear + createWorkingCalendar. */
  readonly calendar: WorkingCalendar;
  /**
   * Schedules given in writing before business starts (no notice rule). May be empty: then no
   * fee-bearing business is accepted (LEDGER_FEE_SCHEDULE_NONE_IN_FORCE) until a
   * `fee-schedules-merge` gives the first set, which also counts as given before business starts.
   */
  readonly feeSchedules: readonly FeeSchedule[];
  /** Defaults for stations registered without their own limits. */
  readonly withdrawalLimits: WithdrawalLimits;
  /** Expiry applied to a hold that carries none; absent = holds never expire by default. */
  readonly holdExpiryMs?: number;
  /** Events to make room for up front (HQ with a busy day ahead); default 1024, grows by doubling. */
  readonly eventCapacityInitial?: number;
}

interface CommandBase {
  /** Client-made id, unique per ledger: the idempotency key (TigerBeetle-style). */
  readonly id: string;
  /** When it happened, epoch ms (UTC). The business date is its Asia/Shanghai date. */
  readonly atMs: number;
}

/** R4: HQ gives a station its org code and quota virtual account; null until given. */
export interface StationRegisterCommand extends CommandBase {
  readonly type: 'station-register';
  readonly stationId: string;
  readonly orgCode: string | null;
  readonly quotaAccountNo: string | null;
  /** R20; absent = open at all hours. */
  readonly serviceHours?: ServiceHours;
  /** R5; absent = the config's defaults. */
  readonly withdrawalLimits?: WithdrawalLimits;
}

/** R3: a quota purchase recorded by HQ, at least 50000 fen. */
export interface QuotaPurchaseCommand extends CommandBase {
  readonly type: 'quota-purchase';
  readonly stationId: string;
  readonly amountFen: number;
}

/** R2: a bill payment consumes the station's quota. */
export interface BillPaymentCommand extends CommandBase {
  readonly type: 'bill-payment';
  readonly stationId: string;
  readonly amountFen: number;
  /** Must equal the schedule in force (0 in the standard schedule). */
  readonly feeFen: number;
  readonly billerCode: string;
  readonly billAccountNo: string;
}

/** R2: a mobile top-up consumes the station's quota. */
export interface MobileTopupCommand extends CommandBase {
  readonly type: 'mobile-topup';
  readonly stationId: string;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly phoneNumber: string;
}

/** R5 phase one: the bank authorised; the amount + fee is held. `id` is the hold id. */
export interface WithdrawalHoldCommand extends CommandBase {
  readonly type: 'withdrawal-hold';
  readonly stationId: string;
  /** A card token or hash, never a full card number (R24). */
  readonly cardToken: string;
  readonly amountFen: number;
  /** Must equal the schedule in force (100 fen in the standard schedule). */
  readonly feeFen: number;
  /** After this instant the hold can no longer be posted. */
  readonly expiresAtMs?: number;
}

/** R5 phase two: the cash was handed out; the hold becomes posted entries. */
export interface WithdrawalPostCommand extends CommandBase {
  readonly type: 'withdrawal-post';
  readonly holdId: string;
}

/** R5 phase two, the other way: the hold is released; nothing moves. */
export interface WithdrawalVoidCommand extends CommandBase {
  readonly type: 'withdrawal-void';
  readonly holdId: string;
}

/** 冲正: reverse a timed-out or unknown withdrawal with compensating entries. */
export interface WithdrawalReverseCommand extends CommandBase {
  readonly type: 'withdrawal-reverse';
  readonly stationId: string;
  /** The withdrawal's hold id; it may be unknown here (the authorisation never arrived). */
  readonly holdId: string;
}

/** R6: announce a new fee schedule version. */
export interface FeeScheduleAnnounceCommand extends CommandBase {
  readonly type: 'fee-schedule-announce';
  readonly schedule: FeeSchedule;
}

/**
 * R6 history: merge the fee schedule versions an HQ config carries (HQ sends the full set) into
 * the versions known. Known versions missing from the set are kept; a known version with other
 * content is a conflict; new versions pass checkFeeScheduleSet (notice from announcedAtMs, else
 * from this command's atMs). Nothing is rebuilt: past events, balances and sealed closes stay as
 * they are, judged by the schedule in force when they happened.
 */
export interface FeeSchedulesMergeCommand extends CommandBase {
  readonly type: 'fee-schedules-merge';
  readonly schedules: readonly FeeSchedule[];
}

/** R7: close a station's business day. */
export interface DailyCloseCommand extends CommandBase {
  readonly type: 'daily-close';
  readonly stationId: string;
  readonly businessDate: string;
}

export type LedgerCommand =
  | StationRegisterCommand
  | QuotaPurchaseCommand
  | BillPaymentCommand
  | MobileTopupCommand
  | WithdrawalHoldCommand
  | WithdrawalPostCommand
  | WithdrawalVoidCommand
  | WithdrawalReverseCommand
  | FeeScheduleAnnounceCommand
  | FeeSchedulesMergeCommand
  | DailyCloseCommand;

export type LedgerCommandType = LedgerCommand['type'];

export interface Accepted {
  readonly ok: true;
  readonly code: 'LEDGER_OK' | 'LEDGER_REVERSAL_ALREADY_DONE';
  /** Position of the recorded event in the immutable history. */
  readonly eventIndex: number;
  /** Set for daily-close commands. */
  readonly close?: DailyClose;
}

export interface Refused {
  readonly ok: false;
  /** The first reason by precedence. */
  readonly code: LedgerCode;
  /** Every reason at once (R21), in the fixed precedence order of LEDGER_CODES. */
  readonly reasons: readonly LedgerCode[];
}

export type LedgerResult = Accepted | Refused;

/** Totals of one business type for one station and business day. */
export interface TypeTotals {
  readonly count: number;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly quotaConsumedFen: number;
}

/**
 * R7 totals for one station and business day. CASH_WITHDRAWAL counts posted withdrawals (at the
 * post); REVERSAL counts reversals with the amount and fee they gave back; QUOTA_PURCHASE's
 * amountFen is the quota bought.
 */
export interface DayTotals {
  readonly CASH_WITHDRAWAL: TypeTotals;
  readonly BILL_PAYMENT: TypeTotals;
  readonly MOBILE_TOPUP: TypeTotals;
  readonly REVERSAL: TypeTotals;
  readonly QUOTA_PURCHASE: TypeTotals;
}

export type TotalsKind = keyof DayTotals;

export const TOTALS_KINDS: readonly TotalsKind[] = [
  'CASH_WITHDRAWAL',
  'BILL_PAYMENT',
  'MOBILE_TOPUP',
  'REVERSAL',
  'QUOTA_PURCHASE',
];

/** R7: a sealed daily close. `hash` = SHA-256 over the canonical JSON of every other field. */
export interface DailyClose {
  readonly stationId: string;
  readonly businessDate: string;
  /** 1 for a station's first close, then +1. */
  readonly sequence: number;
  readonly closedAtMs: number;
  readonly totals: DayTotals;
  /** Holds still pending at the close (they complete on a later business day). */
  readonly holdsPendingCount: number;
  /** The previous close's hash; 64 zeros for the first. */
  readonly previousHash: string;
  readonly hash: string;
}

/** One money event as two ledgers (or a ledger and a report) compare them (R8). */
export interface ReconciliationItem {
  readonly id: string;
  readonly stationId: string;
  readonly kind: TotalsKind;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly businessDate: string;
}

/** A read-only view of one recorded event. */
export interface LedgerEvent {
  readonly index: number;
  readonly id: string;
  readonly type: LedgerCommandType;
  readonly stationId: string | undefined;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly atMs: number;
  readonly businessDate: string;
  readonly code: 'LEDGER_OK' | 'LEDGER_REVERSAL_ALREADY_DONE';
}

/** A read-only view of one double-entry posting: debit one account, credit another, same amount. */
export interface LedgerEntry {
  readonly index: number;
  readonly eventIndex: number;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amountFen: number;
  /** posted: final; pending: a hold; void: a hold released (undoes a pending entry). */
  readonly phase: 'posted' | 'pending' | 'void';
  /** The R5 fee leg of a withdrawal (or a scheduled fee of another business). */
  readonly fee: boolean;
  /** A compensating entry of a reversal (冲正). */
  readonly reversal: boolean;
}

export interface AccountBalance {
  readonly name: string;
  readonly debitsPostedFen: number;
  readonly creditsPostedFen: number;
  readonly debitsPendingFen: number;
  readonly creditsPendingFen: number;
}

export interface StationBalances {
  /** Credits minus debits posted on the station's settlement account. */
  readonly settlementFen: number;
  /** Held, not yet posted, for the station (withdrawals authorised). */
  readonly settlementPendingFen: number;
  /** R2: the quota left; never below zero. */
  readonly quotaFenAvailable: number;
}

export type HoldState = 'pending' | 'posted' | 'voided' | 'reversed';
