// The ledger: double entry over an immutable, append-only history (a correction is a new entry).
// createLedger(config) returns an object whose apply(command) records one business command and
// returns a value: Accepted (with the event's index) or Refused (every reason at once, R21).
// Nothing is thrown for a business outcome; an assertion fails only for programmer errors (R1:
// fen that are not safe integers, an empty id).
//
// Accounts (each posting debits one and credits another by the same amount, so every posting
// balances by construction; account totals are asserted):
//   station:<id>:settlement  the station's settlement account: receives withdrawal amount + fee (R5)
//   station:<id>:quota       the quota virtual account (R2–R4); credits - debits never below zero
//   bank-clearing            customers' bank accounts (card side of withdrawals)
//   customer-cash-clearing   cash customers pay at the counter (scheduled fees other than R5)
//   quota-funding            money paid for quota at postal outlets (R3)
//   biller-clearing          what HQ owes utilities for bill payments
//   topup-clearing           what HQ owes carriers for top-ups
//
// Idempotency as TigerBeetle does it: every command's client-made id is remembered with the
// outcome, accepted or refused. The same id with the same content returns the first result
// (replaying any sequence of commands a second time changes nothing); the same id with other
// content is refused with LEDGER_ID_CONFLICT.
//
// Business dates: a command's date is the Asia/Shanghai date of atMs. New business (holds, bill
// payments, top-ups) on a closed day is refused; completions and corrections (post, void,
// reversal, quota purchase) are never refused for that reason, they land on the station's next
// open business day, so a close never changes after it is sealed.

import { assert, assertFen } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import {
  closeHash,
  GENESIS_HASH,
  SLOT_BILL,
  SLOT_QUOTA_PURCHASE,
  SLOT_REVERSAL,
  SLOT_TOPUP,
  SLOT_WITHDRAWAL,
  TOTALS_SLOTS,
  totalsFromSlots,
} from './daily-close.js';
import { DailyUsage } from './daily-usage.js';
import { sortByPrecedence } from './errors.js';
import {
  assertFeeSchedule,
  checkFeeScheduleAnnouncement,
  checkFeeScheduleSet,
  type FeeSchedule,
  feeScheduleInForce,
  frozenFeeSchedule,
} from './fee-schedule.js';
import { ID_MISSING } from './id-index.js';
import { isFen, isId, isInstantMs, isIsoDate, isServiceHours, isWithdrawalLimits } from './input-checks.js';
import {
  A_BANK_CLEARING,
  A_BILLER_CLEARING,
  A_CUSTOMER_CASH_CLEARING,
  A_QUOTA_FUNDING,
  A_TOPUP_CLEARING,
  CODE_NOOP_INDEX,
  CONFLICT,
  DAY_NONE,
  E_FEE,
  E_PENDING,
  E_VOID,
  H_PENDING,
  H_POSTED,
  H_REVERSED,
  H_VOIDED,
  K_BILL,
  K_CLOSE,
  K_FEE_ANNOUNCE,
  K_FEE_MERGE,
  K_HOLD,
  K_POST,
  K_QUOTA_PURCHASE,
  K_REGISTER,
  K_REVERSE,
  K_TOPUP,
  K_VOID,
  LedgerStore,
  type StationState,
} from './ledger-store.js';
import { LEDGER_LIMITS } from './limits.js';
import { QUOTA_PURCHASE_FEN_MIN } from './rules.js';
import { SERVICE_HOURS_ALWAYS, serviceHoursState } from './service-hours.js';
import { dayNumberFromDate, shanghaiDayNumber, shanghaiMinuteOfDay } from './time.js';
import type {
  Accepted,
  AccountBalance,
  BillPaymentCommand,
  DailyClose,
  DailyCloseCommand,
  DayTotals,
  FeeScheduleAnnounceCommand,
  FeeSchedulesMergeCommand,
  HoldState,
  LedgerCommand,
  LedgerConfig,
  LedgerEntry,
  LedgerEvent,
  LedgerResult,
  MobileTopupCommand,
  QuotaPurchaseCommand,
  ReconciliationItem,
  Refused,
  StationBalances,
  StationRegisterCommand,
  WithdrawalHoldCommand,
  WithdrawalLimits,
  WithdrawalPostCommand,
  WithdrawalReverseCommand,
  WithdrawalVoidCommand,
} from './types.js';

/** The public face of a ledger instance. */
export interface Ledger {
  /** Applies one command; never throws for a business outcome. */
  apply(command: LedgerCommand): LedgerResult;
  /** The recorded outcome for a client id, or undefined when the id was never seen. */
  lookup(id: string): LedgerResult | undefined;
  readonly eventCount: number;
  readonly entryCount: number;
  event(index: number): LedgerEvent;
  entry(index: number): LedgerEntry;
  stationIds(): readonly string[];
  stationBalances(stationId: string): StationBalances | undefined;
  accountBalances(): readonly AccountBalance[];
  holdState(holdId: string): HoldState | undefined;
  /** Totals of a station's business day so far (closed or not). */
  dayTotals(stationId: string, businessDate: string): DayTotals;
  /**
   * R7: business days after the station's last close that have business, oldest first (only
   * those before `beforeDate` when given). A close of a later day is refused while one is left
   * (LEDGER_CLOSE_EARLIER_DAY_UNCLOSED): a service catches up by closing each of them in order.
   */
  unclosedBusinessDays(stationId: string, beforeDate?: string): string[];
  /** A station's sealed closes, oldest first. */
  closes(stationId: string): readonly DailyClose[];
  /** Known fee schedules, in announcement order. */
  feeSchedules(): readonly FeeSchedule[];
  feeScheduleInForce(businessDate: string): FeeSchedule | undefined;
  /** Money events as a reconciliation compares them (R8), in history order. */
  reconciliationItems(filter?: {
    readonly stationId?: string;
    readonly businessDate?: string;
  }): ReconciliationItem[];
  /** Revenue per station and business type in a month 'YYYY-MM' (input of R10 commission). */
  monthlyRevenue(month: string): {
    readonly stationId: string;
    readonly businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP';
    readonly revenueFen: number;
  }[];
}

export function createLedger(config: LedgerConfig): Ledger {
  return new LedgerImpl(config);
}

class LedgerImpl extends LedgerStore implements Ledger {
  private readonly config: LedgerConfig;
  private readonly schedules: FeeSchedule[] = [];
  /** Set by apply for the command in hand: may it be remembered, is its instant usable. */
  private idValid = true;
  private atMsValid = true;
  private scheduleCacheDay = DAY_NONE;
  private scheduleCache: FeeSchedule | undefined;

  constructor(config: LedgerConfig) {
    super(config.eventCapacityInitial ?? 1024);
    assert(config.feeSchedules.length <= LEDGER_LIMITS.feeScheduleVersionsMax, 'too many fee schedules');
    for (const schedule of config.feeSchedules) {
      assertFeeSchedule(schedule);
      assert(
        !this.schedules.some((known) => known.version === schedule.version),
        'duplicate fee schedule version',
      );
      this.schedules.push(frozenFeeSchedule(schedule));
    }
    assertLimits(config.withdrawalLimits);
    if (config.holdExpiryMs !== undefined) {
      assert(
        Number.isSafeInteger(config.holdExpiryMs) && config.holdExpiryMs > 0,
        'holdExpiryMs must be > 0',
      );
    }
    this.config = config;
  }

  // ---------------------------------------------------------------- apply

  apply(command: LedgerCommand): LedgerResult {
    // Input from outside is checked, never asserted (R21): a bad id, instant or amount is a
    // reason listed beside every other reason. Only an id that is valid can be remembered.
    this.idValid = isId(command.id);
    if (this.idValid) {
      const slot = this.slotsById.lookup(command.id);
      if (slot !== ID_MISSING) return this.replay(command, slot);
    }
    if (this.reasons.length !== 0) this.reasons.length = 0;
    if (!this.idValid) this.reasons.push('LEDGER_ID_INVALID');
    this.atMsValid = isInstantMs(command.atMs);
    if (!this.atMsValid) this.reasons.push('LEDGER_INSTANT_INVALID');
    switch (command.type) {
      case 'bill-payment':
        return this.applyQuotaConsumption(command, K_BILL);
      case 'mobile-topup':
        return this.applyQuotaConsumption(command, K_TOPUP);
      case 'withdrawal-hold':
        return this.applyHold(command);
      case 'withdrawal-post':
        return this.applyPost(command);
      case 'withdrawal-void':
        return this.applyVoid(command);
      case 'withdrawal-reverse':
        return this.applyReverse(command);
      case 'quota-purchase':
        return this.applyQuotaPurchase(command);
      case 'station-register':
        return this.applyRegister(command);
      case 'fee-schedule-announce':
        return this.applyFeeAnnounce(command);
      case 'fee-schedules-merge':
        return this.applyFeeMerge(command);
      case 'daily-close':
        return this.applyClose(command);
      default:
        this.reasons.push('LEDGER_FIELD_INVALID');
        return this.refuse(command);
    }
  }

  /** The business day of the command's instant; DAY_NONE when the instant is invalid. */
  private commandDay(atMs: number): number {
    return this.atMsValid ? shanghaiDayNumber(atMs) : DAY_NONE;
  }

  lookup(id: string): LedgerResult | undefined {
    if (!isId(id)) return undefined;
    const slot = this.slotsById.lookup(id);
    if (slot === ID_MISSING) return undefined;
    if (slot < 0) return this.refusals[-slot - 1]!.result;
    return this.acceptedResult(slot);
  }

  private replay(command: LedgerCommand, slot: number): LedgerResult {
    if (slot < 0) {
      const refusal = this.refusals[-slot - 1]!;
      return refusal.fingerprint === canonicalJsonLoose(command) ? refusal.result : CONFLICT;
    }
    return this.sameAsEvent(command, slot) ? this.acceptedResult(slot) : CONFLICT;
  }

  private acceptedResult(index: number): Accepted {
    const code = this.eventCode[index] === CODE_NOOP_INDEX ? 'LEDGER_REVERSAL_ALREADY_DONE' : 'LEDGER_OK';
    const close = this.closesByEvent.get(index);
    return close === undefined
      ? { ok: true, code, eventIndex: index }
      : { ok: true, code, eventIndex: index, close };
  }

  /** Same content as the recorded event? Hot kinds compare columns; rare kinds a fingerprint. */
  private sameAsEvent(command: LedgerCommand, index: number): boolean {
    if (this.eventAtMs[index] !== command.atMs) return false;
    const kind = this.eventKind[index];
    switch (command.type) {
      case 'bill-payment':
      case 'mobile-topup': {
        const expected = command.type === 'bill-payment' ? K_BILL : K_TOPUP;
        const ref2 = command.type === 'bill-payment' ? command.billAccountNo : '';
        const ref1 = command.type === 'bill-payment' ? command.billerCode : command.phoneNumber;
        return (
          kind === expected &&
          this.stations[this.eventStation[index]!]!.stationId === command.stationId &&
          this.eventAmountFen[index] === command.amountFen &&
          this.eventFeeFen[index] === command.feeFen &&
          this.eventRef1.get(index) === ref1 &&
          this.eventRef2.get(index) === ref2
        );
      }
      case 'withdrawal-hold':
        return (
          kind === K_HOLD &&
          this.stations[this.eventStation[index]!]!.stationId === command.stationId &&
          this.eventAmountFen[index] === command.amountFen &&
          this.eventFeeFen[index] === command.feeFen &&
          this.eventRef1.get(index) === command.cardToken &&
          this.eventExpiresAtMs[index] === this.effectiveExpiry(command)
        );
      case 'withdrawal-post':
        return kind === K_POST && this.eventRef1.get(index) === command.holdId;
      case 'withdrawal-void':
        return kind === K_VOID && this.eventRef1.get(index) === command.holdId;
      default:
        return this.fingerprints.get(index) === canonicalJsonLoose(command);
    }
  }

  private refuse(command: LedgerCommand): Refused {
    assert(this.reasons.length > 0, 'refuse needs a reason');
    const reasons = sortByPrecedence(Array.from(new Set(this.reasons)));
    const result: Refused = { ok: false, code: reasons[0]!, reasons };
    // An invalid id cannot be remembered: the refusal is returned, not recorded.
    if (!this.idValid) return result;
    assert(this.refusals.length < LEDGER_LIMITS.refusalsMax, 'refusalsMax reached');
    this.refusals.push({ fingerprint: canonicalJsonLoose(command), commandType: command.type, result });
    this.slotsById.insert(command.id, -this.refusals.length);
    return result;
  }

  /** R1 and R21: pushes AMOUNT_INVALID or AMOUNT_NOT_POSITIVE; true when the amount is usable fen. */
  private checkAmount(amountFen: number): boolean {
    if (!isFen(amountFen)) {
      this.reasons.push('LEDGER_AMOUNT_INVALID');
      return false;
    }
    if (amountFen === 0) this.reasons.push('LEDGER_AMOUNT_NOT_POSITIVE');
    return true;
  }

  private accept(index: number): Accepted {
    return { ok: true, code: 'LEDGER_OK', eventIndex: index };
  }

  // ---------------------------------------------------------------- station checks

  /** R4 (+ R20 and R7 for new business): pushes reasons; returns the station when known. */
  private checkStation(
    stationId: string,
    startsBusiness: boolean,
    atMs: number,
    day: number,
  ): StationState | undefined {
    const station = this.knownStation(stationId);
    if (station === undefined) return undefined;
    if (station.orgCode === null) this.reasons.push('LEDGER_STATION_NO_ORG_CODE');
    if (station.quotaAccountNo === null) this.reasons.push('LEDGER_STATION_NO_QUOTA_ACCOUNT');
    if (startsBusiness && this.atMsValid) {
      const hoursState = serviceHoursState(station.serviceHours, shanghaiMinuteOfDay(atMs));
      if (hoursState === 1) this.reasons.push('LEDGER_OUTSIDE_SERVICE_HOURS');
      else if (hoursState === 2) this.reasons.push('LEDGER_IN_MAINTENANCE_WINDOW');
      if (day <= station.closedThroughDay) this.reasons.push('LEDGER_DAY_CLOSED');
    }
    return station;
  }

  /** The station, or undefined with LEDGER_STATION_UNKNOWN pushed. */
  private knownStation(stationId: string): StationState | undefined {
    if (!isId(stationId)) {
      this.reasons.push('LEDGER_FIELD_INVALID');
      return undefined;
    }
    const station = this.stationsById.get(stationId);
    if (station === undefined) this.reasons.push('LEDGER_STATION_UNKNOWN');
    return station;
  }

  /** The business day a completion lands on: its own, or the first day after the last close. */
  private completionDay(station: StationState, atMs: number): number {
    const day = shanghaiDayNumber(atMs);
    return day > station.closedThroughDay ? day : station.closedThroughDay + 1;
  }

  private scheduleForDay(day: number): FeeSchedule | undefined {
    if (day !== this.scheduleCacheDay) {
      this.scheduleCache = feeScheduleInForce(this.schedules, day);
      this.scheduleCacheDay = day;
    }
    return this.scheduleCache;
  }

  /** R6: the charged fee must equal the schedule in force; pushes reasons. */
  private checkFee(day: number, kind: number, feeFen: number): void {
    if (day === DAY_NONE) return;
    const schedule = this.scheduleForDay(day);
    if (schedule === undefined) {
      this.reasons.push('LEDGER_FEE_SCHEDULE_NONE_IN_FORCE');
      return;
    }
    const scheduledFen =
      kind === K_HOLD
        ? schedule.withdrawalFeeFen
        : kind === K_BILL
          ? schedule.billPaymentFeeFen
          : schedule.mobileTopupFeeFen;
    if (!isFen(feeFen)) return;
    if (feeFen > scheduledFen) this.reasons.push('LEDGER_FEE_ABOVE_SCHEDULE');
    else if (feeFen < scheduledFen) this.reasons.push('LEDGER_FEE_BELOW_SCHEDULE');
  }

  // ---------------------------------------------------------------- R2: bill payment, top-up

  private applyQuotaConsumption(
    command: BillPaymentCommand | MobileTopupCommand,
    kind: number,
  ): LedgerResult {
    const amountValid = this.checkAmount(command.amountFen);
    if (!isFen(command.feeFen)) this.reasons.push('LEDGER_FEE_INVALID');
    const ref1 = command.type === 'bill-payment' ? command.billerCode : command.phoneNumber;
    const ref2 = command.type === 'bill-payment' ? command.billAccountNo : '';
    if (!isId(ref1) || (command.type === 'bill-payment' && !isId(ref2))) {
      this.reasons.push('LEDGER_FIELD_INVALID');
    }
    const day = this.commandDay(command.atMs);
    const station = this.checkStation(command.stationId, true, command.atMs, day);
    this.checkFee(day, kind, command.feeFen);
    if (station !== undefined && amountValid) {
      const quota = station.quotaAccount;
      const availableFen = this.accountCreditsPosted[quota]! - this.accountDebitsPosted[quota]!;
      if (command.amountFen > availableFen) this.reasons.push('LEDGER_QUOTA_INSUFFICIENT');
    }
    if (this.reasons.length > 0 || station === undefined) return this.refuse(command);

    const index = this.appendEvent(
      kind,
      command,
      station.index,
      command.amountFen,
      command.feeFen,
      day,
      ref1,
      ref2,
    );
    const clearing = kind === K_BILL ? A_BILLER_CLEARING : A_TOPUP_CLEARING;
    this.post(station.quotaAccount, clearing, command.amountFen, index, 0);
    if (command.feeFen > 0)
      this.post(A_CUSTOMER_CASH_CLEARING, station.settlementAccount, command.feeFen, index, E_FEE);
    const totals = this.totalsFor(station, day);
    const slot = kind === K_BILL ? SLOT_BILL : SLOT_TOPUP;
    totals[slot] = totals[slot]! + 1;
    totals[slot + 1] = totals[slot + 1]! + command.amountFen;
    totals[slot + 2] = totals[slot + 2]! + command.feeFen;
    totals[slot + 3] = totals[slot + 3]! + command.amountFen;
    assert(
      this.accountCreditsPosted[station.quotaAccount]! >= this.accountDebitsPosted[station.quotaAccount]!,
      'R2: quota below zero',
    );
    return this.accept(index);
  }

  // ---------------------------------------------------------------- R3: quota purchase

  private applyQuotaPurchase(command: QuotaPurchaseCommand): LedgerResult {
    const amountValid = this.checkAmount(command.amountFen);
    const station = this.checkStation(command.stationId, false, command.atMs, 0);
    if (amountValid && command.amountFen < QUOTA_PURCHASE_FEN_MIN) {
      this.reasons.push('LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM');
    }
    if (this.reasons.length > 0 || station === undefined) return this.refuse(command);
    const day = this.completionDay(station, command.atMs);
    const index = this.appendEvent(
      K_QUOTA_PURCHASE,
      command,
      station.index,
      command.amountFen,
      0,
      day,
      '',
      '',
    );
    this.fingerprints.set(index, canonicalJsonLoose(command));
    this.post(A_QUOTA_FUNDING, station.quotaAccount, command.amountFen, index, 0);
    const totals = this.totalsFor(station, day);
    totals[SLOT_QUOTA_PURCHASE] = totals[SLOT_QUOTA_PURCHASE]! + 1;
    totals[SLOT_QUOTA_PURCHASE + 1] = totals[SLOT_QUOTA_PURCHASE + 1]! + command.amountFen;
    return this.accept(index);
  }

  // ---------------------------------------------------------------- R5: withdrawal hold / post / void

  private effectiveExpiry(command: WithdrawalHoldCommand): number {
    if (command.expiresAtMs !== undefined) return command.expiresAtMs;
    return this.config.holdExpiryMs === undefined ? -1 : command.atMs + this.config.holdExpiryMs;
  }

  private applyHold(command: WithdrawalHoldCommand): LedgerResult {
    const amountValid = this.checkAmount(command.amountFen);
    if (!isFen(command.feeFen)) this.reasons.push('LEDGER_FEE_INVALID');
    const cardValid = isId(command.cardToken);
    if (!cardValid) this.reasons.push('LEDGER_FIELD_INVALID');
    if (command.expiresAtMs !== undefined && !isInstantMs(command.expiresAtMs)) {
      this.reasons.push('LEDGER_INSTANT_INVALID');
    }
    const day = this.commandDay(command.atMs);
    const station = this.checkStation(command.stationId, true, command.atMs, day);
    this.checkFee(day, K_HOLD, command.feeFen);
    let usage: DailyUsage | undefined;
    if (station !== undefined && amountValid && cardValid && day !== DAY_NONE) {
      const limits = station.limits;
      if (command.amountFen > limits.perTransactionFenMax)
        this.reasons.push('LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT');
      usage = this.cardUsage.get(command.cardToken);
      const cardUsedFen = usage === undefined ? 0 : usage.usedFen(day);
      if (cardUsedFen + command.amountFen > limits.perCardDailyFenMax) {
        this.reasons.push('LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT');
      }
      if (station.withdrawn.usedFen(day) + command.amountFen > limits.perStationDailyFenMax) {
        this.reasons.push('LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT');
      }
    }
    if (this.idValid && this.reversedUnknown.has(command.id)) this.reasons.push('LEDGER_WITHDRAWAL_REVERSED');
    if (this.reasons.length > 0 || station === undefined) return this.refuse(command);

    const index = this.appendEvent(
      K_HOLD,
      command,
      station.index,
      command.amountFen,
      command.feeFen,
      day,
      command.cardToken,
      '',
    );
    this.eventExpiresAtMs[index] = this.effectiveExpiry(command);
    this.eventHoldState[index] = H_PENDING;
    this.hold(A_BANK_CLEARING, station.settlementAccount, command.amountFen, index, E_PENDING);
    this.hold(A_BANK_CLEARING, station.settlementAccount, command.feeFen, index, E_PENDING | E_FEE);
    if (usage === undefined) {
      usage = new DailyUsage(day);
      this.cardUsage.set(command.cardToken, usage);
    }
    usage.add(day, command.amountFen);
    station.withdrawn.add(day, command.amountFen);
    station.holdsPendingCount++;
    return this.accept(index);
  }

  /** Finds the hold; pushes HOLD_UNKNOWN / WITHDRAWAL_REVERSED / HOLD_NOT_PENDING. */
  private findPendingHold(holdId: string): number {
    if (!isId(holdId)) {
      this.reasons.push('LEDGER_FIELD_INVALID');
      return -1;
    }
    const slot = this.slotsById.lookup(holdId);
    if (slot === ID_MISSING || slot < 0 || this.eventKind[slot] !== K_HOLD) {
      this.reasons.push(
        this.reversedUnknown.has(holdId) ? 'LEDGER_WITHDRAWAL_REVERSED' : 'LEDGER_HOLD_UNKNOWN',
      );
      return -1;
    }
    const state = this.eventHoldState[slot];
    if (state === H_REVERSED) this.reasons.push('LEDGER_WITHDRAWAL_REVERSED');
    else if (state !== H_PENDING) this.reasons.push('LEDGER_HOLD_NOT_PENDING');
    return slot;
  }

  private applyPost(command: WithdrawalPostCommand): LedgerResult {
    const holdIndex = this.findPendingHold(command.holdId);
    if (holdIndex >= 0 && this.reasons.length === 0) {
      const expiresAtMs = this.eventExpiresAtMs[holdIndex]!;
      if (expiresAtMs >= 0 && command.atMs >= expiresAtMs) this.reasons.push('LEDGER_HOLD_EXPIRED');
    }
    if (this.reasons.length > 0) return this.refuse(command);
    const station = this.stations[this.eventStation[holdIndex]!]!;
    const amountFen = this.eventAmountFen[holdIndex]!;
    const feeFen = this.eventFeeFen[holdIndex]!;
    const day = this.completionDay(station, command.atMs);
    const index = this.appendEvent(
      K_POST,
      command,
      station.index,
      amountFen,
      feeFen,
      day,
      command.holdId,
      '',
    );
    this.eventLink[index] = holdIndex;
    this.eventLink[holdIndex] = index;
    this.eventHoldState[holdIndex] = H_POSTED;
    // Release the pending legs, then post amount and the one fee (R5: exactly one per withdrawal).
    this.hold(A_BANK_CLEARING, station.settlementAccount, amountFen, index, E_VOID);
    this.hold(A_BANK_CLEARING, station.settlementAccount, feeFen, index, E_VOID | E_FEE);
    this.post(A_BANK_CLEARING, station.settlementAccount, amountFen, index, 0);
    this.post(A_BANK_CLEARING, station.settlementAccount, feeFen, index, E_FEE);
    station.holdsPendingCount--;
    const totals = this.totalsFor(station, day);
    totals[SLOT_WITHDRAWAL] = totals[SLOT_WITHDRAWAL]! + 1;
    totals[SLOT_WITHDRAWAL + 1] = totals[SLOT_WITHDRAWAL + 1]! + amountFen;
    totals[SLOT_WITHDRAWAL + 2] = totals[SLOT_WITHDRAWAL + 2]! + feeFen;
    return this.accept(index);
  }

  private applyVoid(command: WithdrawalVoidCommand): LedgerResult {
    const holdIndex = this.findPendingHold(command.holdId);
    if (this.reasons.length > 0) return this.refuse(command);
    const station = this.stations[this.eventStation[holdIndex]!]!;
    const day = this.completionDay(station, command.atMs);
    const index = this.appendEvent(K_VOID, command, station.index, 0, 0, day, command.holdId, '');
    this.eventLink[index] = holdIndex;
    this.eventHoldState[holdIndex] = H_VOIDED;
    this.releaseHold(station, holdIndex, index);
    return this.accept(index);
  }

  /** Releases a pending hold: void entries and the daily-limit usage it took. */
  private releaseHold(station: StationState, holdIndex: number, eventIndex: number): void {
    const amountFen = this.eventAmountFen[holdIndex]!;
    this.hold(A_BANK_CLEARING, station.settlementAccount, amountFen, eventIndex, E_VOID);
    this.hold(
      A_BANK_CLEARING,
      station.settlementAccount,
      this.eventFeeFen[holdIndex]!,
      eventIndex,
      E_VOID | E_FEE,
    );
    station.holdsPendingCount--;
    this.releaseUsage(station, holdIndex);
  }

  private releaseUsage(station: StationState, holdIndex: number): void {
    const amountFen = this.eventAmountFen[holdIndex]!;
    const holdDay = this.eventDay[holdIndex]!;
    this.cardUsage.get(this.eventRef1.get(holdIndex))?.add(holdDay, -amountFen);
    station.withdrawn.add(holdDay, -amountFen);
  }

  // ---------------------------------------------------------------- 冲正: reversal

  /**
   * 冲正 applies to what can be reversed: a withdrawal whose outcome the kiosk does not know (the
   * authorisation answer never arrived: the id is unknown here, or its hold was refused here while
   * the bank may hold the money) or a hold still pending. A posted withdrawal (cash handed out,
   * settled by the bank), a voided hold (already released) and an id that is not a withdrawal are
   * refused with their own code and change nothing. A second reversal is an accepted no-op.
   */
  private applyReverse(command: WithdrawalReverseCommand): LedgerResult {
    // R4 does not stop a reversal: money already moved must be able to move back.
    const station = this.knownStation(command.stationId);
    if (!isId(command.holdId)) {
      this.reasons.push('LEDGER_FIELD_INVALID');
      return this.refuse(command);
    }
    const slot = this.slotsById.lookup(command.holdId);
    let holdIndex = -1;
    if (slot !== ID_MISSING && slot >= 0) {
      if (this.eventKind[slot] === K_HOLD) holdIndex = slot;
      else this.reasons.push('LEDGER_REVERSAL_NOT_A_WITHDRAWAL');
    } else if (slot !== ID_MISSING && this.refusals[-slot - 1]!.commandType !== 'withdrawal-hold') {
      this.reasons.push('LEDGER_REVERSAL_NOT_A_WITHDRAWAL');
    }
    const state = holdIndex >= 0 ? this.eventHoldState[holdIndex] : H_PENDING;
    if (holdIndex >= 0) {
      if (station !== undefined && this.eventStation[holdIndex] !== station.index) {
        this.reasons.push('LEDGER_HOLD_STATION_MISMATCH');
      }
      if (state === H_POSTED) this.reasons.push('LEDGER_REVERSAL_HOLD_POSTED');
      else if (state === H_VOIDED) this.reasons.push('LEDGER_REVERSAL_HOLD_VOIDED');
    }
    if (this.reasons.length > 0 || station === undefined) return this.refuse(command);
    const day = this.completionDay(station, command.atMs);
    const alreadyReversed = state === H_REVERSED || this.reversedUnknown.has(command.holdId);
    const index = this.appendEvent(K_REVERSE, command, station.index, 0, 0, day, command.holdId, '');
    this.fingerprints.set(index, canonicalJsonLoose(command));
    if (alreadyReversed) {
      this.eventCode[index] = CODE_NOOP_INDEX;
      return { ok: true, code: 'LEDGER_REVERSAL_ALREADY_DONE', eventIndex: index };
    }
    if (holdIndex < 0) {
      // Unknown here (the authorisation answer never arrived): remember it, so a late hold with
      // this id is refused and the withdrawal can never complete.
      this.reversedUnknown.set(command.holdId, index);
    } else {
      assert(state === H_PENDING, 'only a pending hold is reversed');
      this.eventLink[index] = holdIndex;
      this.releaseHold(station, holdIndex, index);
      this.eventHoldState[holdIndex] = H_REVERSED;
    }
    // R7: the REVERSAL line counts reversals; nothing had been paid out, so no amount moves back.
    const totals = this.totalsFor(station, day);
    totals[SLOT_REVERSAL] = totals[SLOT_REVERSAL]! + 1;
    return this.accept(index);
  }

  // ---------------------------------------------------------------- R4: stations

  private applyRegister(command: StationRegisterCommand): LedgerResult {
    const fieldsValid =
      isId(command.stationId) &&
      (command.orgCode === null || isId(command.orgCode)) &&
      (command.quotaAccountNo === null || isId(command.quotaAccountNo)) &&
      (command.serviceHours === undefined || isServiceHours(command.serviceHours)) &&
      (command.withdrawalLimits === undefined || isWithdrawalLimits(command.withdrawalLimits));
    if (!fieldsValid) this.reasons.push('LEDGER_FIELD_INVALID');
    if (this.reasons.length > 0) return this.refuse(command);
    let station = this.stationsById.get(command.stationId);
    if (station !== undefined) {
      if (station.orgCode !== null && command.orgCode !== station.orgCode) {
        this.reasons.push('LEDGER_STATION_ORG_CODE_IMMUTABLE');
      }
      if (station.quotaAccountNo !== null && command.quotaAccountNo !== station.quotaAccountNo) {
        this.reasons.push('LEDGER_STATION_QUOTA_ACCOUNT_IMMUTABLE');
      }
      if (this.reasons.length > 0) return this.refuse(command);
    } else {
      station = {
        index: this.stations.length,
        stationId: command.stationId,
        orgCode: null,
        quotaAccountNo: null,
        serviceHours: SERVICE_HOURS_ALWAYS,
        limits: this.config.withdrawalLimits,
        settlementAccount: this.addAccount(`station:${command.stationId}:settlement`),
        quotaAccount: this.addAccount(`station:${command.stationId}:quota`),
        closedThroughDay: DAY_NONE,
        closes: [],
        totalsDay: DAY_NONE,
        totals: new Float64Array(TOTALS_SLOTS),
        totalsByDay: new Map(),
        withdrawn: new DailyUsage(DAY_NONE),
        holdsPendingCount: 0,
      };
      this.stations.push(station);
      this.stationsById.set(command.stationId, station);
    }
    station.orgCode = command.orgCode;
    station.quotaAccountNo = command.quotaAccountNo;
    station.serviceHours = command.serviceHours ?? SERVICE_HOURS_ALWAYS;
    station.limits = command.withdrawalLimits ?? this.config.withdrawalLimits;
    const day = this.commandDay(command.atMs);
    const index = this.appendEvent(K_REGISTER, command, station.index, 0, 0, day, '', '');
    this.fingerprints.set(index, canonicalJsonLoose(command));
    return this.accept(index);
  }

  // ---------------------------------------------------------------- R6: fee schedules

  private applyFeeAnnounce(command: FeeScheduleAnnounceCommand): LedgerResult {
    const day = this.commandDay(command.atMs);
    if (day !== DAY_NONE) {
      this.reasons.push(
        ...checkFeeScheduleAnnouncement(this.schedules, command.schedule, day, this.config.calendar),
      );
    }
    if (this.schedules.length >= LEDGER_LIMITS.feeScheduleVersionsMax) {
      assert(false, 'feeScheduleVersionsMax reached');
    }
    if (this.reasons.length > 0) return this.refuse(command);
    const index = this.appendEvent(
      K_FEE_ANNOUNCE,
      command,
      -1,
      0,
      0,
      day,
      String(command.schedule.version),
      '',
    );
    this.fingerprints.set(index, canonicalJsonLoose(command));
    this.schedules.push(frozenFeeSchedule(command.schedule));
    this.scheduleCacheDay = DAY_NONE;
    return this.accept(index);
  }

  /** R6 history: adds the versions new to the ledger, after checkFeeScheduleSet; rebuilds nothing. */
  private applyFeeMerge(command: FeeSchedulesMergeCommand): LedgerResult {
    const day = this.commandDay(command.atMs);
    let added: readonly FeeSchedule[] = [];
    if (day !== DAY_NONE) {
      const check = checkFeeScheduleSet(this.schedules, command.schedules, {
        calendar: this.config.calendar,
        receivedAtMs: command.atMs,
      });
      this.reasons.push(...check.reasons);
      added = check.added;
    }
    if (this.reasons.length > 0) return this.refuse(command);
    const index = this.appendEvent(K_FEE_MERGE, command, -1, 0, 0, day, String(added.length), '');
    this.fingerprints.set(index, canonicalJsonLoose(command));
    for (const schedule of added) this.schedules.push(frozenFeeSchedule(schedule));
    if (added.length > 0) this.scheduleCacheDay = DAY_NONE;
    return this.accept(index);
  }

  // ---------------------------------------------------------------- R7: daily close

  private applyClose(command: DailyCloseCommand): LedgerResult {
    const dateValid = isIsoDate(command.businessDate);
    if (!dateValid) this.reasons.push('LEDGER_FIELD_INVALID');
    const closeDay = dateValid ? dayNumberFromDate(command.businessDate) : DAY_NONE;
    // A station that never had R4 data may still close (an empty day): only the station must exist.
    const station = this.knownStation(command.stationId);
    if (station !== undefined && dateValid && closeDay <= station.closedThroughDay)
      this.reasons.push('LEDGER_CLOSE_OUT_OF_ORDER');
    if (dateValid && this.atMsValid && closeDay > shanghaiDayNumber(command.atMs)) {
      this.reasons.push('LEDGER_CLOSE_DATE_IN_FUTURE');
    }
    // R7: no day is skipped. Refused rather than closing the earlier days implicitly: each close
    // is its own journaled, signed record with its own id and instant, so the service closes the
    // missed days one by one (unclosedBusinessDays) and HQ receives every one of them.
    if (station !== undefined && dateValid && this.firstUnclosedBusinessDay(station) < closeDay) {
      this.reasons.push('LEDGER_CLOSE_EARLIER_DAY_UNCLOSED');
    }
    if (this.reasons.length > 0 || station === undefined) return this.refuse(command);
    const previous = station.closes[station.closes.length - 1];
    const unsealed = {
      stationId: station.stationId,
      businessDate: command.businessDate,
      sequence: station.closes.length + 1,
      closedAtMs: command.atMs,
      totals: totalsFromSlots(station.totalsByDay.get(closeDay)),
      holdsPendingCount: station.holdsPendingCount,
      previousHash: previous === undefined ? GENESIS_HASH : previous.hash,
    };
    const close: DailyClose = Object.freeze({ ...unsealed, hash: closeHash(unsealed) });
    const index = this.appendEvent(K_CLOSE, command, station.index, 0, 0, closeDay, command.businessDate, '');
    this.fingerprints.set(index, canonicalJsonLoose(command));
    station.closes.push(close);
    station.closedThroughDay = closeDay;
    this.closesByEvent.set(index, close);
    return { ok: true, code: 'LEDGER_OK', eventIndex: index, close };
  }

  feeSchedules(): readonly FeeSchedule[] {
    return Object.freeze(this.schedules.slice());
  }

  feeScheduleInForce(businessDate: string): FeeSchedule | undefined {
    return feeScheduleInForce(this.schedules, dayNumberFromDate(businessDate));
  }
}

function assertLimits(limits: WithdrawalLimits): void {
  assertFen(limits.perTransactionFenMax, 'perTransactionFenMax');
  assertFen(limits.perCardDailyFenMax, 'perCardDailyFenMax');
  assertFen(limits.perStationDailyFenMax, 'perStationDailyFenMax');
}
