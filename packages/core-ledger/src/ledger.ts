// The ledger: double entry over an immutable, append-only history (a correction is a new entry).
// createLedger(config) returns an object whose apply(command) records one business command and
// returns a value: Accepted (with the event's index) or Refused (every reason at once, R21).
// Nothing is thrown for a business outcome nor for bad input in a command (a bad amount, id or
// field is a reason like any other, R21); an assertion fails only for programmer errors. The rules
// of each command family live in rules-*.ts; this file keeps apply, idempotency and the checks
// they share.
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

import { assert, assertFen, assertInstantMs } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import { sortByPrecedence } from './errors.js';
import {
  assertFeeSchedule,
  type FeeSchedule,
  feeScheduleInForce,
  frozenFeeSchedule,
} from './fee-schedule.js';
import { deepFreeze, plainCopy } from './freeze.js';
import { ID_MISSING } from './id-index.js';
import { isFen, isId, isInstantMs } from './input-checks.js';
import {
  CODE_NOOP_INDEX,
  CONFLICT,
  DAY_NONE,
  K_BILL,
  K_HOLD,
  K_POST,
  K_TOPUP,
  K_VOID,
  LedgerStore,
  type StationState,
} from './ledger-store.js';
import { LEDGER_LIMITS } from './limits.js';
import { applyClose } from './rules-close.js';
import { applyFeeAnnounce, applyFeeMerge } from './rules-fee-schedules.js';
import { applyQuotaConsumption, applyQuotaPurchase } from './rules-quota.js';
import { applyRegister } from './rules-station.js';
import { applyHold, applyPost, applyReverse, applyVoid, effectiveExpiry } from './rules-withdrawal.js';
import { serviceHoursState } from './service-hours.js';
import { dayNumberFromDate, shanghaiDayNumber, shanghaiMinuteOfDay } from './time.js';
import type {
  Accepted,
  AccountBalance,
  DailyClose,
  DayTotals,
  HoldState,
  LedgerCommand,
  LedgerConfig,
  LedgerEntry,
  LedgerEvent,
  LedgerResult,
  ReconciliationItem,
  Refused,
  StationBalances,
  WithdrawalLimits,
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

/** The ledger instance; its members are internal to the package (the public type is Ledger). */
export class LedgerImpl extends LedgerStore implements Ledger {
  readonly config: LedgerConfig;
  readonly schedules: FeeSchedule[] = [];
  /** Set by apply for the command in hand: may it be remembered, is its instant usable. */
  idValid = true;
  atMsValid = true;
  scheduleCacheDay = DAY_NONE;
  scheduleCache: FeeSchedule | undefined;

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
    // The ledger keeps its own frozen copy of its configuration (sealed means immutable).
    this.config = Object.freeze({
      ...config,
      calendar: Object.freeze({
        years: new Set(config.calendar.years),
        holidayDays: new Set(config.calendar.holidayDays),
        extraWorkingDays: new Set(config.calendar.extraWorkingDays),
      }),
      feeSchedules: Object.freeze(this.schedules.slice()),
      withdrawalLimits: deepFreeze(plainCopy(config.withdrawalLimits)),
    });
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
        return applyQuotaConsumption(this, command, K_BILL);
      case 'mobile-topup':
        return applyQuotaConsumption(this, command, K_TOPUP);
      case 'withdrawal-hold':
        return applyHold(this, command);
      case 'withdrawal-post':
        return applyPost(this, command);
      case 'withdrawal-void':
        return applyVoid(this, command);
      case 'withdrawal-reverse':
        return applyReverse(this, command);
      case 'quota-purchase':
        return applyQuotaPurchase(this, command);
      case 'station-register':
        return applyRegister(this, command);
      case 'fee-schedule-announce':
        return applyFeeAnnounce(this, command);
      case 'fee-schedules-merge':
        return applyFeeMerge(this, command);
      case 'daily-close':
        return applyClose(this, command);
      default:
        this.reasons.push('LEDGER_FIELD_INVALID');
        return this.refuse(command);
    }
  }

  /** The business day of the command's instant; DAY_NONE when the instant is invalid. */
  commandDay(atMs: number): number {
    const day = this.atMsValid ? shanghaiDayNumber(atMs) : DAY_NONE;
    assert(Number.isInteger(day), 'a business day is an integer day number');
    return day;
  }

  lookup(id: string): LedgerResult | undefined {
    if (!isId(id)) return undefined;
    const slot = this.slotsById.lookup(id);
    if (slot === ID_MISSING) return undefined;
    if (slot < 0) {
      assert(-slot - 1 < this.refusals.length, 'a refusal slot names a kept refusal');
      return this.refusals[-slot - 1]!.result;
    }
    return this.acceptedResult(slot);
  }

  replay(command: LedgerCommand, slot: number): LedgerResult {
    assert(slot !== ID_MISSING && slot < this.eventCount, 'replay of a remembered id');
    if (slot < 0) {
      assert(-slot - 1 < this.refusals.length, 'a refusal slot names a kept refusal');
      const refusal = this.refusals[-slot - 1]!;
      return refusal.fingerprint === canonicalJsonLoose(command) ? refusal.result : CONFLICT;
    }
    return this.sameAsEvent(command, slot) ? this.acceptedResult(slot) : CONFLICT;
  }

  acceptedResult(index: number): Accepted {
    assert(index >= 0 && index < this.eventCount, 'acceptedResult: event index out of range');
    const code = this.eventCode[index] === CODE_NOOP_INDEX ? 'LEDGER_REVERSAL_ALREADY_DONE' : 'LEDGER_OK';
    const close = this.closesByEvent.get(index);
    return Object.freeze(
      close === undefined
        ? { ok: true, code, eventIndex: index }
        : { ok: true, code, eventIndex: index, close },
    );
  }

  /** Same content as the recorded event? Hot kinds compare columns; rare kinds a fingerprint. */
  sameAsEvent(command: LedgerCommand, index: number): boolean {
    assert(index >= 0 && index < this.eventCount, 'sameAsEvent: event index out of range');
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
          this.eventExpiresAtMs[index] === effectiveExpiry(this, command)
        );
      case 'withdrawal-post':
        return kind === K_POST && this.eventRef1.get(index) === command.holdId;
      case 'withdrawal-void':
        return kind === K_VOID && this.eventRef1.get(index) === command.holdId;
      default:
        return this.fingerprints.get(index) === canonicalJsonLoose(command);
    }
  }

  refuse(command: LedgerCommand): Refused {
    assert(this.reasons.length > 0, 'refuse needs a reason');
    const reasons = sortByPrecedence(Array.from(new Set(this.reasons)));
    // Kept and returned again on every replay: frozen, reasons and all.
    const result: Refused = deepFreeze({ ok: false, code: reasons[0]!, reasons });
    // An invalid id cannot be remembered: the refusal is returned, not recorded.
    if (!this.idValid) return result;
    assert(this.refusals.length < LEDGER_LIMITS.refusalsMax, 'refusalsMax reached');
    this.refusals.push({ fingerprint: canonicalJsonLoose(command), commandType: command.type, result });
    this.slotsById.insert(command.id, -this.refusals.length);
    return result;
  }

  /** R1 and R21: pushes AMOUNT_INVALID or AMOUNT_NOT_POSITIVE; true when the amount is usable fen. */
  checkAmount(amountFen: number): boolean {
    if (!isFen(amountFen)) {
      this.reasons.push('LEDGER_AMOUNT_INVALID');
      return false;
    }
    if (amountFen === 0) this.reasons.push('LEDGER_AMOUNT_NOT_POSITIVE');
    return true;
  }

  accept(index: number): Accepted {
    // Accepted means the command passed every rule and its event is the one just appended.
    assert(this.reasons.length === 0, 'accept with reasons to refuse');
    assert(index === this.eventCount - 1, 'accept names the event just appended');
    return Object.freeze({ ok: true, code: 'LEDGER_OK', eventIndex: index });
  }

  // ---------------------------------------------------------------- station checks

  /** R4 (+ R20 and R7 for new business): pushes reasons; returns the station when known. */
  checkStation(
    stationId: string,
    startsBusiness: boolean,
    atMs: number,
    day: number,
  ): StationState | undefined {
    const station = this.knownStation(stationId);
    if (station === undefined) return undefined;
    assert(
      !startsBusiness || (day === DAY_NONE) === !this.atMsValid,
      'a business day comes from a valid instant',
    );
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
  knownStation(stationId: string): StationState | undefined {
    if (!isId(stationId)) {
      this.reasons.push('LEDGER_FIELD_INVALID');
      return undefined;
    }
    const station = this.stationsById.get(stationId);
    if (station === undefined) this.reasons.push('LEDGER_STATION_UNKNOWN');
    else assert(this.stations[station.index] === station, 'station map and list agree');
    return station;
  }

  /** The business day a completion lands on: its own, or the first day after the last close. */
  completionDay(station: StationState, atMs: number): number {
    // Called only after the refusal check: the instant was valid (else LEDGER_INSTANT_INVALID).
    assertInstantMs(atMs, 'atMs');
    const day = shanghaiDayNumber(atMs);
    const completion = day > station.closedThroughDay ? day : station.closedThroughDay + 1;
    assert(completion > station.closedThroughDay, 'a completion never lands on a closed day (R7)');
    return completion;
  }

  scheduleForDay(day: number): FeeSchedule | undefined {
    assert(Number.isInteger(day) && day !== DAY_NONE, 'scheduleForDay needs a business day');
    if (day !== this.scheduleCacheDay) {
      this.scheduleCache = feeScheduleInForce(this.schedules, day);
      this.scheduleCacheDay = day;
    }
    return this.scheduleCache;
  }

  /** R6: the charged fee must equal the schedule in force; pushes reasons. */
  checkFee(day: number, kind: number, feeFen: number): void {
    assert(kind === K_HOLD || kind === K_BILL || kind === K_TOPUP, 'checkFee: a kind that charges a fee');
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
