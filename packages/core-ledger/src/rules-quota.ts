// The quota rules (R2, R3) of the ledger: bill payments and top-ups consume the station's quota
// (never below zero); quota purchases of at least 500 yuan add to it. Handlers of LedgerImpl.apply.

import { assert } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import { SLOT_BILL, SLOT_QUOTA_PURCHASE, SLOT_TOPUP } from './daily-close.js';
import { isFen, isId, sumFits } from './input-checks.js';
import type { LedgerImpl } from './ledger.js';
import {
  A_BILLER_CLEARING,
  A_CUSTOMER_CASH_CLEARING,
  A_QUOTA_FUNDING,
  A_TOPUP_CLEARING,
  E_FEE,
  K_BILL,
  K_QUOTA_PURCHASE,
} from './ledger-store.js';
import { QUOTA_PURCHASE_FEN_MIN } from './rules.js';
import type { BillPaymentCommand, LedgerResult, MobileTopupCommand, QuotaPurchaseCommand } from './types.js';

// ---------------------------------------------------------------- R2: bill payment, top-up

export function applyQuotaConsumption(
  ledger: LedgerImpl,
  command: BillPaymentCommand | MobileTopupCommand,
  kind: number,
): LedgerResult {
  const amountValid = ledger.checkAmount(command.amountFen);
  if (!isFen(command.feeFen)) ledger.reasons.push('LEDGER_FEE_INVALID');
  const ref1 = command.type === 'bill-payment' ? command.billerCode : command.phoneNumber;
  const ref2 = command.type === 'bill-payment' ? command.billAccountNo : '';
  if (!isId(ref1) || (command.type === 'bill-payment' && !isId(ref2))) {
    ledger.reasons.push('LEDGER_FIELD_INVALID');
  }
  const day = ledger.commandDay(command.atMs);
  const station = ledger.checkStation(command.stationId, true, command.atMs, day);
  ledger.checkFee(day, kind, command.feeFen);
  if (station !== undefined && amountValid) {
    const quota = station.quotaAccount;
    const availableFen = ledger.accountCreditsPosted[quota]! - ledger.accountDebitsPosted[quota]!;
    if (command.amountFen > availableFen) ledger.reasons.push('LEDGER_QUOTA_INSUFFICIENT');
    const clearing = kind === K_BILL ? A_BILLER_CLEARING : A_TOPUP_CLEARING;
    const feeFen = isFen(command.feeFen) ? command.feeFen : 0;
    // The clearing account sums every station's payments: it is the first total to reach 2^53.
    if (
      !sumFits(ledger.accountCreditsPosted[clearing]!, command.amountFen) ||
      !sumFits(ledger.accountDebitsPosted[A_CUSTOMER_CASH_CLEARING]!, feeFen) ||
      !sumFits(ledger.accountCreditsPosted[station.settlementAccount]!, feeFen)
    ) {
      ledger.reasons.push('LEDGER_SUM_UNSAFE');
    }
  }
  if (ledger.reasons.length > 0 || station === undefined) return ledger.refuse(command);

  const index = ledger.appendEvent(
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
  ledger.post(station.quotaAccount, clearing, command.amountFen, index, 0);
  if (command.feeFen > 0)
    ledger.post(A_CUSTOMER_CASH_CLEARING, station.settlementAccount, command.feeFen, index, E_FEE);
  const totals = ledger.totalsFor(station, day);
  const slot = kind === K_BILL ? SLOT_BILL : SLOT_TOPUP;
  totals[slot] = totals[slot]! + 1;
  totals[slot + 1] = totals[slot + 1]! + command.amountFen;
  totals[slot + 2] = totals[slot + 2]! + command.feeFen;
  totals[slot + 3] = totals[slot + 3]! + command.amountFen;
  assert(
    ledger.accountCreditsPosted[station.quotaAccount]! >= ledger.accountDebitsPosted[station.quotaAccount]!,
    'R2: quota below zero',
  );
  return ledger.accept(index);
}

// ---------------------------------------------------------------- R3: quota purchase

export function applyQuotaPurchase(ledger: LedgerImpl, command: QuotaPurchaseCommand): LedgerResult {
  const amountValid = ledger.checkAmount(command.amountFen);
  const station = ledger.checkStation(command.stationId, false, command.atMs, 0);
  if (amountValid && command.amountFen < QUOTA_PURCHASE_FEN_MIN) {
    ledger.reasons.push('LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM');
  }
  if (
    station !== undefined &&
    amountValid &&
    (!sumFits(ledger.accountCreditsPosted[station.quotaAccount]!, command.amountFen) ||
      !sumFits(ledger.accountDebitsPosted[A_QUOTA_FUNDING]!, command.amountFen))
  ) {
    ledger.reasons.push('LEDGER_SUM_UNSAFE');
  }
  if (ledger.reasons.length > 0 || station === undefined) return ledger.refuse(command);
  const day = ledger.completionDay(station, command.atMs);
  const index = ledger.appendEvent(
    K_QUOTA_PURCHASE,
    command,
    station.index,
    command.amountFen,
    0,
    day,
    '',
    '',
  );
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  ledger.post(A_QUOTA_FUNDING, station.quotaAccount, command.amountFen, index, 0);
  const totals = ledger.totalsFor(station, day);
  totals[SLOT_QUOTA_PURCHASE] = totals[SLOT_QUOTA_PURCHASE]! + 1;
  totals[SLOT_QUOTA_PURCHASE + 1] = totals[SLOT_QUOTA_PURCHASE + 1]! + command.amountFen;
  return ledger.accept(index);
}
