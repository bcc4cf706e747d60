// Field checks shared by several payload types (cards, withdrawal ids, peripherals) and the
// station config's checks, used by the payload registry (payloads.ts). Each throws WIRE_BAD_FIELD
// naming the field; they run on untrusted decoded messages, so they never assert.
import { type bianmin, v1 } from './generated.js';
import { cashFenDeclaredMax } from './limits.js';
import {
  badField,
  checkBusinessDate,
  checkCode,
  checkCount,
  checkEnum,
  checkFen,
  checkId,
  checkInstantMs,
  checkMaskedPan,
  checkRepeated,
  checkText,
} from './validate.js';

type CardRefLike = bianmin.v1.CardRef.$Properties | null | undefined;

export function checkCard(card: CardRefLike, field: string): void {
  if (card === null || card === undefined) badField(field, 'is required');
  checkMaskedPan(card.maskedPan ?? '', `${field}.maskedPan`);
  checkId(card.cardToken ?? '', `${field}.cardToken`);
}

export function checkWithdrawalIds(m: { transactionId: string; requestId: string }, field: string): void {
  checkId(m.transactionId, `${field}.transactionId`);
  checkId(m.requestId, `${field}.requestId`);
}

type PeripheralList = bianmin.v1.PeripheralStatus.$Properties[] | null | undefined;

export function checkPeripherals(list: PeripheralList, field: string): void {
  const items = list ?? [];
  checkRepeated(items, field);
  items.forEach((p, index) => {
    const at = `${field}[${index}]`;
    checkEnum(p.kind ?? 0, v1.PeripheralKind, `${at}.kind`);
    checkEnum(p.state ?? 0, v1.PeripheralState, `${at}.state`);
    checkText(p.detail ?? '', `${at}.detail`);
    checkInstantMs(p.sinceMs ?? 0, `${at}.sinceMs`, false);
  });
}

function checkMinute(value: number, field: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) badField(field, `must be ${min}..${max}`);
}

export function checkStationConfig(m: bianmin.v1.StationConfig, f: string): void {
  checkCount(m.configVersion, `${f}.configVersion`, 1);
  checkCode(m.orgCode, `${f}.orgCode`);
  checkId(m.quotaAccountId, `${f}.quotaAccountId`);
  checkRepeated(m.feeSchedules, `${f}.feeSchedules`);
  if (m.feeSchedules.length === 0) badField(`${f}.feeSchedules`, 'at least one schedule is required');
  m.feeSchedules.forEach((schedule, index) => {
    const at = `${f}.feeSchedules[${index}]`;
    checkCount(schedule.version ?? 0, `${at}.version`, 1);
    checkBusinessDate(schedule.effectiveDate ?? '', `${at}.effectiveDate`);
    checkInstantMs(schedule.announcedAtMs ?? 0, `${at}.announcedAtMs`, false);
    checkFen(schedule.withdrawalFeeFen ?? 0, `${at}.withdrawalFeeFen`);
    checkFen(schedule.billPaymentFeeFen ?? 0, `${at}.billPaymentFeeFen`);
    checkFen(schedule.mobileTopupFeeFen ?? 0, `${at}.mobileTopupFeeFen`);
  });
  checkFen(m.quotaFenBalance, `${f}.quotaFenBalance`);
  checkCount(m.quotaBalanceThroughSeq, `${f}.quotaBalanceThroughSeq`);
  checkRepeated(m.quotaPurchases, `${f}.quotaPurchases`);
  m.quotaPurchases.forEach((q, index) => {
    const at = `${f}.quotaPurchases[${index}]`;
    checkId(q.purchaseId ?? '', `${at}.purchaseId`);
    checkFen(q.amountFen ?? 0, `${at}.amountFen`, 1);
    checkInstantMs(q.purchasedAtMs ?? 0, `${at}.purchasedAtMs`);
  });
  const hours = m.serviceHours;
  if (hours === null || hours === undefined) badField(`${f}.serviceHours`, 'is required');
  checkCode(hours.timeZone ?? '', `${f}.serviceHours.timeZone`);
  checkMinute(hours.opensAtMinute ?? 0, `${f}.serviceHours.opensAtMinute`, 0, 1439);
  checkMinute(hours.closesAtMinute ?? 0, `${f}.serviceHours.closesAtMinute`, 1, 1440);
  const windows = hours.maintenanceWindows ?? [];
  checkRepeated(windows, `${f}.serviceHours.maintenanceWindows`);
  windows.forEach((window, index) => {
    const at = `${f}.serviceHours.maintenanceWindows[${index}]`;
    checkMinute(window.startMinute ?? 0, `${at}.startMinute`, 0, 1439);
    checkMinute(window.endMinute ?? 0, `${at}.endMinute`, 1, 1440);
    if (window.startMinute === window.endMinute) badField(at, 'must not be empty');
  });
  const limits = m.limits;
  if (limits === null || limits === undefined) badField(`${f}.limits`, 'is required');
  checkFen(limits.withdrawalFenMaxPerTransaction ?? 0, `${f}.limits.withdrawalFenMaxPerTransaction`);
  checkFen(limits.withdrawalFenMaxPerCardPerDay ?? 0, `${f}.limits.withdrawalFenMaxPerCardPerDay`);
  checkFen(limits.withdrawalFenMaxPerStationPerDay ?? 0, `${f}.limits.withdrawalFenMaxPerStationPerDay`);
  checkFen(limits.billPaymentFenMaxPerTransaction ?? 0, `${f}.limits.billPaymentFenMaxPerTransaction`);
  checkFen(limits.topupFenMaxPerTransaction ?? 0, `${f}.limits.topupFenMaxPerTransaction`);
  checkInstantMs(m.issuedAtMs, `${f}.issuedAtMs`);
}

type CashDeclarationLike = bianmin.v1.CashDeclaration.$Properties | null | undefined;

/** A drawer count (R8 账实相符): whole fen within cashFenDeclaredMax, float too, and an instant. */
export function checkCashDeclaration(declaration: CashDeclarationLike, field: string): void {
  if (declaration === null || declaration === undefined) badField(field, 'is required');
  const countedFen = declaration.cashFenCounted ?? 0;
  const floatFen = declaration.floatFenOpening ?? 0;
  checkFen(countedFen, `${field}.cashFenCounted`);
  if (countedFen > cashFenDeclaredMax)
    badField(`${field}.cashFenCounted`, `fen must be <= ${cashFenDeclaredMax}`);
  checkFen(floatFen, `${field}.floatFenOpening`);
  if (floatFen > cashFenDeclaredMax)
    badField(`${field}.floatFenOpening`, `fen must be <= ${cashFenDeclaredMax}`);
  checkInstantMs(declaration.declaredAtMs ?? 0, `${field}.declaredAtMs`);
}
