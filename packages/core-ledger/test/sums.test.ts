// Goal: every sum of fen stays a safe integer or is refused with LEDGER_SUM_UNSAFE (R1): account
// totals in the ledger, day totals summed from items, commission lines and totals; nothing is ever
// rounded past 2^53 - 1. Method: drive each sum to the edge: exactly Number.MAX_SAFE_INTEGER is
// accepted, one more fen (or one more command) is refused, and the ledger does not change.

import t from 'tap';
import {
  computeMonthlyCommission,
  createLedger,
  LEDGER_LIMITS,
  type ReconciliationItem,
  totalsFromItems,
  totalsFromItemsChecked,
} from '../src/index.js';
import { at, baseConfig, hold, realCalendar } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;
const BIG = LEDGER_LIMITS.amountFenMax; // 10^12 fen per command

t.test('ledger: quota credits reach exactly 2^53 - 1, and not one fen more', async (t) => {
  const ledger = createLedger(baseConfig());
  ledger.apply({
    type: 'station-register',
    id: 'r',
    atMs: at(7),
    stationId: 'S1',
    orgCode: 'O',
    quotaAccountNo: 'Q',
  });
  const fullCount = Math.floor(MAX / BIG); // 9007 purchases of 10^12
  for (let i = 0; i < fullCount; i++) {
    const result = ledger.apply({
      type: 'quota-purchase',
      id: `qp-${i}`,
      atMs: at(8),
      stationId: 'S1',
      amountFen: BIG,
    });
    if (!result.ok) throw new Error(`purchase ${i} refused: ${result.reasons.join(', ')}`);
  }
  const restFen = MAX - fullCount * BIG;
  t.ok(
    ledger.apply({ type: 'quota-purchase', id: 'qp-rest', atMs: at(8), stationId: 'S1', amountFen: restFen })
      .ok,
  );
  t.equal(ledger.stationBalances('S1')?.quotaFenAvailable, MAX, 'exactly 2^53 - 1');
  const events = ledger.eventCount;
  const over = ledger.apply({
    type: 'quota-purchase',
    id: 'qp-over',
    atMs: at(8),
    stationId: 'S1',
    amountFen: 50_000,
  });
  t.same(over.ok ? over.code : over.reasons, ['LEDGER_SUM_UNSAFE'], 'one more purchase is refused');
  t.equal(ledger.eventCount, events, 'nothing recorded');
  t.equal(ledger.stationBalances('S1')?.quotaFenAvailable, MAX, 'balance unchanged');
  const totals = ledger.dayTotals('S1', '2026-03-02').QUOTA_PURCHASE.amountFen;
  t.ok(Number.isSafeInteger(totals) && totals === MAX, 'day total exact');
});

t.test('ledger: withdrawals held across stations stop before bank-clearing passes 2^53', async (t) => {
  const limits = { perTransactionFenMax: BIG, perCardDailyFenMax: BIG, perStationDailyFenMax: BIG };
  const ledger = createLedger(baseConfig({ withdrawalLimits: limits }));
  const perHoldFen = BIG + 100;
  const fitting = Math.floor(MAX / perHoldFen); // 9007
  let accepted = 0;
  let refusedCode: readonly string[] = [];
  for (let i = 0; i <= fitting; i++) {
    ledger.apply({
      type: 'station-register',
      id: `r${i}`,
      atMs: at(7),
      stationId: `S${i}`,
      orgCode: 'O',
      quotaAccountNo: 'Q',
    });
    const result = ledger.apply(hold(`w${i}`, BIG, `S${i}`, `card-${i}`));
    if (result.ok) accepted++;
    else refusedCode = result.reasons;
  }
  t.equal(accepted, fitting, `${fitting} holds fit`);
  t.same(refusedCode, ['LEDGER_SUM_UNSAFE'], 'the next is refused');
  const bank = ledger.accountBalances().find((account) => account.name === 'bank-clearing')!;
  t.ok(Number.isSafeInteger(bank.debitsPendingFen), 'pending total exact');
  t.equal(bank.debitsPendingFen, fitting * perHoldFen);
});

const item = (id: string, amountFen: number): ReconciliationItem => ({
  id,
  stationId: 'S1',
  kind: 'BILL_PAYMENT',
  amountFen,
  feeFen: 0,
  businessDate: '2026-03-02',
});

t.test('totals from items: exact up to 2^53 - 1, refused past it or for a bad amount', async (t) => {
  const full = Array.from({ length: Math.floor(MAX / BIG) }, (_, i) => item(`i${i}`, BIG));
  const edge = [...full, item('rest', MAX - full.length * BIG)];
  const ok = totalsFromItemsChecked(edge);
  t.ok(ok.ok && ok.totals.BILL_PAYMENT.amountFen === MAX);
  t.same(totalsFromItemsChecked([...edge, item('c', 1)]), { ok: false, code: 'LEDGER_SUM_UNSAFE' });
  t.same(totalsFromItemsChecked([item('d', 1.5)]), { ok: false, code: 'LEDGER_AMOUNT_INVALID' });
  t.throws(
    () => totalsFromItems([...edge, item('c', 1)]),
    { code: 'LEDGER_ASSERTION_FAILED' },
    'the unchecked form asserts',
  );
});

t.test('commission: revenue and gross sums are checked (R10)', async (t) => {
  const base = {
    month: '2026-03',
    ratiosBasisPoints: { BILL_PAYMENT: 10_000, MOBILE_TOPUP: 10_000 },
    taxRule: { kind: 'none' } as const,
    calendar: realCalendar(),
  };
  const line = (revenueFen: number, businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP' = 'BILL_PAYMENT') => ({
    stationId: 'S1',
    businessType,
    revenueFen,
  });
  const lines = Array.from({ length: Math.floor(MAX / BIG) }, () => line(BIG));
  const exact = computeMonthlyCommission({ ...base, revenue: [...lines, line(MAX - lines.length * BIG)] });
  t.ok(exact.ok && exact.grossFen === MAX, 'exactly 2^53 - 1 at 100%');
  const over = computeMonthlyCommission({
    ...base,
    revenue: [...lines, line(MAX - lines.length * BIG), line(1)],
  });
  t.same(over.ok ? 'ok' : over.reasons, ['LEDGER_SUM_UNSAFE'], 'one more fen of revenue');
  const twoTypes = computeMonthlyCommission({
    ...base,
    revenue: [...lines, line(MAX - lines.length * BIG), line(1, 'MOBILE_TOPUP')],
  });
  t.same(twoTypes.ok ? 'ok' : twoTypes.reasons, ['LEDGER_SUM_UNSAFE'], 'the gross of two lines');
  const bad = computeMonthlyCommission({ ...base, revenue: [line(-1)] });
  t.same(
    bad.ok ? 'ok' : bad.reasons,
    ['LEDGER_AMOUNT_INVALID'],
    'a bad revenue line is refused, not asserted',
  );
});
