// Goal: every code in the registry is triggered by a test (STYLE.md). Method: one small scenario
// per code, collecting every code the scenario produced; the union must equal the registry.

import t from 'tap';
import {
  checkFeeScheduleSet,
  computeMonthlyCommission,
  createLedger,
  createWorkingCalendar,
  LEDGER_CODE_LIST,
  type LedgerCode,
  type LedgerResult,
  parseCalendarYear,
  parseServiceHours,
  reconcileItems,
  reconcileTotals,
  standardFeeSchedule,
  verifyCloseChain,
} from '../src/index.js';
import { at, baseConfig, bill, DAY, hold, ledgerWithStations, post, reverse, voidHold } from './helpers.js';

const seen = new Set<LedgerCode>();
const note = (result: LedgerResult): void => {
  if (result.ok) seen.add(result.code);
  else for (const reason of result.reasons) seen.add(reason);
};

t.test('every registry code is produced by some scenario', async (t) => {
  const ledger = ledgerWithStations(100_000, { holdExpiryMs: 60_000 });
  note(ledger.apply(bill('b1', 100)));
  note(ledger.apply(bill('b1', 101)));
  note(ledger.apply(bill('b2', 100, 'NOPE')));
  const bare = createLedger(baseConfig({ feeSchedules: [standardFeeSchedule('2030-01-01')] }));
  bare.apply({
    type: 'station-register',
    id: 'r',
    atMs: at(7),
    stationId: 'X',
    orgCode: null,
    quotaAccountNo: null,
  });
  note(bare.apply(hold('h', 100, 'X')));
  bare.apply({
    type: 'station-register',
    id: 'r2',
    atMs: at(7),
    stationId: 'Y',
    orgCode: 'A',
    quotaAccountNo: 'B',
  });
  note(
    bare.apply({
      type: 'station-register',
      id: 'r3',
      atMs: at(7),
      stationId: 'Y',
      orgCode: 'C',
      quotaAccountNo: 'D',
    }),
  );
  note(
    ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs',
      atMs: at(9, 0, '2026-12-30'),
      schedule: standardFeeSchedule('2027-01-04', 2),
    }),
  );
  note(
    ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs2',
      atMs: at(9),
      schedule: standardFeeSchedule('2026-03-03', 1),
    }),
  );
  note(ledger.apply(bill('b3', 100, 'S1', at(6))));
  note(ledger.apply(bill('b4', 100, 'S1', at(15))));
  note(ledger.apply(bill('b5', 0)));
  note(ledger.apply({ type: 'quota-purchase', id: 'qp', atMs: at(9), stationId: 'S1', amountFen: 49_999 }));
  note(ledger.apply({ ...bill('b6', 100), feeFen: 1 }));
  note(ledger.apply({ ...hold('h1', 100), feeFen: 99 }));
  note(ledger.apply(hold('h2', 10_000_000)));
  note(ledger.apply(bill('b7', 10_000_000)));
  note(ledger.apply(post('missing')));
  ledger.apply(hold('h3', 100));
  note(ledger.apply(reverse('h3', 'h3-rev-S2', 'S2')));
  note(ledger.apply(reverse('h3')));
  note(ledger.apply(reverse('h3', 'h3-rev-2')));
  note(ledger.apply(reverse('b1', 'rev-bill')));
  ledger.apply(hold('h6', 100, 'S2', 'card-Z'));
  ledger.apply(post('h6', at(10)));
  note(ledger.apply(reverse('h6', 'h6-rev', 'S2')));
  ledger.apply(hold('h7', 100));
  ledger.apply(voidHold('h7'));
  note(ledger.apply(reverse('h7')));
  note(ledger.apply(post('h3')));
  ledger.apply(hold('h4', 100));
  ledger.apply(voidHold('h4'));
  note(ledger.apply(post('h4')));
  ledger.apply(hold('h5', 100));
  note(ledger.apply(post('h5', at(10, 5))));
  note(
    bare.apply({
      type: 'daily-close',
      id: 'c-future',
      atMs: at(9),
      stationId: 'Y',
      businessDate: '2026-03-03',
    }),
  );
  note(ledger.apply({ type: 'daily-close', id: 'c1', atMs: at(21), stationId: 'S1', businessDate: DAY }));
  note(ledger.apply({ type: 'daily-close', id: 'c2', atMs: at(21), stationId: 'S1', businessDate: DAY }));
  note(ledger.apply(bill('b8', 100, 'S1', at(19))));

  const closes = ledger.closes('S1');
  for (const problem of verifyCloseChain([{ ...closes[0]!, sequence: 9 }])) seen.add(problem.code);
  for (const problem of verifyCloseChain([{ ...closes[0]!, previousHash: 'a'.repeat(64) }]))
    seen.add(problem.code);
  const items = ledger.reconciliationItems();
  const right = [{ ...items[0]!, amountFen: 1 }, items[2]!, items[2]!, { ...items[0]!, id: 'x' }];
  for (const difference of reconcileItems(items, right)) seen.add(difference.code);
  const totals = ledger.dayTotals('S1', DAY);
  for (const difference of reconcileTotals(totals, {
    ...totals,
    REVERSAL: { ...totals.REVERSAL, count: 9 },
  })) {
    seen.add(difference.code);
  }
  const calendar = parseCalendarYear({ year: 2026 });
  if (!calendar.ok) for (const problem of calendar.problems) seen.add(problem.code);
  const hours = parseServiceHours({ opens: 'x' });
  if (!hours.ok) for (const problem of hours.problems) seen.add(problem.code);
  const commission = computeMonthlyCommission({
    month: '2030-01',
    revenue: [],
    ratiosBasisPoints: {},
    taxRule: { kind: 'none' },
    calendar: createWorkingCalendar([]),
  });
  if (!commission.ok) seen.add(commission.code);
  const skipping = ledgerWithStations();
  skipping.apply(bill('sk-b', 100));
  note(
    skipping.apply({
      type: 'daily-close',
      id: 'sk-c',
      atMs: at(21, 0, '2026-03-03'),
      stationId: 'S1',
      businessDate: '2026-03-03',
    }),
  );
  note(
    ledger.apply({
      type: 'fee-schedules-merge',
      id: 'merge-conflict',
      atMs: at(9),
      schedules: [{ ...standardFeeSchedule('2025-01-01'), withdrawalFeeFen: 5 }],
    }),
  );
  const tooMany = Array.from({ length: 1_001 }, (_, i) => standardFeeSchedule('2027-01-04', i + 2));
  for (const code of checkFeeScheduleSet(ledger.feeSchedules(), tooMany, {
    calendar: createWorkingCalendar([]),
    receivedAtMs: at(9),
  }).reasons)
    seen.add(code);
  const full = ledgerWithStations(0);
  for (let i = 0; i <= 9_007; i++) {
    note(
      full.apply({ type: 'quota-purchase', id: `full-${i}`, atMs: at(8), stationId: 'S1', amountFen: 1e12 }),
    );
  }
  // R21 input codes: bad values from outside are refusals, never assertion crashes.
  note(ledger.apply(bill('bad', 1.5)));
  note(ledger.apply({ ...bill('bad-fee', 100), feeFen: -1 }));
  note(ledger.apply(bill('', 100)));
  note(ledger.apply({ ...bill('bad-at', 100), atMs: Number.NaN }));
  note(ledger.apply({ ...bill('bad-ref', 100), billerCode: '' }));
  note(
    ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-bad',
      atMs: at(9),
      schedule: { ...standardFeeSchedule('2026-04-01', 7), withdrawalFeeFen: 0.5 },
    }),
  );
  try {
    ledger.event(-1); // a programmer error: an index out of range
  } catch (error) {
    seen.add((error as { code: LedgerCode }).code);
  }

  const missing = LEDGER_CODE_LIST.filter((code) => !seen.has(code));
  t.same(missing, [], 'no code left untriggered');
  t.same(
    [...seen].filter((code) => !LEDGER_CODE_LIST.includes(code)),
    [],
    'no code outside the registry',
  );
});
