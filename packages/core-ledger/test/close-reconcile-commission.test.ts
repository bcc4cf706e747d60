// Goal: R7 daily close, R8 reconciliation and R10–R11 commission do what the Measures say.
// Method: a small scripted day through the ledger, then table-driven tampering, injected
// differences and commission cases with hand-computed figures and calendar due dates.

import t from 'tap';
import {
  computeMonthlyCommission,
  createWorkingCalendar,
  type DailyClose,
  GENESIS_HASH,
  LedgerAssertionError,
  type ReconciliationItem,
  reconcileItems,
  reconcileTotals,
  totalsFromItems,
  verifyCloseChain,
} from '../src/index.js';
import {
  at,
  bill,
  hold,
  ledgerWithStations,
  loadCalendarYear,
  post,
  realCalendar,
  reverse,
  topup,
} from './helpers.js';

function businessDay() {
  const ledger = ledgerWithStations(200_000);
  ledger.apply(bill('b1', 10_000));
  ledger.apply(bill('b2', 2_345));
  ledger.apply(topup('t1', 5_000));
  ledger.apply(hold('w1', 50_000));
  ledger.apply(post('w1'));
  ledger.apply(hold('w2', 20_000, 'S1', 'card-B'));
  ledger.apply(reverse('w2')); // 冲正 of a pending hold: released, nothing paid out
  ledger.apply(bill('b3', 700, 'S2'));
  return ledger;
}

t.test('R7 daily close: totals by business type, sealed and chained', async (t) => {
  const ledger = businessDay();
  const first = ledger.apply({
    type: 'daily-close',
    id: 'c1',
    atMs: at(21),
    stationId: 'S1',
    businessDate: '2026-03-02',
  });
  t.ok(first.ok && first.close);
  const close = (first.ok ? first.close : undefined) as DailyClose;
  t.same(close.totals.BILL_PAYMENT, { count: 2, amountFen: 12_345, feeFen: 0, quotaConsumedFen: 12_345 });
  t.same(close.totals.MOBILE_TOPUP, { count: 1, amountFen: 5_000, feeFen: 0, quotaConsumedFen: 5_000 });
  t.same(close.totals.CASH_WITHDRAWAL, { count: 1, amountFen: 50_000, feeFen: 100, quotaConsumedFen: 0 });
  t.same(close.totals.REVERSAL, { count: 1, amountFen: 0, feeFen: 0, quotaConsumedFen: 0 });
  t.same(close.totals.QUOTA_PURCHASE, { count: 1, amountFen: 200_000, feeFen: 0, quotaConsumedFen: 0 });
  t.equal(close.previousHash, GENESIS_HASH);
  t.same(
    totalsFromItems(ledger.reconciliationItems({ stationId: 'S1', businessDate: '2026-03-02' })),
    close.totals,
  );
  ledger.apply(bill('b4', 100, 'S1', at(9, 0, '2026-03-03')));
  const second = ledger.apply({
    type: 'daily-close',
    id: 'c2',
    atMs: at(21, 0, '2026-03-03'),
    stationId: 'S1',
    businessDate: '2026-03-03',
  });
  t.equal(second.ok && second.close?.previousHash, close.hash, 'chained to the previous close');
  const chain = ledger.closes('S1');
  t.same(verifyCloseChain(chain), [], 'an intact past verifies');
  const tampered: [string, DailyClose[], string[]][] = [
    [
      'a total changed',
      [
        {
          ...chain[0]!,
          totals: { ...chain[0]!.totals, BILL_PAYMENT: { ...chain[0]!.totals.BILL_PAYMENT, amountFen: 1 } },
        },
        chain[1]!,
      ],
      ['LEDGER_CLOSE_HASH_MISMATCH'],
    ],
    ['a close removed', [chain[1]!], ['LEDGER_CLOSE_CHAIN_BROKEN']],
    ['closes reordered', [chain[1]!, chain[0]!], ['LEDGER_CLOSE_CHAIN_BROKEN', 'LEDGER_CLOSE_CHAIN_BROKEN']],
    [
      'hash replaced',
      [{ ...chain[0]!, hash: 'f'.repeat(64) }, chain[1]!],
      ['LEDGER_CLOSE_HASH_MISMATCH', 'LEDGER_CLOSE_CHAIN_BROKEN'],
    ],
  ];
  for (const [name, closes, problemCodes] of tampered) {
    t.same(
      verifyCloseChain(closes).map((problem) => problem.code),
      problemCodes,
      name,
    );
  }
  t.same(verifyCloseChain([chain[1]!], chain[0]!.hash), [], 'a partial chain from an anchor');
  const replay = ledger.apply({
    type: 'daily-close',
    id: 'c1',
    atMs: at(21),
    stationId: 'S1',
    businessDate: '2026-03-02',
  });
  t.same(replay, first, 'replaying a close returns the same sealed close');
});

t.test('R8 reconciliation: every difference with a reason code', async (t) => {
  const ledger = businessDay();
  const items = ledger.reconciliationItems();
  t.same(reconcileItems(items, items), [], 'a ledger with itself: nothing');
  const changed: ReconciliationItem = { ...items[1]!, amountFen: items[1]!.amountFen + 1 };
  const right = [items[0]!, changed, ...items.slice(3), items[4]!, { ...items[0]!, id: 'extra-1' }];
  const differences = reconcileItems(items, right);
  t.same(
    differences.map((difference) => [difference.code, difference.id]),
    [
      ['LEDGER_RECON_DUPLICATE', items[4]!.id],
      ['LEDGER_RECON_AMOUNT_DIFFERS', items[1]!.id],
      ['LEDGER_RECON_MISSING', items[2]!.id],
      ['LEDGER_RECON_EXTRA', 'extra-1'],
    ],
  );
  t.same(differences[1]?.fields, ['amountFen']);
  t.equal(differences[0]?.side, 'right');
  const reported = ledger.dayTotals('S1', '2026-03-02');
  t.same(reconcileTotals(reported, reported), []);
  const report = { ...reported, MOBILE_TOPUP: { ...reported.MOBILE_TOPUP, count: 2, amountFen: 6_000 } };
  t.same(
    reconcileTotals(reported, report).map((difference) => [
      difference.code,
      difference.kind,
      difference.field,
    ]),
    [
      ['LEDGER_RECON_TOTAL_DIFFERS', 'MOBILE_TOPUP', 'count'],
      ['LEDGER_RECON_TOTAL_DIFFERS', 'MOBILE_TOPUP', 'amountFen'],
    ],
  );
});

t.test(
  'R10–R11 monthly commission: ratio in basis points, floored per line, tax rule, due dates',
  async (t) => {
    const ledger = businessDay();
    const revenue = [
      ...ledger.monthlyRevenue('2026-03'),
      { stationId: 'S1', businessType: 'INSURANCE' as const, revenueFen: 333_333 },
    ];
    t.same(ledger.monthlyRevenue('2026-03'), [
      { stationId: 'S1', businessType: 'BILL_PAYMENT', revenueFen: 12_345 },
      { stationId: 'S1', businessType: 'MOBILE_TOPUP', revenueFen: 5_000 },
      { stationId: 'S2', businessType: 'BILL_PAYMENT', revenueFen: 700 },
    ]);
    t.same(ledger.monthlyRevenue('2026-04'), []);
    const result = computeMonthlyCommission({
      month: '2026-03',
      revenue,
      ratiosBasisPoints: { BILL_PAYMENT: 150, MOBILE_TOPUP: 200, INSURANCE: 1_000 },
      taxRule: { kind: 'flat-rate', rateBasisPoints: 600 },
      calendar: realCalendar(),
    });
    t.ok(result.ok);
    if (!result.ok) return;
    // April 2026: 15th is a Wednesday → list due Tue 14th; 20th a Monday → payment due Fri 17th.
    t.equal(result.listDueDate, '2026-04-14');
    t.equal(result.paymentDueDate, '2026-04-17');
    const s1 = result.stations[0]!;
    t.same(
      s1.lines.map((line) => [line.businessType, line.commissionFen, line.remainderTenThousandthsFen]),
      [
        ['BILL_PAYMENT', 185, 1_750], // 12345 × 150 / 10000 = 185.175 → 185, 0.175 fen dropped
        ['MOBILE_TOPUP', 100, 0],
      ],
    );
    t.same(
      [s1.paidThrough, s1.grossFen, s1.taxFen, s1.taxRemainderTenThousandthsFen, s1.netFen],
      ['HQ', 285, 17, 1_000, 268],
    );
    const s2 = result.stations[1]!;
    t.same([s2.stationId, s2.grossFen, s2.taxFen, s2.netFen], ['S2', 10, 0, 10]);
    const branch = result.stations[2]!;
    t.same(
      [branch.stationId, branch.paidThrough, branch.grossFen, branch.taxFen],
      ['S1', 'BRANCH', 33_333, 1_999],
    );
    t.equal(result.netFen, result.grossFen - result.taxFen);

    const threshold = computeMonthlyCommission({
      month: '2026-01',
      revenue: [{ stationId: 'S1', businessType: 'BILL_PAYMENT', revenueFen: 10_000_000 }],
      ratiosBasisPoints: { BILL_PAYMENT: 100 },
      taxRule: { kind: 'rate-above-threshold', thresholdFen: 80_000, rateBasisPoints: 2_000 },
      calendar: realCalendar(),
    });
    // gross 100000 fen; taxed part 20000 × 20% = 4000. February 2026: 15th is 春节 → the 14th is a worked Saturday.
    t.same(
      threshold.ok && [threshold.grossFen, threshold.taxFen, threshold.listDueDate, threshold.paymentDueDate],
      [100_000, 4_000, '2026-02-14', '2026-02-14'],
    );
    const none = computeMonthlyCommission({
      month: '2026-05',
      revenue: [{ stationId: 'S1', businessType: 'MOBILE_TOPUP', revenueFen: 99 }],
      ratiosBasisPoints: { MOBILE_TOPUP: 100 },
      taxRule: { kind: 'none' },
      calendar: realCalendar(),
    });
    t.same(none.ok && none.stations[0]?.lines[0], {
      stationId: 'S1',
      businessType: 'MOBILE_TOPUP',
      revenueFen: 99,
      ratioBasisPoints: 100,
      commissionFen: 0,
      remainderTenThousandthsFen: 9_900,
    });
    const december = computeMonthlyCommission({
      month: '2026-12',
      revenue: [],
      ratiosBasisPoints: {},
      taxRule: { kind: 'none' },
      calendar: createWorkingCalendar([loadCalendarYear(2026)]),
    });
    t.same(december, {
      ok: false,
      code: 'LEDGER_CALENDAR_YEAR_MISSING',
      reasons: ['LEDGER_CALENDAR_YEAR_MISSING'],
    });
    t.throws(
      () =>
        computeMonthlyCommission({
          month: '2026-03',
          revenue: [{ stationId: 'S1', businessType: 'DISTRIBUTION', revenueFen: 1 }],
          ratiosBasisPoints: {},
          taxRule: { kind: 'none' },
          calendar: realCalendar(),
        }),
      LedgerAssertionError,
      'a business type without an agreed ratio is a configuration error',
    );
  },
);
