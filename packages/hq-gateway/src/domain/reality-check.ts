// R8 账实相符 (report = real cash and bank settlement), the pure comparison. For one station and
// business day, HQ's stored events (the daily report's source) are compared with:
// - the bank's settlement (its posted withdrawals, by request id): a withdrawal HQ holds as posted
//   that the bank did not settle (HQ_RECON_BANK_MISSING), one the bank settled that HQ does not
//   hold (HQ_RECON_HQ_MISSING), one settled for another amount or fee (HQ_RECON_BANK_AMOUNT_DIFFERS);
// - the drawer count the station declared (in its DailyClose or a later CashDeclared): against
//   core-ledger's expectedCash of the day, short (HQ_RECON_CASH_SHORT) or over
//   (HQ_RECON_CASH_OVER); a second declaration is HQ_RECON_CASH_DECLARED_TWICE (the first counts);
//   totals the rule cannot sum safely are HQ_RECON_CASH_UNCHECKABLE.
// Every difference carries its code, a stable reference (request id, or the declaring event id),
// the amounts in fen, and a reason in zh-CN with yuan for people. Nothing here reads a clock.
import { compareDeclaredCash, expectedCash, formatYuan } from '@bianmin/core-ledger';
import { assert } from './assert.js';
import type { StationEvent } from './types.js';

export type RealityCode =
  | 'HQ_RECON_BANK_MISSING'
  | 'HQ_RECON_HQ_MISSING'
  | 'HQ_RECON_BANK_AMOUNT_DIFFERS'
  | 'HQ_RECON_CASH_SHORT'
  | 'HQ_RECON_CASH_OVER'
  | 'HQ_RECON_CASH_DECLARED_TWICE'
  | 'HQ_RECON_CASH_UNCHECKABLE';

/** One posted withdrawal in the bank's daily settlement for a station (the bank's view). */
export interface BankSettlementLine {
  readonly requestId: string;
  readonly bankReference: string;
  readonly amountFen: number;
  readonly feeFen: number;
}

export interface RealityDifference {
  readonly code: RealityCode;
  /** Request id (bank side) or the declaring event id (cash side): with the code, unique per day. */
  readonly reference: string;
  /** What HQ's report says, fen; null when HQ holds nothing for it. */
  readonly expectedFen: number | null;
  /** What the bank or the drawer says, fen; null when it holds nothing for it. */
  readonly actualFen: number | null;
  /** Why, in zh-CN, amounts in yuan. */
  readonly reasonZh: string;
}

export interface CashDeclarationSeen {
  readonly eventId: string;
  readonly cashFenCounted: number;
  readonly floatFenOpening: number;
}

export interface RealityInput {
  readonly stationId: string;
  readonly businessDate: string;
  /** HQ's stored events of that station and business day, in seq order. */
  readonly events: readonly StationEvent[];
  /** The bank's settlement for that station and day; undefined: not compared in this run. */
  readonly bank: readonly BankSettlementLine[] | undefined;
}

export interface RealityResult {
  readonly stationId: string;
  readonly businessDate: string;
  readonly hqPostedCount: number;
  readonly hqPostedFen: number;
  /** null when the bank side was not compared. */
  readonly bankPostedCount: number | null;
  readonly bankPostedFen: number | null;
  /** core-ledger expectedCash (with the declared float); null when not declared or uncheckable. */
  readonly expectedCashFen: number | null;
  /** The declared count that counts (the first); null: not declared (not 0). */
  readonly declaredCashFen: number | null;
  readonly differences: readonly RealityDifference[];
}

interface Posted {
  readonly requestId: string;
  readonly amountFen: number;
  readonly feeFen: number;
}

/** The drawer counts declared for the day, in seq order (a close's own, then CashDeclared events). */
export function cashDeclarationsOf(events: readonly StationEvent[]): CashDeclarationSeen[] {
  const found: CashDeclarationSeen[] = [];
  for (const event of events) {
    if (event.kind !== 'DAILY_CLOSE' && event.kind !== 'CASH_DECLARED') continue;
    const cash = event.detail.cashDeclared as
      | { cashFenCounted?: unknown; floatFenOpening?: unknown }
      | null
      | undefined;
    if (cash === null || cash === undefined) continue;
    found.push({
      eventId: event.eventId,
      cashFenCounted: Number(cash.cashFenCounted),
      floatFenOpening: Number(cash.floatFenOpening ?? 0),
    });
  }
  return found;
}

function line(
  events: readonly StationEvent[],
  kind: StationEvent['kind'],
): { amountFen: number; feeFen: number } {
  let amountFen = 0;
  let feeFen = 0;
  for (const event of events) {
    if (event.kind !== kind) continue;
    amountFen += event.amountFen;
    feeFen += event.feeFen;
  }
  return { amountFen, feeFen };
}

function compareBank(posted: readonly Posted[], bank: readonly BankSettlementLine[]): RealityDifference[] {
  const differences: RealityDifference[] = [];
  const bankById = new Map(bank.map((entry) => [entry.requestId, entry]));
  const hqIds = new Set<string>();
  for (const p of posted) {
    // A request id posted twice is the ledger mirror's discrepancy already; compared once here.
    if (hqIds.has(p.requestId)) continue;
    hqIds.add(p.requestId);
    const settled = bankById.get(p.requestId);
    const hqFen = p.amountFen + p.feeFen;
    if (settled === undefined) {
      differences.push({
        code: 'HQ_RECON_BANK_MISSING',
        reference: p.requestId,
        expectedFen: hqFen,
        actualFen: null,
        reasonZh: `取款 ${p.requestId}：总部记录已入账 ${formatYuan(p.amountFen)}（手续费 ${formatYuan(p.feeFen)}），银行清算中无此笔`,
      });
    } else if (settled.amountFen !== p.amountFen || settled.feeFen !== p.feeFen) {
      differences.push({
        code: 'HQ_RECON_BANK_AMOUNT_DIFFERS',
        reference: p.requestId,
        expectedFen: hqFen,
        actualFen: settled.amountFen + settled.feeFen,
        reasonZh: `取款 ${p.requestId}：总部记录 ${formatYuan(p.amountFen)}（手续费 ${formatYuan(p.feeFen)}），银行清算 ${formatYuan(settled.amountFen)}（手续费 ${formatYuan(settled.feeFen)}），金额不符`,
      });
    }
  }
  for (const settled of bank) {
    if (hqIds.has(settled.requestId)) continue;
    differences.push({
      code: 'HQ_RECON_HQ_MISSING',
      reference: settled.requestId,
      expectedFen: null,
      actualFen: settled.amountFen + settled.feeFen,
      reasonZh: `取款 ${settled.requestId}：银行已清算 ${formatYuan(settled.amountFen)}（手续费 ${formatYuan(settled.feeFen)}，银行流水 ${settled.bankReference}），总部无入账记录`,
    });
  }
  return differences;
}

function compareCash(
  events: readonly StationEvent[],
  declarations: readonly CashDeclarationSeen[],
): { expectedCashFen: number | null; differences: RealityDifference[] } {
  const [first, ...later] = declarations;
  const differences: RealityDifference[] = later.map((extra) => ({
    code: 'HQ_RECON_CASH_DECLARED_TWICE',
    reference: extra.eventId,
    expectedFen: first?.cashFenCounted ?? null,
    actualFen: extra.cashFenCounted,
    reasonZh: `同一营业日再次申报现金 ${formatYuan(extra.cashFenCounted)}：以首次申报 ${formatYuan(first?.cashFenCounted ?? 0)} 为准，再次申报不予采用`,
  }));
  if (first === undefined) return { expectedCashFen: null, differences };
  const expected = expectedCash({
    withdrawals: line(events, 'WITHDRAWAL_POSTED'),
    billPayments: line(events, 'BILL_PAYMENT'),
    topups: line(events, 'MOBILE_TOPUP'),
    floatFenOpening: first.floatFenOpening,
  });
  const comparison = expected.ok
    ? compareDeclaredCash(expected.expectedCashFen, first.cashFenCounted)
    : undefined;
  if (!expected.ok || comparison === undefined || comparison.kind === 'refused') {
    differences.push({
      code: 'HQ_RECON_CASH_UNCHECKABLE',
      reference: first.eventId,
      expectedFen: null,
      actualFen: Number.isSafeInteger(first.cashFenCounted) ? first.cashFenCounted : null,
      reasonZh: `现金无法核对：应有现金无法安全计算（${expected.ok ? (comparison?.kind === 'refused' ? comparison.code : '') : expected.code}）`,
    });
    return { expectedCashFen: null, differences };
  }
  const expectedFen = expected.expectedCashFen;
  const floatText = first.floatFenOpening > 0 ? `，含备用金 ${formatYuan(first.floatFenOpening)}` : '';
  if (comparison.kind === 'short') {
    differences.push({
      code: 'HQ_RECON_CASH_SHORT',
      reference: first.eventId,
      expectedFen,
      actualFen: first.cashFenCounted,
      reasonZh: `现金短款 ${formatYuan(comparison.shortFen)}：申报 ${formatYuan(first.cashFenCounted)}，应有 ${formatYuan(expectedFen)}（代收费及充值收入 ${formatYuan(expected.cashFenIn)}，取款支出 ${formatYuan(expected.cashFenOut)}${floatText}）`,
    });
  } else if (comparison.kind === 'over') {
    differences.push({
      code: 'HQ_RECON_CASH_OVER',
      reference: first.eventId,
      expectedFen,
      actualFen: first.cashFenCounted,
      reasonZh: `现金长款 ${formatYuan(comparison.overFen)}：申报 ${formatYuan(first.cashFenCounted)}，应有 ${formatYuan(expectedFen)}（代收费及充值收入 ${formatYuan(expected.cashFenIn)}，取款支出 ${formatYuan(expected.cashFenOut)}${floatText}）`,
    });
  }
  return { expectedCashFen: expectedFen, differences };
}

/** R8 账实相符 for one station and business day: every difference, each with its reason. */
export function checkReality(input: RealityInput): RealityResult {
  assert(
    input.events.every((e) => e.stationId === input.stationId && e.businessDate === input.businessDate),
    'checkReality: events of one station and day only',
  );
  const posted: Posted[] = input.events
    .filter((e) => e.kind === 'WITHDRAWAL_POSTED')
    .map((e) => ({ requestId: String(e.detail.requestId ?? ''), amountFen: e.amountFen, feeFen: e.feeFen }));
  const bankDifferences = input.bank === undefined ? [] : compareBank(posted, input.bank);
  const declarations = cashDeclarationsOf(input.events);
  const cash = compareCash(input.events, declarations);
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const result: RealityResult = {
    stationId: input.stationId,
    businessDate: input.businessDate,
    hqPostedCount: posted.length,
    hqPostedFen: sum(posted.map((p) => p.amountFen + p.feeFen)),
    bankPostedCount: input.bank === undefined ? null : input.bank.length,
    bankPostedFen: input.bank === undefined ? null : sum(input.bank.map((b) => b.amountFen + b.feeFen)),
    expectedCashFen: cash.expectedCashFen,
    declaredCashFen: declarations[0]?.cashFenCounted ?? null,
    differences: [...bankDifferences, ...cash.differences],
  };
  assert(
    new Set(result.differences.map((d) => `${d.code}\u0000${d.reference}`)).size ===
      result.differences.length,
    'checkReality: one difference per code and reference',
  );
  return result;
}
