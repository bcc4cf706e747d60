// R5 withdrawal limits at HQ, pure. One source: the limits HQ signs into every station config
// (StationConfig.limits, from the gateway's station defaults) are the limits HQ's ledger mirror
// applies and the limits HQ checks an authorisation request against before asking the bank.
// HQ keeps its own tally of the withdrawals it approved, per card and per station per business
// day (a hold counts until it is voided or reversed), because the kiosk's card token is keyed per
// kiosk and the mirror only learns of a hold when its WithdrawalAuthorised event is stored.
// The tally is pure; the ingest pipeline persists every approval (before the bank is asked) and
// every release through the Store port, and restores the current business days' approvals into a
// fresh tally at start-up (restore), so an HQ restart does not reset a day's counts to zero.
import type { WithdrawalLimits } from '@bianmin/core-ledger';
import type { HqCode } from '../errors.js';
import { withdrawalApprovalsTrackedMax } from '../limits.js';
import { assert } from './assert.js';

/** The withdrawal limits as a station config carries them (fen). */
export interface ConfigWithdrawalLimits {
  readonly withdrawalFenMaxPerTransaction: number;
  readonly withdrawalFenMaxPerCardPerDay: number;
  readonly withdrawalFenMaxPerStationPerDay: number;
}

export function ledgerLimitsOf(config: ConfigWithdrawalLimits): WithdrawalLimits {
  const limits: WithdrawalLimits = {
    perTransactionFenMax: config.withdrawalFenMaxPerTransaction,
    perCardDailyFenMax: config.withdrawalFenMaxPerCardPerDay,
    perStationDailyFenMax: config.withdrawalFenMaxPerStationPerDay,
  };
  for (const [name, fen] of Object.entries(limits)) {
    if (!(Number.isSafeInteger(fen) && fen > 0))
      throw new Error(`withdrawal limit ${name} must be positive fen`);
  }
  return limits;
}

/** Registry codes (src/errors.ts), so a rename there fails here. */
export type LimitDeclineCode = Extract<
  HqCode,
  'HQ_AUTH_OVER_TRANSACTION_LIMIT' | 'HQ_AUTH_OVER_CARD_DAILY_LIMIT' | 'HQ_AUTH_OVER_STATION_DAILY_LIMIT'
>;

export interface WithdrawalAsk {
  readonly requestId: string;
  /** An opaque per-card key (a digest of the PAN, never the PAN). */
  readonly cardKey: string;
  readonly stationId: string;
  /** Asia/Shanghai business date, YYYY-MM-DD. */
  readonly businessDate: string;
  readonly amountFen: number;
}

/** An approval as the store keeps it (the Store port's withdrawal-approval rows). */
export interface WithdrawalApprovalRecord extends WithdrawalAsk {
  readonly approvedAtMs: number;
}

interface Approval {
  readonly cardKey: string;
  readonly stationId: string;
  readonly businessDate: string;
  readonly amountFen: number;
}

export class WithdrawalTally {
  readonly #approvals = new Map<string, Approval>();
  readonly #usedFen = new Map<string, number>();

  /** Every limit the ask would break, in a fixed order (R21); none for a request already approved. */
  check(limits: WithdrawalLimits, ask: WithdrawalAsk): LimitDeclineCode[] {
    if (!(Number.isSafeInteger(ask.amountFen) && ask.amountFen >= 0))
      throw new Error('amountFen must be fen');
    if (this.#approvals.has(ask.requestId)) return [];
    const codes: LimitDeclineCode[] = [];
    if (ask.amountFen > limits.perTransactionFenMax) codes.push('HQ_AUTH_OVER_TRANSACTION_LIMIT');
    if (this.#used(cardSlot(ask)) + ask.amountFen > limits.perCardDailyFenMax) {
      codes.push('HQ_AUTH_OVER_CARD_DAILY_LIMIT');
    }
    if (this.#used(stationSlot(ask)) + ask.amountFen > limits.perStationDailyFenMax) {
      codes.push('HQ_AUTH_OVER_STATION_DAILY_LIMIT');
    }
    assert(codes.length <= 3, 'at most one code per R5 limit');
    return codes;
  }

  /**
   * An approved withdrawal: it counts against the card's and the station's day (idempotent).
   * True when this call added it (false: the request id was counted already).
   */
  approved(ask: WithdrawalAsk): boolean {
    if (this.#approvals.has(ask.requestId)) return false;
    if (this.#approvals.size >= withdrawalApprovalsTrackedMax) this.#forgetOtherDays(ask.businessDate);
    if (this.#approvals.size >= withdrawalApprovalsTrackedMax) throw new Error('withdrawal tally is full');
    const approval: Approval = {
      cardKey: ask.cardKey,
      stationId: ask.stationId,
      businessDate: ask.businessDate,
      amountFen: ask.amountFen,
    };
    this.#approvals.set(ask.requestId, approval);
    this.#add(cardSlot(approval), approval.amountFen);
    this.#add(stationSlot(approval), approval.amountFen);
    assert(this.#approvals.size <= withdrawalApprovalsTrackedMax, 'the tally stays within its bound');
    assert(this.#approvals.has(ask.requestId), 'an approval is counted');
    return true;
  }

  /** Rebuild from stored approvals not released (start-up); returns how many now count. */
  restore(approvals: Iterable<WithdrawalAsk>): number {
    for (const approval of approvals) this.approved(approval);
    assert(this.#approvals.size <= withdrawalApprovalsTrackedMax, 'the tally stays within its bound');
    return this.#approvals.size;
  }

  /** Request ids counted for the station (a partition takeover reconciles them with the store). */
  requestIdsOfStation(stationId: string): string[] {
    const ids: string[] = [];
    for (const [requestId, approval] of this.#approvals)
      if (approval.stationId === stationId) ids.push(requestId);
    return ids;
  }

  /** A hold voided or reversed: its amount no longer counts (idempotent; unknown ids ignored). */
  released(requestId: string): void {
    const approval = this.#approvals.get(requestId);
    if (approval === undefined) return;
    this.#approvals.delete(requestId);
    this.#add(cardSlot(approval), -approval.amountFen);
    this.#add(stationSlot(approval), -approval.amountFen);
    assert(!this.#approvals.has(requestId), 'a released approval no longer counts');
  }

  #used(slot: string): number {
    const usedFen = this.#usedFen.get(slot) ?? 0;
    // Only approved amounts are added and only they are taken back: a tally is never below zero.
    assert(Number.isSafeInteger(usedFen) && usedFen >= 0, 'a tally is whole fen, never below zero');
    return usedFen;
  }

  #add(slot: string, fen: number): void {
    const total = this.#used(slot) + fen;
    assert(total >= 0, 'withdrawal tally went negative');
    if (total === 0) this.#usedFen.delete(slot);
    else this.#usedFen.set(slot, total);
  }

  #forgetOtherDays(businessDate: string): void {
    for (const [requestId, approval] of this.#approvals) {
      if (approval.businessDate !== businessDate) this.released(requestId);
    }
    for (const approval of this.#approvals.values()) {
      assert(approval.businessDate === businessDate, 'only the given day is left');
    }
  }
}

function cardSlot(a: Pick<Approval, 'cardKey' | 'businessDate'>): string {
  return `card|${a.cardKey}|${a.businessDate}`;
}

function stationSlot(a: Pick<Approval, 'stationId' | 'businessDate'>): string {
  return `station|${a.stationId}|${a.businessDate}`;
}
