// The ledger's storage and read side: the append-only history (events and double-entry entries
// in typed-array columns), accounts with posted and pending totals, stations, day totals, the
// idempotency index, and the queries over them. ledger.ts extends it with the rules (apply).
// Nothing here decides a business outcome; it records what the rules accepted.

import { assert, assertFen, assertId, assertInstantMs } from './assert.js';
import { growFloat64, growInt32, growUint8, nextCapacity, StringColumn } from './columns.js';
import { SLOT_BILL, SLOT_TOPUP, TOTALS_SLOTS, totalsFromSlots } from './daily-close.js';
import type { DailyUsage } from './daily-usage.js';
import { LEDGER_CODE_LIST, type LedgerCode } from './errors.js';
import { deepFreeze } from './freeze.js';
import { ID_MISSING, IdIndex } from './id-index.js';
import { LEDGER_LIMITS } from './limits.js';
import type { ServiceHours } from './service-hours.js';
import { dateFromDayNumber, dayNumberFromDate, monthRange, parseIsoDate } from './time.js';
import type {
  AccountBalance,
  DailyClose,
  DayTotals,
  HoldState,
  LedgerCommand,
  LedgerCommandType,
  LedgerEntry,
  LedgerEvent,
  ReconciliationItem,
  Refused,
  StationBalances,
  TotalsKind,
  WithdrawalLimits,
} from './types.js';

// Event kinds, stored in a Uint8 column.
export const K_REGISTER = 1;
export const K_QUOTA_PURCHASE = 2;
export const K_BILL = 3;
export const K_TOPUP = 4;
export const K_HOLD = 5;
export const K_POST = 6;
export const K_VOID = 7;
export const K_REVERSE = 8;
export const K_FEE_ANNOUNCE = 9;
export const K_CLOSE = 10;
export const K_FEE_MERGE = 11;
export const TYPE_BY_KIND: readonly LedgerCommandType[] = [
  'station-register', // placeholder for 0, never stored
  'station-register',
  'quota-purchase',
  'bill-payment',
  'mobile-topup',
  'withdrawal-hold',
  'withdrawal-post',
  'withdrawal-void',
  'withdrawal-reverse',
  'fee-schedule-announce',
  'daily-close',
  'fee-schedules-merge',
];

// Hold states, stored per hold event.
export const H_PENDING = 1;
export const H_POSTED = 2;
export const H_VOIDED = 3;
export const H_REVERSED = 4;

// Entry flags.
export const E_PENDING = 1;
export const E_VOID = 2;
export const E_FEE = 4;
export const E_REVERSAL = 8;

// Global accounts, created first so their indexes are fixed.
export const A_BANK_CLEARING = 0;
export const A_CUSTOMER_CASH_CLEARING = 1;
export const A_QUOTA_FUNDING = 2;
export const A_BILLER_CLEARING = 3;
export const A_TOPUP_CLEARING = 4;
export const GLOBAL_ACCOUNTS = [
  'bank-clearing',
  'customer-cash-clearing',
  'quota-funding',
  'biller-clearing',
  'topup-clearing',
] as const;

export const CODE_OK_INDEX = LEDGER_CODE_LIST.indexOf('LEDGER_OK');
export const CODE_NOOP_INDEX = LEDGER_CODE_LIST.indexOf('LEDGER_REVERSAL_ALREADY_DONE');
export const DAY_NONE = -2_147_483_648;

export const CONFLICT: Refused = Object.freeze({
  ok: false,
  code: 'LEDGER_ID_CONFLICT',
  reasons: Object.freeze(['LEDGER_ID_CONFLICT'] as LedgerCode[]),
});

export interface StationState {
  readonly index: number;
  readonly stationId: string;
  orgCode: string | null;
  quotaAccountNo: string | null;
  serviceHours: ServiceHours;
  limits: WithdrawalLimits;
  readonly settlementAccount: number;
  readonly quotaAccount: number;
  /** The last closed business day, DAY_NONE before the first close. */
  closedThroughDay: number;
  readonly closes: DailyClose[];
  /** Cache of the day-totals row most recently written. */
  totalsDay: number;
  totals: Float64Array;
  readonly totalsByDay: Map<number, Float64Array>;
  readonly withdrawn: DailyUsage;
  holdsPendingCount: number;
}

export interface Refusal {
  readonly fingerprint: string;
  /** The refused command's type: a reversal may name a refused hold (the bank may hold the money). */
  readonly commandType: unknown;
  readonly result: Refused;
}

/** Storage and queries; the rules live in the subclass (ledger.ts). */
export abstract class LedgerStore {
  // Idempotency: id → event index (>= 0) or -(refusal index + 1).
  readonly slotsById: IdIndex;
  readonly refusals: Refusal[] = [];
  readonly fingerprints = new Map<number, string>();
  readonly closesByEvent = new Map<number, DailyClose>();
  readonly reversedUnknown = new Map<string, number>();

  // Stations and accounts.
  readonly stationsById = new Map<string, StationState>();
  readonly stations: StationState[] = [];
  readonly cardUsage = new Map<string, DailyUsage>();
  accountCapacity = 0;
  accountCount = 0;
  readonly accountNames: string[] = [];
  accountDebitsPosted = new Float64Array(0);
  accountCreditsPosted = new Float64Array(0);
  accountDebitsPending = new Float64Array(0);
  accountCreditsPending = new Float64Array(0);

  // Events (one per accepted command).
  eventCapacity = 0;
  eventCount = 0;
  // String columns in chunks: growth never copies them.
  readonly eventIds = new StringColumn();
  readonly eventRef1 = new StringColumn();
  readonly eventRef2 = new StringColumn();
  eventKind = new Uint8Array(0);
  eventCode = new Uint8Array(0);
  eventHoldState = new Uint8Array(0);
  eventStation = new Int32Array(0);
  eventDay = new Int32Array(0);
  eventLink = new Int32Array(0);
  eventAmountFen = new Float64Array(0);
  eventFeeFen = new Float64Array(0);
  eventAtMs = new Float64Array(0);
  eventExpiresAtMs = new Float64Array(0);

  // Entries (postings).
  entryCapacity = 0;
  entryCount = 0;
  entryDebit = new Int32Array(0);
  entryCredit = new Int32Array(0);
  entryEvent = new Int32Array(0);
  entryFlags = new Uint8Array(0);
  entryAmountFen = new Float64Array(0);

  readonly reasons: LedgerCode[] = [];

  constructor(eventCapacityInitial: number) {
    assert(
      Number.isSafeInteger(eventCapacityInitial) &&
        eventCapacityInitial >= 1 &&
        eventCapacityInitial <= LEDGER_LIMITS.eventCountMax,
      'eventCapacityInitial',
    );
    this.slotsById = new IdIndex(eventCapacityInitial);
    for (const name of GLOBAL_ACCOUNTS) this.addAccount(name);
    this.growEvents(eventCapacityInitial);
    this.growEntries(eventCapacityInitial * 2);
  }

  // ---------------------------------------------------------------- storage

  totalsFor(station: StationState, day: number): Float64Array {
    // Only an accepted command writes totals, and its instant was valid: a real business day.
    assert(Number.isInteger(day) && day !== DAY_NONE, 'totalsFor needs a business day');
    assert(this.stations[station.index] === station, 'totalsFor of a station the ledger does not hold');
    if (station.totalsDay === day) return station.totals;
    let totals = station.totalsByDay.get(day);
    if (totals === undefined) {
      totals = new Float64Array(TOTALS_SLOTS);
      station.totalsByDay.set(day, totals);
    }
    station.totalsDay = day;
    station.totals = totals;
    assert(totals.length === TOTALS_SLOTS, 'a totals row has TOTALS_SLOTS slots');
    return totals;
  }

  addAccount(name: string): number {
    assert(name.length > 0, 'an account has a name');
    if (this.accountCount === this.accountCapacity) {
      const capacity = nextCapacity(this.accountCapacity, this.accountCount + 1);
      this.accountDebitsPosted = growFloat64(this.accountDebitsPosted, capacity);
      this.accountCreditsPosted = growFloat64(this.accountCreditsPosted, capacity);
      this.accountDebitsPending = growFloat64(this.accountDebitsPending, capacity);
      this.accountCreditsPending = growFloat64(this.accountCreditsPending, capacity);
      this.accountCapacity = capacity;
    }
    this.accountNames.push(name);
    const index = this.accountCount++;
    // Names and the four total columns describe the same accounts.
    assert(this.accountNames.length === this.accountCount, 'account names and count agree');
    assert(this.accountCount <= this.accountCapacity, 'account columns hold every account');
    return index;
  }

  growEvents(capacity: number): void {
    assert(Number.isSafeInteger(capacity) && capacity >= this.eventCount, 'growEvents never shrinks');
    this.eventKind = growUint8(this.eventKind, capacity);
    this.eventCode = growUint8(this.eventCode, capacity);
    this.eventHoldState = growUint8(this.eventHoldState, capacity);
    this.eventStation = growInt32(this.eventStation, capacity);
    this.eventDay = growInt32(this.eventDay, capacity);
    this.eventLink = growInt32(this.eventLink, capacity);
    this.eventAmountFen = growFloat64(this.eventAmountFen, capacity);
    this.eventFeeFen = growFloat64(this.eventFeeFen, capacity);
    this.eventAtMs = growFloat64(this.eventAtMs, capacity);
    this.eventExpiresAtMs = growFloat64(this.eventExpiresAtMs, capacity);
    this.eventCapacity = capacity;
    // Struct of arrays: every event column has the same length.
    assert(
      this.eventKind.length === capacity &&
        this.eventStation.length === capacity &&
        this.eventAmountFen.length === capacity &&
        this.eventExpiresAtMs.length === capacity,
      'event columns have equal lengths',
    );
  }

  growEntries(capacity: number): void {
    assert(Number.isSafeInteger(capacity) && capacity >= this.entryCount, 'growEntries never shrinks');
    this.entryDebit = growInt32(this.entryDebit, capacity);
    this.entryCredit = growInt32(this.entryCredit, capacity);
    this.entryEvent = growInt32(this.entryEvent, capacity);
    this.entryFlags = growUint8(this.entryFlags, capacity);
    this.entryAmountFen = growFloat64(this.entryAmountFen, capacity);
    this.entryCapacity = capacity;
    assert(
      this.entryDebit.length === capacity &&
        this.entryCredit.length === capacity &&
        this.entryFlags.length === capacity &&
        this.entryAmountFen.length === capacity,
      'entry columns have equal lengths',
    );
  }

  appendEvent(
    kind: number,
    command: LedgerCommand,
    stationIndex: number,
    amountFen: number,
    feeFen: number,
    day: number,
    ref1: string,
    ref2: string,
  ): number {
    // Only accepted commands reach here: apply refused a bad id, instant or amount (R21) first,
    // so these are the ledger's own invariants, not checks of input.
    assert(kind >= K_REGISTER && kind <= K_FEE_MERGE, 'appendEvent: unknown event kind');
    assertId(command.id, 'command.id');
    assertInstantMs(command.atMs, 'command.atMs');
    assertFen(amountFen, 'amountFen');
    assertFen(feeFen, 'feeFen');
    assert(
      stationIndex >= -1 && stationIndex < this.stations.length,
      'appendEvent: station index out of range',
    );
    assert(Number.isInteger(day) && day !== DAY_NONE, 'appendEvent: an event has a business day');
    const index = this.eventCount;
    assert(index < LEDGER_LIMITS.eventCountMax, 'eventCountMax reached');
    if (index === this.eventCapacity) this.growEvents(nextCapacity(this.eventCapacity, index + 1));
    this.eventIds.set(index, command.id);
    this.eventRef1.set(index, ref1);
    this.eventRef2.set(index, ref2);
    this.eventKind[index] = kind;
    this.eventCode[index] = CODE_OK_INDEX;
    this.eventStation[index] = stationIndex;
    this.eventDay[index] = day;
    this.eventLink[index] = -1;
    this.eventAmountFen[index] = amountFen;
    this.eventFeeFen[index] = feeFen;
    this.eventAtMs[index] = command.atMs;
    this.eventExpiresAtMs[index] = -1;
    this.slotsById.insert(command.id, index);
    this.eventCount = index + 1;
    assert(this.eventCount <= this.eventCapacity, 'event columns hold every event');
    return index;
  }

  appendEntry(debit: number, credit: number, amountFen: number, eventIndex: number, flags: number): void {
    // Every posting balances: one debit, one credit, the same amount, two different accounts.
    assert(debit !== credit && amountFen >= 0 && Number.isSafeInteger(amountFen), 'entry does not balance');
    assert(debit >= 0 && debit < this.accountCount, 'entry debit account out of range');
    assert(credit >= 0 && credit < this.accountCount, 'entry credit account out of range');
    assert(eventIndex >= 0 && eventIndex < this.eventCount, 'an entry belongs to a recorded event');
    const index = this.entryCount;
    if (index === this.entryCapacity) this.growEntries(nextCapacity(this.entryCapacity, index + 1));
    this.entryDebit[index] = debit;
    this.entryCredit[index] = credit;
    this.entryAmountFen[index] = amountFen;
    this.entryEvent[index] = eventIndex;
    this.entryFlags[index] = flags;
    this.entryCount = index + 1;
  }

  /** A posted entry. Zero amounts (a zero fee) are not recorded. */
  post(debit: number, credit: number, amountFen: number, eventIndex: number, flags: number): void {
    assertFen(amountFen, 'amountFen');
    assert((flags & (E_PENDING | E_VOID)) === 0, 'a posted entry is neither pending nor void');
    if (amountFen === 0) return;
    this.appendEntry(debit, credit, amountFen, eventIndex, flags);
    this.accountDebitsPosted[debit] = this.accountDebitsPosted[debit]! + amountFen;
    this.accountCreditsPosted[credit] = this.accountCreditsPosted[credit]! + amountFen;
    // R1: the rules refused with LEDGER_SUM_UNSAFE before any total could pass 2^53.
    assert(
      Number.isSafeInteger(this.accountDebitsPosted[debit]!) &&
        Number.isSafeInteger(this.accountCreditsPosted[credit]!),
      'posted totals stay safe integers',
    );
  }

  /** A pending entry (E_PENDING) or the release of one (E_VOID). */
  hold(debit: number, credit: number, amountFen: number, eventIndex: number, flags: number): void {
    assertFen(amountFen, 'amountFen');
    // Exactly one of pending (a hold) or void (its release).
    assert(((flags & E_PENDING) === 0) !== ((flags & E_VOID) === 0), 'a hold entry is pending or void');
    if (amountFen === 0) return;
    this.appendEntry(debit, credit, amountFen, eventIndex, flags);
    const signedFen = (flags & E_VOID) !== 0 ? -amountFen : amountFen;
    this.accountDebitsPending[debit] = this.accountDebitsPending[debit]! + signedFen;
    this.accountCreditsPending[credit] = this.accountCreditsPending[credit]! + signedFen;
    assert(this.accountCreditsPending[credit]! >= 0, 'pending credits below zero');
    assert(this.accountDebitsPending[debit]! >= 0, 'pending debits below zero');
  }

  // ---------------------------------------------------------------- queries

  event(index: number): LedgerEvent {
    assert(Number.isInteger(index) && index >= 0 && index < this.eventCount, 'event index out of range');
    const stationIndex = this.eventStation[index]!;
    const kind = this.eventKind[index]!;
    assert(kind >= K_REGISTER && kind <= K_FEE_MERGE, 'a recorded event has a known kind');
    return Object.freeze({
      index,
      id: this.eventIds.get(index),
      type: TYPE_BY_KIND[this.eventKind[index]!]!,
      stationId: stationIndex >= 0 ? this.stations[stationIndex]!.stationId : undefined,
      amountFen: this.eventAmountFen[index]!,
      feeFen: this.eventFeeFen[index]!,
      atMs: this.eventAtMs[index]!,
      businessDate: dateFromDayNumber(this.eventDay[index]!),
      code: this.eventCode[index] === CODE_NOOP_INDEX ? 'LEDGER_REVERSAL_ALREADY_DONE' : 'LEDGER_OK',
    });
  }

  entry(index: number): LedgerEntry {
    assert(Number.isInteger(index) && index >= 0 && index < this.entryCount, 'entry index out of range');
    const flags = this.entryFlags[index]!;
    assert((flags & (E_PENDING | E_VOID)) !== (E_PENDING | E_VOID), 'an entry is not both pending and void');
    return Object.freeze({
      index,
      eventIndex: this.entryEvent[index]!,
      debitAccount: this.accountNames[this.entryDebit[index]!]!,
      creditAccount: this.accountNames[this.entryCredit[index]!]!,
      amountFen: this.entryAmountFen[index]!,
      phase: (flags & E_PENDING) !== 0 ? 'pending' : (flags & E_VOID) !== 0 ? 'void' : 'posted',
      fee: (flags & E_FEE) !== 0,
      reversal: (flags & E_REVERSAL) !== 0,
    });
  }

  stationIds(): readonly string[] {
    assert(this.stations.length === this.stationsById.size, 'station list and map agree');
    return Object.freeze(this.stations.map((station) => station.stationId));
  }

  stationBalances(stationId: string): StationBalances | undefined {
    const station = this.stationsById.get(stationId);
    if (station === undefined) return undefined;
    const settlement = station.settlementAccount;
    const quota = station.quotaAccount;
    assert(settlement < this.accountCount && quota < this.accountCount, 'station accounts exist');
    const quotaFenAvailable = this.accountCreditsPosted[quota]! - this.accountDebitsPosted[quota]!;
    // R2: a station's quota never goes below zero.
    assert(quotaFenAvailable >= 0, 'R2: quota below zero');
    return Object.freeze({
      settlementFen: this.accountCreditsPosted[settlement]! - this.accountDebitsPosted[settlement]!,
      settlementPendingFen: this.accountCreditsPending[settlement]! - this.accountDebitsPending[settlement]!,
      quotaFenAvailable,
    });
  }

  accountBalances(): readonly AccountBalance[] {
    assert(this.accountNames.length === this.accountCount, 'account names and count agree');
    const balances: AccountBalance[] = [];
    for (let index = 0; index < this.accountCount; index++) {
      balances.push(
        Object.freeze({
          name: this.accountNames[index]!,
          debitsPostedFen: this.accountDebitsPosted[index]!,
          creditsPostedFen: this.accountCreditsPosted[index]!,
          debitsPendingFen: this.accountDebitsPending[index]!,
          creditsPendingFen: this.accountCreditsPending[index]!,
        }),
      );
    }
    return Object.freeze(balances);
  }

  holdState(holdId: string): HoldState | undefined {
    if (this.reversedUnknown.has(holdId)) return 'reversed';
    const slot = this.slotsById.lookup(holdId);
    if (slot === ID_MISSING || slot < 0 || this.eventKind[slot] !== K_HOLD) return undefined;
    const state = this.eventHoldState[slot]!;
    assert(state >= H_PENDING && state <= H_REVERSED, 'a recorded hold has a state');
    return state === H_PENDING
      ? 'pending'
      : state === H_POSTED
        ? 'posted'
        : state === H_VOIDED
          ? 'voided'
          : 'reversed';
  }

  dayTotals(stationId: string, businessDate: string): DayTotals {
    const station = this.stationsById.get(stationId);
    return deepFreeze(totalsFromSlots(station?.totalsByDay.get(dayNumberFromDate(businessDate))));
  }

  /** The earliest day after the station's last close that has business; +Infinity when none. */
  firstUnclosedBusinessDay(station: StationState): number {
    let first = Number.POSITIVE_INFINITY;
    for (const day of station.totalsByDay.keys()) {
      if (day > station.closedThroughDay && day < first) first = day;
    }
    assert(first > station.closedThroughDay, 'the first unclosed day is after the last close');
    return first;
  }

  /**
   * R7: the business days of a station after its last close that have business (a totals row),
   * oldest first, optionally only those strictly before `beforeDate` ('YYYY-MM-DD'). A service
   * that was off over one or more midnights closes each of them, in order, before today's.
   */
  unclosedBusinessDays(stationId: string, beforeDate?: string): string[] {
    const station = this.stationsById.get(stationId);
    if (station === undefined) return [];
    const beforeDay =
      beforeDate === undefined ? Number.POSITIVE_INFINITY : (parseIsoDate(beforeDate) ?? Number.NaN);
    assert(!Number.isNaN(beforeDay), 'beforeDate must be YYYY-MM-DD');
    const days: number[] = [];
    for (const day of station.totalsByDay.keys()) {
      if (day > station.closedThroughDay && day < beforeDay) days.push(day);
    }
    assert(days.length <= station.totalsByDay.size, 'unclosed days are days with business');
    return days.sort((a, b) => a - b).map((day) => dateFromDayNumber(day));
  }

  closes(stationId: string): readonly DailyClose[] {
    return Object.freeze(this.stationsById.get(stationId)?.closes.slice() ?? []);
  }

  reconciliationItems(filter?: {
    readonly stationId?: string;
    readonly businessDate?: string;
  }): ReconciliationItem[] {
    const stationIndex =
      filter?.stationId === undefined ? -1 : (this.stationsById.get(filter.stationId)?.index ?? -2);
    const day = filter?.businessDate === undefined ? DAY_NONE : dayNumberFromDate(filter.businessDate);
    const items: ReconciliationItem[] = [];
    if (stationIndex === -2) return items;
    for (let index = 0; index < this.eventCount; index++) {
      if (stationIndex >= 0 && this.eventStation[index] !== stationIndex) continue;
      if (day !== DAY_NONE && this.eventDay[index] !== day) continue;
      const kind = this.itemKind(index);
      if (kind === undefined) continue;
      items.push(
        Object.freeze({
          id: this.eventIds.get(index),
          stationId: this.stations[this.eventStation[index]!]!.stationId,
          kind,
          amountFen: this.eventAmountFen[index]!,
          feeFen: this.eventFeeFen[index]!,
          businessDate: dateFromDayNumber(this.eventDay[index]!),
        }),
      );
    }
    assert(items.length <= this.eventCount, 'at most one item per event');
    return items;
  }

  itemKind(index: number): TotalsKind | undefined {
    assert(index >= 0 && index < this.eventCount, 'itemKind: event index out of range');
    if (this.eventCode[index] !== CODE_OK_INDEX) return undefined;
    switch (this.eventKind[index]) {
      case K_BILL:
        return 'BILL_PAYMENT';
      case K_TOPUP:
        return 'MOBILE_TOPUP';
      case K_POST:
        return 'CASH_WITHDRAWAL';
      case K_REVERSE:
        return 'REVERSAL';
      case K_QUOTA_PURCHASE:
        return 'QUOTA_PURCHASE';
      default:
        return undefined;
    }
  }

  monthlyRevenue(month: string): {
    readonly stationId: string;
    readonly businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP';
    readonly revenueFen: number;
  }[] {
    const { firstDay, endDay } = monthRange(month);
    const lines: {
      readonly stationId: string;
      readonly businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP';
      readonly revenueFen: number;
    }[] = [];
    for (const station of this.stations) {
      let billFen = 0;
      let topupFen = 0;
      for (const [day, totals] of station.totalsByDay) {
        if (day < firstDay || day >= endDay) continue;
        billFen += totals[SLOT_BILL + 1]!;
        topupFen += totals[SLOT_TOPUP + 1]!;
      }
      // Each day's totals are parts of the clearing totals the sum check kept below 2^53 (R1).
      assert(Number.isSafeInteger(billFen) && Number.isSafeInteger(topupFen), 'revenue stays safe integers');
      if (billFen > 0)
        lines.push({ stationId: station.stationId, businessType: 'BILL_PAYMENT', revenueFen: billFen });
      if (topupFen > 0)
        lines.push({ stationId: station.stationId, businessType: 'MOBILE_TOPUP', revenueFen: topupFen });
    }
    assert(lines.length <= this.stations.length * 2, 'at most two revenue lines per station');
    return lines;
  }
}
