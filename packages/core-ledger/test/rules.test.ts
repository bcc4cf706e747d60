// Goal: every money rule of issue 2 §3 holds, one group per DOMAIN.md rule id. Method: table-driven
// cases — a ledger with three stations, a command, the expected result code(s) and balances.

import t from 'tap';
import {
  createLedger,
  LedgerAssertionError,
  type LedgerCommand,
  type LedgerResult,
  shanghaiInstantMs,
  standardFeeSchedule,
} from '../src/index.js';
import {
  accountSums,
  at,
  baseConfig,
  bill,
  DAY,
  hold,
  ledgerWithStations,
  post,
  reverse,
  topup,
  voidHold,
} from './helpers.js';

function codes(result: LedgerResult): readonly string[] {
  return result.ok ? [result.code] : result.reasons;
}

t.test(
  'R1 money is integer fen, checked at every entry point: a bad amount is a refusal (R21)',
  async (t) => {
    const cases: { name: string; command: LedgerCommand; code: string }[] = [
      { name: 'float amount', command: { ...bill('f1', 0), amountFen: 10.5 }, code: 'LEDGER_AMOUNT_INVALID' },
      {
        name: 'negative amount',
        command: { ...bill('f2', 0), amountFen: -1 },
        code: 'LEDGER_AMOUNT_INVALID',
      },
      { name: 'NaN fee', command: { ...bill('f3', 100), feeFen: Number.NaN }, code: 'LEDGER_FEE_INVALID' },
      {
        name: 'unsafe integer',
        command: { ...hold('f4', 0), amountFen: 2 ** 53 },
        code: 'LEDGER_AMOUNT_INVALID',
      },
      {
        name: 'float quota purchase',
        command: { type: 'quota-purchase', id: 'f5', atMs: at(9), stationId: 'S1', amountFen: 50_000.01 },
        code: 'LEDGER_AMOUNT_INVALID',
      },
      { name: 'amount above amountFenMax', command: topup('f6', 1e13), code: 'LEDGER_AMOUNT_INVALID' },
      { name: 'empty id', command: bill('', 100), code: 'LEDGER_ID_INVALID' },
      {
        name: 'fractional instant',
        command: { ...bill('x', 100), atMs: 1.5 },
        code: 'LEDGER_INSTANT_INVALID',
      },
    ];
    for (const { name, command, code } of cases) {
      const ledger = ledgerWithStations();
      const before = ledger.eventCount;
      const result = ledger.apply(command);
      t.equal(result.ok ? result.code : result.code, code, name);
      t.equal(ledger.eventCount, before, `${name}: nothing recorded`);
    }
    t.ok(LedgerAssertionError, 'assertions remain for programmer errors');
  },
);

t.test('R2 the quota never goes below zero; bill payment and top-up consume it atomically', async (t) => {
  const cases = [
    { name: 'bill within quota', command: bill('b', 60_000), code: 'LEDGER_OK', quotaLeft: 40_000 },
    { name: 'bill exactly the quota', command: bill('b', 100_000), code: 'LEDGER_OK', quotaLeft: 0 },
    {
      name: 'bill one fen over',
      command: bill('b', 100_001),
      code: 'LEDGER_QUOTA_INSUFFICIENT',
      quotaLeft: 100_000,
    },
    { name: 'top-up within quota', command: topup('t', 5_000), code: 'LEDGER_OK', quotaLeft: 95_000 },
    {
      name: 'top-up over quota',
      command: topup('t', 200_000),
      code: 'LEDGER_QUOTA_INSUFFICIENT',
      quotaLeft: 100_000,
    },
    { name: 'zero amount', command: bill('z', 0), code: 'LEDGER_AMOUNT_NOT_POSITIVE', quotaLeft: 100_000 },
  ];
  for (const { name, command, code, quotaLeft } of cases) {
    const ledger = ledgerWithStations(100_000);
    const eventsBefore = ledger.eventCount;
    const entriesBefore = ledger.entryCount;
    const result = ledger.apply(command);
    t.equal(result.code, code, name);
    t.equal(ledger.stationBalances('S1')?.quotaFenAvailable, quotaLeft, `${name}: quota left`);
    if (!result.ok) {
      t.equal(ledger.eventCount, eventsBefore, `${name}: nothing of it is recorded as done`);
      t.equal(ledger.entryCount, entriesBefore, `${name}: no entry`);
    }
  }
});

t.test('R3 quota purchases are at least 50000 fen each, any number of them', async (t) => {
  const cases = [
    { amountFen: 49_999, code: 'LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM' },
    { amountFen: 50_000, code: 'LEDGER_OK' },
    { amountFen: 1_234_567, code: 'LEDGER_OK' },
  ];
  for (const { amountFen, code } of cases) {
    const ledger = ledgerWithStations(0);
    const result = ledger.apply({
      type: 'quota-purchase',
      id: 'qp',
      atMs: at(9),
      stationId: 'S1',
      amountFen,
    });
    t.equal(result.code, code, `${amountFen} fen`);
  }
  const ledger = ledgerWithStations(0);
  for (let index = 0; index < 10; index++) {
    ledger.apply({
      type: 'quota-purchase',
      id: `qp-${index}`,
      atMs: at(9),
      stationId: 'S1',
      amountFen: 50_000,
    });
  }
  t.equal(ledger.stationBalances('S1')?.quotaFenAvailable, 500_000, 'ten purchases add up');
  const zero = ledger.apply({
    type: 'quota-purchase',
    id: 'qp-zero',
    atMs: at(9),
    stationId: 'S1',
    amountFen: 0,
  });
  t.same(
    codes(zero),
    ['LEDGER_AMOUNT_NOT_POSITIVE', 'LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM'],
    'zero: both reasons',
  );
});

t.test('R4 a station without org code and quota account cannot transact', async (t) => {
  const ledger = createLedger(baseConfig());
  ledger.apply({
    type: 'station-register',
    id: 'r',
    atMs: at(7),
    stationId: 'NEW',
    orgCode: null,
    quotaAccountNo: null,
  });
  const refused = ledger.apply(bill('b1', 100, 'NEW'));
  t.same(codes(refused), [
    'LEDGER_STATION_NO_ORG_CODE',
    'LEDGER_STATION_NO_QUOTA_ACCOUNT',
    'LEDGER_QUOTA_INSUFFICIENT',
  ]);
  t.same(codes(ledger.apply(hold('h1', 100, 'NEW'))), [
    'LEDGER_STATION_NO_ORG_CODE',
    'LEDGER_STATION_NO_QUOTA_ACCOUNT',
  ]);
  const purchase = ledger.apply({
    type: 'quota-purchase',
    id: 'qp',
    atMs: at(8),
    stationId: 'NEW',
    amountFen: 50_000,
  });
  t.same(codes(purchase), ['LEDGER_STATION_NO_ORG_CODE', 'LEDGER_STATION_NO_QUOTA_ACCOUNT']);
  t.same(codes(ledger.apply(bill('b2', 100, 'NOPE'))), ['LEDGER_STATION_UNKNOWN']);
  // HQ gives the org code, then the quota account: the station can transact.
  ledger.apply({
    type: 'station-register',
    id: 'r2',
    atMs: at(8),
    stationId: 'NEW',
    orgCode: 'ORG',
    quotaAccountNo: null,
  });
  t.same(codes(ledger.apply(hold('h2', 100, 'NEW'))), ['LEDGER_STATION_NO_QUOTA_ACCOUNT']);
  ledger.apply({
    type: 'station-register',
    id: 'r3',
    atMs: at(8),
    stationId: 'NEW',
    orgCode: 'ORG',
    quotaAccountNo: 'Q',
  });
  t.equal(ledger.apply(hold('h3', 100, 'NEW')).code, 'LEDGER_OK');
  // R15: the org code and the quota account stay.
  const change = ledger.apply({
    type: 'station-register',
    id: 'r4',
    atMs: at(9),
    stationId: 'NEW',
    orgCode: 'OTHER',
    quotaAccountNo: 'Q2',
  });
  t.same(codes(change), ['LEDGER_STATION_ORG_CODE_IMMUTABLE', 'LEDGER_STATION_QUOTA_ACCOUNT_IMMUTABLE']);
});

t.test(
  'R5 withdrawal: hold, then post or void; exactly one fee; customer pays and station receives amount + fee',
  async (t) => {
    const ledger = ledgerWithStations();
    t.equal(ledger.apply(hold('w1', 50_000)).code, 'LEDGER_OK');
    t.same(ledger.stationBalances('S1'), {
      settlementFen: 0,
      settlementPendingFen: 50_100,
      quotaFenAvailable: 100_000,
    });
    t.equal(ledger.holdState('w1'), 'pending');
    t.equal(ledger.apply(post('w1')).code, 'LEDGER_OK');
    t.equal(ledger.holdState('w1'), 'posted');
    t.same(ledger.stationBalances('S1'), {
      settlementFen: 50_100,
      settlementPendingFen: 0,
      quotaFenAvailable: 100_000,
    });
    const bank = ledger.accountBalances().find((account) => account.name === 'bank-clearing')!;
    t.equal(bank.debitsPostedFen, 50_100, 'customer side pays amount + fee');
    const feeEntries = [];
    for (let index = 0; index < ledger.entryCount; index++) {
      const entry = ledger.entry(index);
      if (entry.fee && entry.phase === 'posted') feeEntries.push(entry);
    }
    t.equal(feeEntries.length, 1, 'exactly one posted fee');
    t.equal(feeEntries[0]?.amountFen, 100, 'fee is 100 fen in the standard schedule');
    t.same(
      codes(ledger.apply({ ...post('w1'), id: 'w1-post-again' })),
      ['LEDGER_HOLD_NOT_PENDING'],
      'post once only',
    );
    t.same(codes(ledger.apply(voidHold('w1'))), ['LEDGER_HOLD_NOT_PENDING'], 'no void after post');

    t.equal(ledger.apply(hold('w2', 30_000)).code, 'LEDGER_OK');
    t.equal(ledger.apply(voidHold('w2')).code, 'LEDGER_OK');
    t.equal(ledger.holdState('w2'), 'voided');
    t.equal(ledger.stationBalances('S1')?.settlementPendingFen, 0, 'void releases the hold');
    t.same(codes(ledger.apply(post('w2'))), ['LEDGER_HOLD_NOT_PENDING']);
    t.same(codes(ledger.apply(post('nothing'))), ['LEDGER_HOLD_UNKNOWN']);
    t.same(codes(ledger.apply({ ...hold('w3', 0) })), ['LEDGER_AMOUNT_NOT_POSITIVE']);
    const sums = accountSums(ledger);
    t.equal(sums.debits, sums.credits, 'debits = credits');
  },
);

t.test('R5 hold expiry: an expired hold cannot post, only void', async (t) => {
  const ledger = ledgerWithStations();
  ledger.apply({ ...hold('w1', 10_000), expiresAtMs: at(10, 5) });
  t.same(codes(ledger.apply(post('w1', at(10, 5)))), ['LEDGER_HOLD_EXPIRED']);
  t.equal(ledger.apply(voidHold('w1', at(10, 6))).code, 'LEDGER_OK');
  const withDefault = ledgerWithStations(100_000, { holdExpiryMs: 60_000 });
  withDefault.apply(hold('w2', 10_000));
  t.same(codes(withDefault.apply(post('w2', at(10, 2)))), ['LEDGER_HOLD_EXPIRED'], 'config default expiry');
  withDefault.apply(hold('w3', 10_000));
  t.equal(withDefault.apply({ ...post('w3', at(10, 0) + 59_999) }).code, 'LEDGER_OK', 'posted just in time');
});

t.test('R5 per-transaction and daily limits per card and per station, configurable', async (t) => {
  const limits = {
    perTransactionFenMax: 100_000,
    perCardDailyFenMax: 150_000,
    perStationDailyFenMax: 250_000,
  };
  const ledger = ledgerWithStations(100_000, { withdrawalLimits: limits });
  t.same(codes(ledger.apply(hold('over', 100_001))), ['LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT']);
  t.equal(ledger.apply(hold('a1', 100_000)).code, 'LEDGER_OK');
  t.same(codes(ledger.apply(hold('a2', 50_001))), ['LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT']);
  t.equal(ledger.apply(hold('a3', 50_000)).code, 'LEDGER_OK', 'card exactly at its daily limit');
  t.equal(ledger.apply(hold('b1', 100_000, 'S1', 'card-B')).code, 'LEDGER_OK');
  t.same(codes(ledger.apply(hold('c1', 100_000, 'S1', 'card-C'))), [
    'LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT',
  ]);
  t.equal(ledger.apply(voidHold('b1')).code, 'LEDGER_OK', 'a void gives the daily room back');
  t.equal(ledger.apply(hold('c2', 100_000, 'S1', 'card-C')).code, 'LEDGER_OK');
  const nextDay = ledger.apply(hold('a4', 100_000, 'S1', 'card-A', at(10, 0, '2026-03-03')));
  t.equal(nextDay.code, 'LEDGER_OK', 'a new business day starts a new daily total');
  t.same(
    codes(ledger.apply(hold('all', 200_000, 'S1', 'card-C'))),
    [
      'LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT',
      'LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT',
      'LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT',
    ],
    'every limit reason at once',
  );
  // Per station: S2 registered with its own, lower limits.
  ledger.apply({
    type: 'station-register',
    id: 'reg-S2-limits',
    atMs: at(11),
    stationId: 'S2',
    orgCode: 'ORG-S2',
    quotaAccountNo: 'Q-S2',
    withdrawalLimits: {
      perTransactionFenMax: 1_000,
      perCardDailyFenMax: 1_000,
      perStationDailyFenMax: 1_000,
    },
  });
  t.same(codes(ledger.apply(hold('s2', 1_001, 'S2', 'card-Z', at(12)))), [
    'LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT',
    'LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT',
    'LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT',
  ]);
});

t.test('R5 reversal (冲正) of a timed-out or unknown withdrawal; reversing twice is a no-op', async (t) => {
  const cases = [
    { name: 'pending hold', setup: ['hold'] },
    { name: 'unknown here (authorisation never arrived)', setup: [] },
    { name: 'hold refused here (the bank may still hold the money)', setup: ['refused-hold'] },
  ];
  for (const { name, setup } of cases) {
    const ledger = ledgerWithStations();
    if (setup.includes('hold')) ledger.apply(hold('w1', 10_000));
    if (setup.includes('refused-hold')) ledger.apply(hold('w1', 10_000, 'S1', 'card-A', at(6)));
    const first = ledger.apply(reverse('w1'));
    t.equal(first.code, 'LEDGER_OK', `${name}: reversed`);
    t.equal(ledger.holdState('w1'), 'reversed', `${name}: state`);
    t.same(
      ledger.stationBalances('S1'),
      { settlementFen: 0, settlementPendingFen: 0, quotaFenAvailable: 100_000 },
      name,
    );
    t.same(
      ledger.dayTotals('S1', DAY).REVERSAL,
      { count: 1, amountFen: 0, feeFen: 0, quotaConsumedFen: 0 },
      `${name}: reversal totals`,
    );
    const eventsBefore = ledger.eventCount;
    const entriesBefore = ledger.entryCount;
    const second = ledger.apply(reverse('w1', 'w1-rev-2'));
    t.equal(second.code, 'LEDGER_REVERSAL_ALREADY_DONE', `${name}: second reversal is a no-op`);
    t.equal(ledger.entryCount, entriesBefore, `${name}: no new entries`);
    t.equal(ledger.eventCount, eventsBefore + 1, `${name}: the no-op is remembered under its id`);
    const latePost = { ...post('w1', at(10, 6)), id: 'w1-late-post' };
    t.same(codes(ledger.apply(latePost)), ['LEDGER_WITHDRAWAL_REVERSED'], `${name}: cannot post`);
    const sums = accountSums(ledger);
    t.equal(sums.debits, sums.credits, `${name}: debits = credits`);
  }
  const ledger = ledgerWithStations();
  ledger.apply(reverse('late'));
  t.same(
    codes(ledger.apply(hold('late', 10_000))),
    ['LEDGER_WITHDRAWAL_REVERSED'],
    'a late hold after a reversal',
  );
  t.same(codes(ledger.apply(voidHold('late'))), ['LEDGER_WITHDRAWAL_REVERSED']);
  ledger.apply(hold('w9', 10_000));
  t.same(codes(ledger.apply(reverse('w9', 'w9-rev', 'S2'))), ['LEDGER_HOLD_STATION_MISMATCH']);
  t.same(codes(ledger.apply(reverse('w9', 'w9-rev-x', 'NOPE'))), ['LEDGER_STATION_UNKNOWN']);
});

t.test(
  'R5 reversal applies only to what can be reversed: anything else is refused and changes nothing',
  async (t) => {
    const cases = [
      {
        name: 'posted withdrawal',
        setup: ['hold', 'post'],
        target: 'w1',
        code: 'LEDGER_REVERSAL_HOLD_POSTED',
      },
      { name: 'voided hold', setup: ['hold', 'void'], target: 'w1', code: 'LEDGER_REVERSAL_HOLD_VOIDED' },
      { name: 'a bill payment id', setup: ['bill'], target: 'b1', code: 'LEDGER_REVERSAL_NOT_A_WITHDRAWAL' },
      {
        name: 'a post event id',
        setup: ['hold', 'post'],
        target: 'w1-post',
        code: 'LEDGER_REVERSAL_NOT_A_WITHDRAWAL',
      },
      {
        name: 'a refused bill payment id',
        setup: ['refused-bill'],
        target: 'b1',
        code: 'LEDGER_REVERSAL_NOT_A_WITHDRAWAL',
      },
      { name: 'a quota purchase id', setup: [], target: 'qp-S1', code: 'LEDGER_REVERSAL_NOT_A_WITHDRAWAL' },
    ];
    for (const { name, setup, target, code } of cases) {
      const ledger = ledgerWithStations();
      if (setup.includes('hold')) ledger.apply(hold('w1', 10_000));
      if (setup.includes('post')) ledger.apply(post('w1'));
      if (setup.includes('void')) ledger.apply(voidHold('w1'));
      if (setup.includes('bill')) ledger.apply(bill('b1', 1_000));
      if (setup.includes('refused-bill')) ledger.apply(bill('b1', 1_000_000));
      const balances = ledger.stationBalances('S1');
      const totals = ledger.dayTotals('S1', DAY);
      const holdStateBefore = ledger.holdState(target);
      const events = ledger.eventCount;
      const entries = ledger.entryCount;
      t.same(codes(ledger.apply(reverse(target, 'rev-1'))), [code], name);
      t.same(ledger.stationBalances('S1'), balances, `${name}: balances unchanged`);
      t.same(ledger.dayTotals('S1', DAY), totals, `${name}: totals unchanged`);
      t.equal(ledger.holdState(target), holdStateBefore, `${name}: hold state unchanged`);
      t.equal(ledger.eventCount, events, `${name}: no event`);
      t.equal(ledger.entryCount, entries, `${name}: no entry`);
      // Every reason at once (R21): another station's posted hold names both.
      if (code === 'LEDGER_REVERSAL_HOLD_POSTED') {
        t.same(codes(ledger.apply(reverse(target, 'rev-2', 'S2'))), [
          'LEDGER_HOLD_STATION_MISMATCH',
          'LEDGER_REVERSAL_HOLD_POSTED',
        ]);
      }
    }
  },
);

t.test(
  'Idempotency: same id + same content → first result; same id + other content → LEDGER_ID_CONFLICT',
  async (t) => {
    const commands: LedgerCommand[] = [
      bill('b1', 1_000),
      topup('t1', 2_000),
      hold('w1', 3_000),
      post('w1'),
      bill('big', 10_000_000),
    ];
    const ledger = ledgerWithStations();
    const first = commands.map((command) => ledger.apply(command));
    const entries = ledger.entryCount;
    const again = commands.map((command) => ledger.apply({ ...command }));
    t.same(again, first, 'replay returns the first results, accepted and refused');
    t.equal(ledger.entryCount, entries, 'replay changes nothing');
    const conflicts: LedgerCommand[] = [
      { ...bill('b1', 1_001) },
      { ...topup('t1', 2_000), phoneNumber: '13900000000' },
      { ...hold('w1', 3_000), cardToken: 'card-other' },
      { ...post('w1'), holdId: 'w2' },
      { ...bill('big', 10_000_001) },
      { ...topup('b1', 1_000) },
    ];
    for (const command of conflicts) t.same(codes(ledger.apply(command)), ['LEDGER_ID_CONFLICT'], command.id);
    t.same(ledger.lookup('b1'), first[0]);
    t.equal(ledger.lookup('never'), undefined);
  },
);

t.test(
  'R6 fee schedules: versioned, effective-dated, 5 working days notice, nothing beyond the schedule',
  async (t) => {
    const ledger = ledgerWithStations();
    const announceAt = shanghaiInstantMs('2026-03-02', 9); // Monday
    // 5 working days after Monday 2026-03-02: Tue..Fri (4) + Mon 2026-03-09 (5th).
    const early = ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-early',
      atMs: announceAt,
      schedule: { ...standardFeeSchedule('2026-03-08', 2), withdrawalFeeFen: 200 },
    });
    t.same(codes(early), ['LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT']);
    const onTime = ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-2',
      atMs: announceAt,
      schedule: { ...standardFeeSchedule('2026-03-09', 2), withdrawalFeeFen: 200 },
    });
    t.equal(onTime.code, 'LEDGER_OK');
    const stale = ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-old',
      atMs: announceAt,
      schedule: standardFeeSchedule('2026-04-01', 2),
    });
    t.same(codes(stale), ['LEDGER_FEE_SCHEDULE_VERSION_NOT_NEWER']);
    t.equal(ledger.feeScheduleInForce('2026-03-08')?.version, 1);
    t.equal(ledger.feeScheduleInForce('2026-03-09')?.version, 2);
    const before = hold('w-before', 10_000, 'S1', 'card-A', at(10, 0, '2026-03-06'));
    t.equal(ledger.apply(before).code, 'LEDGER_OK', '100 fen before the change');
    const after = hold('w-after', 10_000, 'S1', 'card-A', at(10, 0, '2026-03-09'));
    t.same(codes(ledger.apply(after)), ['LEDGER_FEE_BELOW_SCHEDULE'], '100 fen is no longer the schedule');
    t.equal(ledger.apply({ ...after, id: 'w-after-200', feeFen: 200 }).code, 'LEDGER_OK');
    t.same(codes(ledger.apply({ ...after, id: 'w-after-300', feeFen: 300 })), ['LEDGER_FEE_ABOVE_SCHEDULE']);
    t.same(
      codes(ledger.apply({ ...bill('b-fee', 1_000), feeFen: 1 })),
      ['LEDGER_FEE_ABOVE_SCHEDULE'],
      'bill fee beyond schedule',
    );
    // Spring festival 2026: holidays 02-15..02-23, 02-14 and 02-28 worked (调休).
    const festival = ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-3',
      atMs: shanghaiInstantMs('2026-02-13', 9),
      schedule: standardFeeSchedule('2026-02-25', 3),
    });
    t.same(
      codes(festival),
      ['LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT'],
      '02-14, 02-24, 02-25 are only 3 working days',
    );
    const missingYear = ledger.apply({
      type: 'fee-schedule-announce',
      id: 'fs-2027',
      atMs: shanghaiInstantMs('2026-12-28', 9),
      schedule: standardFeeSchedule('2027-01-10', 4),
    });
    t.same(codes(missingYear), ['LEDGER_CALENDAR_YEAR_MISSING'], 'no 2027 calendar: refused, not guessed');
    const noSchedule = createLedger(baseConfig({ feeSchedules: [standardFeeSchedule('2030-01-01')] }));
    noSchedule.apply({
      type: 'station-register',
      id: 'r',
      atMs: at(7),
      stationId: 'S',
      orgCode: 'O',
      quotaAccountNo: 'Q',
    });
    t.same(codes(noSchedule.apply(hold('w', 100, 'S'))), ['LEDGER_FEE_SCHEDULE_NONE_IN_FORCE']);
  },
);

t.test('R20 service hours and maintenance window at an instant (Asia/Shanghai)', async (t) => {
  const cases = [
    { hour: 7, minute: 59, code: 'LEDGER_OUTSIDE_SERVICE_HOURS' },
    { hour: 8, minute: 0, code: 'LEDGER_OK' },
    { hour: 13, minute: 59, code: 'LEDGER_OK' },
    { hour: 14, minute: 0, code: 'LEDGER_IN_MAINTENANCE_WINDOW' },
    { hour: 15, minute: 59, code: 'LEDGER_IN_MAINTENANCE_WINDOW' },
    { hour: 16, minute: 0, code: 'LEDGER_OK' },
    { hour: 19, minute: 59, code: 'LEDGER_OK' },
    { hour: 20, minute: 0, code: 'LEDGER_OUTSIDE_SERVICE_HOURS' },
  ];
  for (const { hour, minute, code } of cases) {
    const ledger = ledgerWithStations();
    t.equal(ledger.apply(bill('b', 100, 'S1', at(hour, minute))).code, code, `${hour}:${minute}`);
  }
});

t.test('R21 several failures: every reason at once, in the fixed precedence order', async (t) => {
  const ledger = ledgerWithStations(50_000);
  ledger.apply({ type: 'daily-close', id: 'close', atMs: at(21), stationId: 'S1', businessDate: DAY });
  const result = ledger.apply({ ...bill('b', 60_000, 'S1', at(14, 30)), feeFen: 7 });
  t.same(codes(result), [
    'LEDGER_IN_MAINTENANCE_WINDOW',
    'LEDGER_DAY_CLOSED',
    'LEDGER_FEE_ABOVE_SCHEDULE',
    'LEDGER_QUOTA_INSUFFICIENT',
  ]);
  t.equal(result.code, 'LEDGER_IN_MAINTENANCE_WINDOW', 'code = first reason');
});

t.test('R7 a closed day refuses new business; completions land on the next business day', async (t) => {
  const ledger = ledgerWithStations();
  ledger.apply(hold('w1', 10_000));
  t.equal(
    ledger.apply({ type: 'daily-close', id: 'c1', atMs: at(21), stationId: 'S1', businessDate: DAY }).code,
    'LEDGER_OK',
  );
  t.same(codes(ledger.apply(bill('late', 100, 'S1', at(19)))), ['LEDGER_DAY_CLOSED']);
  t.equal(ledger.apply(post('w1', at(21, 5))).code, 'LEDGER_OK', 'the post after close is accepted');
  t.equal(
    ledger.dayTotals('S1', '2026-03-03').CASH_WITHDRAWAL.count,
    1,
    'and counted on the next business day',
  );
  t.equal(ledger.closes('S1')[0]?.holdsPendingCount, 1, 'the close reported the pending hold');
  t.same(
    codes(
      ledger.apply({
        type: 'daily-close',
        id: 'c0',
        atMs: at(21),
        stationId: 'S1',
        businessDate: '2026-03-01',
      }),
    ),
    ['LEDGER_CLOSE_OUT_OF_ORDER'],
  );
  t.same(
    codes(
      ledger.apply({
        type: 'daily-close',
        id: 'c9',
        atMs: at(21),
        stationId: 'S1',
        businessDate: '2026-03-04',
      }),
    ),
    ['LEDGER_CLOSE_DATE_IN_FUTURE', 'LEDGER_CLOSE_EARLIER_DAY_UNCLOSED'],
    'day 03-03 holds the late post: it must be closed first (R7)',
  );
  t.same(
    codes(
      ledger.apply({ type: 'daily-close', id: 'cx', atMs: at(21), stationId: 'NOPE', businessDate: DAY }),
    ),
    ['LEDGER_STATION_UNKNOWN'],
  );
});

t.test('createLedger asserts its configuration', async (t) => {
  // An empty schedule list is allowed (the first fee-schedules-merge gives it); duplicates are not.
  t.throws(
    () =>
      createLedger(
        baseConfig({ feeSchedules: [standardFeeSchedule('2025-01-01'), standardFeeSchedule('2026-01-01')] }),
      ),
    LedgerAssertionError,
  );
  t.throws(() => createLedger(baseConfig({ holdExpiryMs: 0 })), LedgerAssertionError);
  t.throws(
    () =>
      createLedger(
        baseConfig({
          withdrawalLimits: { perTransactionFenMax: 1.5, perCardDailyFenMax: 1, perStationDailyFenMax: 1 },
        }),
      ),
    LedgerAssertionError,
  );
});

t.test('R5 daily limits count each business day separately, even when days interleave', async (t) => {
  const limits = {
    perTransactionFenMax: 100_000,
    perCardDailyFenMax: 100_000,
    perStationDailyFenMax: 1_000_000,
  };
  const ledger = ledgerWithStations(100_000, { withdrawalLimits: limits });
  const tuesday = at(10, 0, '2026-03-03');
  t.equal(ledger.apply(hold('tue', 100_000, 'S1', 'card-A', tuesday)).code, 'LEDGER_OK');
  t.equal(
    ledger.apply(hold('mon', 100_000, 'S1', 'card-A', at(10))).code,
    'LEDGER_OK',
    'Monday still has room',
  );
  t.same(codes(ledger.apply(hold('mon2', 1, 'S1', 'card-A', at(11)))), [
    'LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT',
  ]);
  t.same(codes(ledger.apply(hold('tue2', 1, 'S1', 'card-A', tuesday))), [
    'LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT',
  ]);
  t.equal(ledger.apply(voidHold('mon', at(12))).code, 'LEDGER_OK');
  t.equal(
    ledger.apply(hold('mon3', 100_000, 'S1', 'card-A', at(12, 5))).code,
    'LEDGER_OK',
    'the void freed Monday',
  );
});

t.test('read side: events, entries, lookups, schedules', async (t) => {
  const ledger = ledgerWithStations();
  const accepted = ledger.apply(bill('b1', 1_234));
  const refused = ledger.apply(bill('b2', 0));
  t.same(ledger.lookup('b2'), refused, 'a refusal is remembered');
  t.ok(accepted.ok);
  if (!accepted.ok) return;
  t.match(ledger.event(accepted.eventIndex), {
    id: 'b1',
    type: 'bill-payment',
    stationId: 'S1',
    amountFen: 1_234,
    feeFen: 0,
    businessDate: DAY,
    code: 'LEDGER_OK',
  });
  const entry = ledger.entry(ledger.entryCount - 1);
  t.same(entry, {
    index: ledger.entryCount - 1,
    eventIndex: accepted.eventIndex,
    debitAccount: 'station:S1:quota',
    creditAccount: 'biller-clearing',
    amountFen: 1_234,
    phase: 'posted',
    fee: false,
    reversal: false,
  });
  t.throws(() => ledger.event(ledger.eventCount), LedgerAssertionError);
  t.throws(() => ledger.entry(-1), LedgerAssertionError);
  t.same(ledger.stationIds(), ['S1', 'S2', 'S3']);
  t.equal(ledger.stationBalances('NOPE'), undefined);
  t.equal(ledger.holdState('b1'), undefined, 'a bill is not a hold');
  t.same(ledger.closes('NOPE'), []);
  t.equal(ledger.feeSchedules().length, 1);
  t.same(ledger.reconciliationItems({ stationId: 'NOPE' }), []);
  t.equal(ledger.dayTotals('NOPE', DAY).BILL_PAYMENT.count, 0);
});
