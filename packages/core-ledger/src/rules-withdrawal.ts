// The withdrawal rules (R5) of the ledger: hold, post, void, and 冲正 (reversal) of what can be
// reversed. Handlers of LedgerImpl.apply; the hold state of each withdrawal lives in the store.

import { assert } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import { SLOT_REVERSAL, SLOT_WITHDRAWAL } from './daily-close.js';
import { DailyUsage } from './daily-usage.js';
import { ID_MISSING } from './id-index.js';
import { isFen, isId, isInstantMs, sumFits } from './input-checks.js';
import type { LedgerImpl } from './ledger.js';
import {
  A_BANK_CLEARING,
  CODE_NOOP_INDEX,
  DAY_NONE,
  E_FEE,
  E_PENDING,
  E_VOID,
  H_PENDING,
  H_POSTED,
  H_REVERSED,
  H_VOIDED,
  K_HOLD,
  K_POST,
  K_REVERSE,
  K_VOID,
  type StationState,
} from './ledger-store.js';
import type {
  LedgerResult,
  WithdrawalHoldCommand,
  WithdrawalPostCommand,
  WithdrawalReverseCommand,
  WithdrawalVoidCommand,
} from './types.js';

// ---------------------------------------------------------------- R5: withdrawal hold / post / void

export function effectiveExpiry(ledger: LedgerImpl, command: WithdrawalHoldCommand): number {
  if (command.expiresAtMs !== undefined) return command.expiresAtMs;
  return ledger.config.holdExpiryMs === undefined ? -1 : command.atMs + ledger.config.holdExpiryMs;
}

export function applyHold(ledger: LedgerImpl, command: WithdrawalHoldCommand): LedgerResult {
  const amountValid = ledger.checkAmount(command.amountFen);
  if (!isFen(command.feeFen)) ledger.reasons.push('LEDGER_FEE_INVALID');
  const cardValid = isId(command.cardToken);
  if (!cardValid) ledger.reasons.push('LEDGER_FIELD_INVALID');
  if (command.expiresAtMs !== undefined && !isInstantMs(command.expiresAtMs)) {
    ledger.reasons.push('LEDGER_INSTANT_INVALID');
  }
  const day = ledger.commandDay(command.atMs);
  const station = ledger.checkStation(command.stationId, true, command.atMs, day);
  ledger.checkFee(day, K_HOLD, command.feeFen);
  let usage: DailyUsage | undefined;
  if (station !== undefined && amountValid && cardValid && day !== DAY_NONE) {
    const limits = station.limits;
    if (command.amountFen > limits.perTransactionFenMax)
      ledger.reasons.push('LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT');
    usage = ledger.cardUsage.get(command.cardToken);
    const cardUsedFen = usage === undefined ? 0 : usage.usedFen(day);
    if (cardUsedFen + command.amountFen > limits.perCardDailyFenMax) {
      ledger.reasons.push('LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT');
    }
    if (station.withdrawn.usedFen(day) + command.amountFen > limits.perStationDailyFenMax) {
      ledger.reasons.push('LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT');
    }
  }
  if (ledger.idValid && ledger.reversedUnknown.has(command.id))
    ledger.reasons.push('LEDGER_WITHDRAWAL_REVERSED');
  if (station !== undefined && amountValid && isFen(command.feeFen)) {
    // Posted + pending bound every sum a withdrawal reaches later (its post moves pending to
    // posted; card and station usage are parts of it), so checking here covers them all.
    const heldFen = command.amountFen + command.feeFen;
    const settlement = station.settlementAccount;
    if (
      !sumFits(
        ledger.accountDebitsPosted[A_BANK_CLEARING]! + ledger.accountDebitsPending[A_BANK_CLEARING]!,
        heldFen,
      ) ||
      !sumFits(ledger.accountCreditsPosted[settlement]! + ledger.accountCreditsPending[settlement]!, heldFen)
    ) {
      ledger.reasons.push('LEDGER_SUM_UNSAFE');
    }
  }
  if (ledger.reasons.length > 0 || station === undefined) return ledger.refuse(command);

  const index = ledger.appendEvent(
    K_HOLD,
    command,
    station.index,
    command.amountFen,
    command.feeFen,
    day,
    command.cardToken,
    '',
  );
  ledger.eventExpiresAtMs[index] = effectiveExpiry(ledger, command);
  ledger.eventHoldState[index] = H_PENDING;
  ledger.hold(A_BANK_CLEARING, station.settlementAccount, command.amountFen, index, E_PENDING);
  ledger.hold(A_BANK_CLEARING, station.settlementAccount, command.feeFen, index, E_PENDING | E_FEE);
  if (usage === undefined) {
    usage = new DailyUsage(day);
    ledger.cardUsage.set(command.cardToken, usage);
  }
  usage.add(day, command.amountFen);
  station.withdrawn.add(day, command.amountFen);
  station.holdsPendingCount++;
  // R5: the limit checks above ran against the usage including this hold.
  assert(usage.usedFen(day) <= station.limits.perCardDailyFenMax, 'R5: card daily limit passed');
  assert(
    station.withdrawn.usedFen(day) <= station.limits.perStationDailyFenMax,
    'R5: station daily limit passed',
  );
  return ledger.accept(index);
}

/** Finds the hold; pushes HOLD_UNKNOWN / WITHDRAWAL_REVERSED / HOLD_NOT_PENDING. */
export function findPendingHold(ledger: LedgerImpl, holdId: string): number {
  if (!isId(holdId)) {
    ledger.reasons.push('LEDGER_FIELD_INVALID');
    return -1;
  }
  const slot = ledger.slotsById.lookup(holdId);
  if (slot === ID_MISSING || slot < 0 || ledger.eventKind[slot] !== K_HOLD) {
    ledger.reasons.push(
      ledger.reversedUnknown.has(holdId) ? 'LEDGER_WITHDRAWAL_REVERSED' : 'LEDGER_HOLD_UNKNOWN',
    );
    return -1;
  }
  assert(slot < ledger.eventCount, 'findPendingHold: event index out of range');
  const state = ledger.eventHoldState[slot];
  if (state === H_REVERSED) ledger.reasons.push('LEDGER_WITHDRAWAL_REVERSED');
  else if (state !== H_PENDING) ledger.reasons.push('LEDGER_HOLD_NOT_PENDING');
  return slot;
}

export function applyPost(ledger: LedgerImpl, command: WithdrawalPostCommand): LedgerResult {
  const holdIndex = findPendingHold(ledger, command.holdId);
  if (holdIndex >= 0 && ledger.reasons.length === 0) {
    const expiresAtMs = ledger.eventExpiresAtMs[holdIndex]!;
    if (expiresAtMs >= 0 && command.atMs >= expiresAtMs) ledger.reasons.push('LEDGER_HOLD_EXPIRED');
  }
  if (ledger.reasons.length > 0) return ledger.refuse(command);
  // No reason pushed: findPendingHold found a pending hold.
  assert(holdIndex >= 0 && ledger.eventHoldState[holdIndex] === H_PENDING, 'post of a pending hold');
  const station = ledger.stations[ledger.eventStation[holdIndex]!]!;
  const amountFen = ledger.eventAmountFen[holdIndex]!;
  const feeFen = ledger.eventFeeFen[holdIndex]!;
  const day = ledger.completionDay(station, command.atMs);
  const index = ledger.appendEvent(
    K_POST,
    command,
    station.index,
    amountFen,
    feeFen,
    day,
    command.holdId,
    '',
  );
  ledger.eventLink[index] = holdIndex;
  ledger.eventLink[holdIndex] = index;
  ledger.eventHoldState[holdIndex] = H_POSTED;
  // Release the pending legs, then post amount and the one fee (R5: exactly one per withdrawal).
  ledger.hold(A_BANK_CLEARING, station.settlementAccount, amountFen, index, E_VOID);
  ledger.hold(A_BANK_CLEARING, station.settlementAccount, feeFen, index, E_VOID | E_FEE);
  ledger.post(A_BANK_CLEARING, station.settlementAccount, amountFen, index, 0);
  ledger.post(A_BANK_CLEARING, station.settlementAccount, feeFen, index, E_FEE);
  station.holdsPendingCount--;
  const totals = ledger.totalsFor(station, day);
  totals[SLOT_WITHDRAWAL] = totals[SLOT_WITHDRAWAL]! + 1;
  totals[SLOT_WITHDRAWAL + 1] = totals[SLOT_WITHDRAWAL + 1]! + amountFen;
  totals[SLOT_WITHDRAWAL + 2] = totals[SLOT_WITHDRAWAL + 2]! + feeFen;
  assert(station.holdsPendingCount >= 0, 'pending holds never below zero');
  // Day totals are parts of the settlement total the hold's sum check kept below 2^53 (R1).
  assert(
    Number.isSafeInteger(totals[SLOT_WITHDRAWAL + 1]! + totals[SLOT_WITHDRAWAL + 2]!),
    'R1: day totals safe',
  );
  return ledger.accept(index);
}

export function applyVoid(ledger: LedgerImpl, command: WithdrawalVoidCommand): LedgerResult {
  const holdIndex = findPendingHold(ledger, command.holdId);
  if (ledger.reasons.length > 0) return ledger.refuse(command);
  assert(holdIndex >= 0 && ledger.eventHoldState[holdIndex] === H_PENDING, 'void of a pending hold');
  const station = ledger.stations[ledger.eventStation[holdIndex]!]!;
  const day = ledger.completionDay(station, command.atMs);
  const index = ledger.appendEvent(K_VOID, command, station.index, 0, 0, day, command.holdId, '');
  ledger.eventLink[index] = holdIndex;
  ledger.eventHoldState[holdIndex] = H_VOIDED;
  releaseHold(ledger, station, holdIndex, index);
  return ledger.accept(index);
}

/** Releases a pending hold: void entries and the daily-limit usage it took. */
export function releaseHold(
  ledger: LedgerImpl,
  station: StationState,
  holdIndex: number,
  eventIndex: number,
): void {
  assert(holdIndex >= 0 && holdIndex < eventIndex, 'a release follows its hold');
  assert(ledger.eventStation[holdIndex] === station.index, 'a hold is released at its own station');
  const amountFen = ledger.eventAmountFen[holdIndex]!;
  ledger.hold(A_BANK_CLEARING, station.settlementAccount, amountFen, eventIndex, E_VOID);
  ledger.hold(
    A_BANK_CLEARING,
    station.settlementAccount,
    ledger.eventFeeFen[holdIndex]!,
    eventIndex,
    E_VOID | E_FEE,
  );
  station.holdsPendingCount--;
  assert(station.holdsPendingCount >= 0, 'pending holds never below zero');
  releaseUsage(ledger, station, holdIndex);
}

export function releaseUsage(ledger: LedgerImpl, station: StationState, holdIndex: number): void {
  assert(ledger.eventKind[holdIndex] === K_HOLD, 'usage is released for a hold');
  const amountFen = ledger.eventAmountFen[holdIndex]!;
  const holdDay = ledger.eventDay[holdIndex]!;
  ledger.cardUsage.get(ledger.eventRef1.get(holdIndex))?.add(holdDay, -amountFen);
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
export function applyReverse(ledger: LedgerImpl, command: WithdrawalReverseCommand): LedgerResult {
  // R4 does not stop a reversal: money already moved must be able to move back.
  const station = ledger.knownStation(command.stationId);
  if (!isId(command.holdId)) {
    ledger.reasons.push('LEDGER_FIELD_INVALID');
    return ledger.refuse(command);
  }
  const slot = ledger.slotsById.lookup(command.holdId);
  let holdIndex = -1;
  if (slot !== ID_MISSING && slot >= 0) {
    if (ledger.eventKind[slot] === K_HOLD) holdIndex = slot;
    else ledger.reasons.push('LEDGER_REVERSAL_NOT_A_WITHDRAWAL');
  } else if (slot !== ID_MISSING && ledger.refusals[-slot - 1]!.commandType !== 'withdrawal-hold') {
    ledger.reasons.push('LEDGER_REVERSAL_NOT_A_WITHDRAWAL');
  }
  const state = holdIndex >= 0 ? ledger.eventHoldState[holdIndex] : H_PENDING;
  if (holdIndex >= 0) {
    if (station !== undefined && ledger.eventStation[holdIndex] !== station.index) {
      ledger.reasons.push('LEDGER_HOLD_STATION_MISMATCH');
    }
    if (state === H_POSTED) ledger.reasons.push('LEDGER_REVERSAL_HOLD_POSTED');
    else if (state === H_VOIDED) ledger.reasons.push('LEDGER_REVERSAL_HOLD_VOIDED');
  }
  if (ledger.reasons.length > 0 || station === undefined) return ledger.refuse(command);
  const day = ledger.completionDay(station, command.atMs);
  const alreadyReversed = state === H_REVERSED || ledger.reversedUnknown.has(command.holdId);
  const index = ledger.appendEvent(K_REVERSE, command, station.index, 0, 0, day, command.holdId, '');
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  if (alreadyReversed) {
    ledger.eventCode[index] = CODE_NOOP_INDEX;
    return Object.freeze({ ok: true, code: 'LEDGER_REVERSAL_ALREADY_DONE', eventIndex: index });
  }
  if (holdIndex < 0) {
    // Unknown here (the authorisation answer never arrived): remember it, so a late hold with
    // this id is refused and the withdrawal can never complete.
    ledger.reversedUnknown.set(command.holdId, index);
  } else {
    assert(state === H_PENDING, 'only a pending hold is reversed');
    ledger.eventLink[index] = holdIndex;
    releaseHold(ledger, station, holdIndex, index);
    ledger.eventHoldState[holdIndex] = H_REVERSED;
  }
  // R7: the REVERSAL line counts reversals; nothing had been paid out, so no amount moves back.
  const totals = ledger.totalsFor(station, day);
  totals[SLOT_REVERSAL] = totals[SLOT_REVERSAL]! + 1;
  return ledger.accept(index);
}
