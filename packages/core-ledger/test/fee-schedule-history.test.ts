// Goal: fee schedules are versioned history (R6). A ledger is given a new full set of schedules by
// merging it (`fee-schedules-merge`), never by a rebuild: known versions are never dropped, a known
// version with other content is a conflict, new versions pass the R6 notice check
// (checkFeeScheduleSet, the one function the kiosk and HQ both call), and past events, balances,
// refused replays and sealed closes stay exactly as they were. Method: table-driven cases, then a
// fast-check property over random interleavings of business and configs that snapshots the whole
// ledger before each merge and compares it after. The seed is printed: rerun with
// LEDGER_PROPERTY_SEED=<seed> to replay a failure.

import fc from 'fast-check';
import t from 'tap';
import {
  checkFeeScheduleSet,
  createLedger,
  createWorkingCalendar,
  dateFromDayNumber,
  type FeeSchedule,
  type Ledger,
  type LedgerCommand,
  type LedgerResult,
  shanghaiDayNumber,
  shanghaiInstantMs,
  standardFeeSchedule,
} from '../src/index.js';
import { at, baseConfig, bill, hold, ledgerWithStations, post, realCalendar } from './helpers.js';

const seed = Number(process.env.LEDGER_PROPERTY_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 100);
t.comment(`fast-check seed ${seed} (replay: LEDGER_PROPERTY_SEED=${seed})`);

const V1 = standardFeeSchedule('2025-01-01');
const merge = (id: string, schedules: readonly FeeSchedule[], atMs = at(9)): LedgerCommand => ({
  type: 'fee-schedules-merge',
  id,
  atMs,
  schedules,
});
const reasons = (result: LedgerResult): readonly string[] => (result.ok ? [result.code] : result.reasons);
// 2026-03-02 (Monday) + 5 working days = 2026-03-09.
const v2 = (effectiveDate = '2026-03-09', withdrawalFeeFen = 200): FeeSchedule => ({
  ...standardFeeSchedule(effectiveDate, 2),
  withdrawalFeeFen,
});

/** Everything a caller can read, as plain data: the ledger's observable state. */
function snapshot(ledger: Ledger, ids: readonly string[], dates: readonly string[]): string {
  const events = Array.from({ length: ledger.eventCount }, (_, i) => ledger.event(i));
  const entries = Array.from({ length: ledger.entryCount }, (_, i) => ledger.entry(i));
  const stations = ledger.stationIds().map((id) => ({
    id,
    balances: ledger.stationBalances(id),
    closes: ledger.closes(id),
    days: dates.map((date) => ledger.dayTotals(id, date)),
  }));
  return JSON.stringify({
    events,
    entries,
    accounts: ledger.accountBalances(),
    stations,
    results: ids.map((id) => ledger.lookup(id)),
    items: ledger.reconciliationItems(),
  });
}

t.test('merging a new full set keeps the past: refused replays, quota, closes, balances', async (t) => {
  const ledger = ledgerWithStations(100_000);
  t.ok(ledger.apply(bill('b1', 60_000)).ok);
  t.same(reasons(ledger.apply(bill('b2', 60_000))), ['LEDGER_QUOTA_INSUFFICIENT'], 'refused: quota');
  t.ok(ledger.apply(hold('w1', 10_000)).ok);
  t.ok(ledger.apply(post('w1')).ok);
  const closed = ledger.apply({
    type: 'daily-close',
    id: 'c1',
    atMs: at(21),
    stationId: 'S1',
    businessDate: '2026-03-02',
  });
  t.ok(closed.ok);
  const ids = ['b1', 'b2', 'w1', 'w1-post', 'c1'];
  const before = snapshot(ledger, ids, ['2026-03-02']);
  const events = ledger.eventCount;
  const result = ledger.apply(merge('cfg-2', [V1, v2()], at(9, 0, '2026-03-02')));
  t.same(reasons(result), ['LEDGER_OK'], 'v2 announced with 5 working days of notice');
  t.equal(ledger.eventCount, events + 1, 'one event: the merge');
  const after = JSON.parse(snapshot(ledger, ids, ['2026-03-02']));
  const beforeValue = JSON.parse(before);
  after.events.pop();
  t.same(after, beforeValue, 'nothing of the past changed');
  t.same(ledger.apply(bill('b2', 60_000)), ledger.lookup('b2'), 'the refused replay is still refused');
  t.equal(ledger.feeSchedules().length, 2);
  t.equal(ledger.feeScheduleInForce('2026-03-06')?.version, 1, 'before the effective date: v1');
  t.equal(ledger.feeScheduleInForce('2026-03-09')?.version, 2, 'from the effective date: v2');
  // Business is not refused until the new effective date: v1 rules the days before it.
  t.ok(ledger.apply(hold('w2', 1_000, 'S2', 'card-B', at(10, 0, '2026-03-03'))).ok, 'v1 fee on 03-03');
  t.same(
    reasons(ledger.apply(hold('w3', 1_000, 'S2', 'card-C', at(10, 0, '2026-03-09')))),
    ['LEDGER_FEE_BELOW_SCHEDULE'],
    'v1 fee on 03-09 is below v2',
  );
  t.ok(ledger.apply({ ...hold('w4', 1_000, 'S2', 'card-D', at(10, 0, '2026-03-09')), feeFen: 200 }).ok);
});

t.test('merge rules: known versions kept, conflicts, notice, calendar, order (R6)', async (t) => {
  const cases: {
    name: string;
    sets: FeeSchedule[][];
    atMs?: number;
    expect: string[];
    versions: number[];
  }[] = [
    { name: 'the same set again', sets: [[V1]], expect: ['LEDGER_OK'], versions: [1] },
    { name: 'a set without v1 keeps v1', sets: [[v2()]], expect: ['LEDGER_OK'], versions: [1, 2] },
    {
      name: 'v1 with another fee',
      sets: [[{ ...V1, withdrawalFeeFen: 150 }]],
      expect: ['LEDGER_FEE_SCHEDULE_VERSION_CONFLICT'],
      versions: [1],
    },
    {
      name: 'a new version given twice with different content',
      sets: [[v2(), v2('2026-03-09', 300)]],
      expect: ['LEDGER_FEE_SCHEDULE_VERSION_CONFLICT'],
      versions: [1],
    },
    {
      name: 'v2 with 4 working days of notice',
      sets: [[V1, v2('2026-03-06')]],
      expect: ['LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT'],
      versions: [1],
    },
    {
      name: 'v2 announced earlier (signed announcement instant) has its notice',
      sets: [[V1, { ...v2('2026-03-06'), announcedAtMs: shanghaiInstantMs('2026-02-26', 9) }]],
      expect: ['LEDGER_OK'],
      versions: [1, 2],
    },
    {
      name: 'v2 in a year without a calendar',
      sets: [[V1, v2('2031-01-10')]],
      atMs: shanghaiInstantMs('2030-12-30', 9),
      expect: ['LEDGER_CALENDAR_YEAR_MISSING'],
      versions: [1],
    },
    {
      name: 'v3 then v2: a new version must be newer than every known one',
      sets: [
        [V1, { ...v2('2026-04-01'), version: 3 }],
        [V1, v2('2026-04-01')],
      ],
      expect: ['LEDGER_FEE_SCHEDULE_VERSION_NOT_NEWER'],
      versions: [1, 3],
    },
    {
      name: 'every reason at once',
      sets: [[{ ...V1, billPaymentFeeFen: 1 }, v2('2026-03-03'), { ...V1, version: 4, effectiveDate: 'x' }]],
      expect: [
        'LEDGER_FEE_SCHEDULE_INVALID',
        'LEDGER_FEE_SCHEDULE_VERSION_CONFLICT',
        'LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT',
      ],
      versions: [1],
    },
  ];
  for (const { name, sets, atMs, expect, versions } of cases) {
    const ledger = ledgerWithStations();
    let last: LedgerResult | undefined;
    sets.forEach((set, i) => {
      last = ledger.apply(merge(`m${i}`, set, atMs ?? at(9)));
    });
    t.same(reasons(last!), expect, name);
    t.same(
      ledger.feeSchedules().map((s) => s.version),
      versions,
      `${name}: versions known`,
    );
  }
});

t.test('an empty history: the first set is the schedule given before business starts', async (t) => {
  const ledger = createLedger(baseConfig({ feeSchedules: [] }));
  ledger.apply({
    type: 'station-register',
    id: 'r',
    atMs: at(7),
    stationId: 'S1',
    orgCode: 'O',
    quotaAccountNo: 'Q',
  });
  t.same(reasons(ledger.apply(hold('w0', 1_000))), ['LEDGER_FEE_SCHEDULE_NONE_IN_FORCE'], 'no schedule yet');
  t.same(
    reasons(ledger.apply(merge('first', [standardFeeSchedule('2026-03-01')]))),
    ['LEDGER_OK'],
    'no notice',
  );
  t.ok(ledger.apply(hold('w1', 1_000)).ok, 'business from then on');
});

t.test('checkFeeScheduleSet: the pure R6 check, with the version each problem is about', async (t) => {
  const context = { calendar: realCalendar(), receivedAtMs: at(9) };
  const check = checkFeeScheduleSet(
    [V1],
    [V1, v2('2026-03-03'), { ...v2(), version: 3, effectiveDate: '2026-03-10' }],
    context,
  );
  t.equal(check.ok, false);
  t.same(check.problems, [{ version: 2, code: 'LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT' }]);
  t.same(check.added, [], 'nothing to add from a refused set');
  const good = checkFeeScheduleSet([V1], [v2(), V1], context);
  t.same(good, { ok: true, reasons: [], problems: [], added: [v2()] });
  const tooMany = Array.from({ length: 1_001 }, (_, i) => standardFeeSchedule('2027-01-04', i + 2));
  t.same(checkFeeScheduleSet([V1], tooMany, context).reasons, ['LEDGER_FEE_SCHEDULE_VERSIONS_TOO_MANY']);
  t.same(
    checkFeeScheduleSet([V1], [v2('2027-01-10')], {
      calendar: createWorkingCalendar([]),
      receivedAtMs: at(9),
    }).reasons,
    ['LEDGER_CALENDAR_YEAR_MISSING'],
  );
  t.same(checkFeeScheduleSet([V1], null as unknown as FeeSchedule[], context).reasons, [
    'LEDGER_FEE_SCHEDULE_INVALID',
  ]);
});

t.test('the ledger keeps its own copy: changing the object given changes nothing', async (t) => {
  const ledger = ledgerWithStations();
  const given = { ...v2() };
  t.ok(ledger.apply(merge('m', [given])).ok);
  given.withdrawalFeeFen = 1;
  t.equal(ledger.feeScheduleInForce('2026-03-09')?.withdrawalFeeFen, 200);
});

// ---------------------------------------------------------------- property

type Step =
  | {
      readonly kind: 'bill';
      readonly station: string;
      readonly amountFen: number;
      readonly feeRight: boolean;
    }
  | {
      readonly kind: 'withdrawal';
      readonly station: string;
      readonly amountFen: number;
      readonly feeRight: boolean;
    }
  | { readonly kind: 'close'; readonly station: string }
  | { readonly kind: 'advance'; readonly hours: number }
  | {
      readonly kind: 'config';
      readonly keep: readonly boolean[];
      readonly tamper: number;
      readonly fresh: readonly {
        effectiveInDays: number;
        announcedDaysAgo: number;
        withdrawalFeeFen: number;
        billFeeFen: number;
      }[];
    };

const stationArb = fc.constantFrom('S1', 'S2');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('bill' as const),
    station: stationArb,
    amountFen: fc.integer({ min: 1, max: 3_000 }),
    feeRight: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('withdrawal' as const),
    station: stationArb,
    amountFen: fc.integer({ min: 1, max: 30_000 }),
    feeRight: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('close' as const), station: stationArb }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('config' as const),
    keep: fc.array(fc.boolean(), { maxLength: 6 }),
    tamper: fc.integer({ min: -1, max: 5 }),
    fresh: fc.array(
      fc.record({
        effectiveInDays: fc.integer({ min: -3, max: 20 }),
        announcedDaysAgo: fc.integer({ min: 0, max: 12 }),
        withdrawalFeeFen: fc.integer({ min: 50, max: 300 }),
        billFeeFen: fc.integer({ min: 0, max: 2 }),
      }),
      { maxLength: 2 },
    ),
  }),
);

t.test(
  'property: any sequence of configs leaves past events, balances and sealed closes unchanged',
  async (t) => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const ledger = ledgerWithStations(1_000_000);
        const commands: LedgerCommand[] = [];
        const results: LedgerResult[] = [];
        const ids: string[] = [];
        const dates = new Set<string>(['2026-03-02']);
        const charged: { id: string; date: string; feeFen: number; kind: 'bill' | 'withdrawal' }[] = [];
        let nowMs = shanghaiInstantMs('2026-03-02', 9);
        let nextVersion = 2;
        const run = (command: LedgerCommand): LedgerResult => {
          const result = ledger.apply(command);
          commands.push(command);
          results.push(result);
          ids.push(command.id);
          return result;
        };
        steps.forEach((step, n) => {
          const date = dateFromDayNumber(shanghaiDayNumber(nowMs));
          dates.add(date);
          const inForce = ledger.feeScheduleInForce(date);
          switch (step.kind) {
            case 'advance':
              nowMs += step.hours * 3_600_000;
              return;
            case 'bill': {
              const feeFen = (inForce?.billPaymentFeeFen ?? 0) + (step.feeRight ? 0 : 1);
              const result = run({ ...bill(`b${n}`, step.amountFen, step.station, nowMs), feeFen });
              if (result.ok) charged.push({ id: `b${n}`, date, feeFen, kind: 'bill' });
              return;
            }
            case 'withdrawal': {
              const feeFen = (inForce?.withdrawalFeeFen ?? 100) + (step.feeRight ? 0 : 1);
              const result = run({
                ...hold(`w${n}`, step.amountFen, step.station, `card-${n}`, nowMs),
                feeFen,
              });
              if (result.ok) {
                charged.push({ id: `w${n}`, date, feeFen, kind: 'withdrawal' });
                run(post(`w${n}`, nowMs));
              }
              return;
            }
            case 'close':
              run({
                type: 'daily-close',
                id: `c${n}`,
                atMs: nowMs,
                stationId: step.station,
                businessDate: dateFromDayNumber(shanghaiDayNumber(nowMs) - 1),
              });
              return;
            case 'config': {
              const known = ledger.feeSchedules();
              const set: FeeSchedule[] = known.filter((_, i) => step.keep[i] ?? true);
              if (step.tamper >= 0 && step.tamper < set.length)
                set[step.tamper] = { ...set[step.tamper]!, mobileTopupFeeFen: 7 };
              for (const fresh of step.fresh) {
                set.push({
                  version: nextVersion++,
                  effectiveDate: dateFromDayNumber(shanghaiDayNumber(nowMs) + fresh.effectiveInDays),
                  withdrawalFeeFen: fresh.withdrawalFeeFen,
                  billPaymentFeeFen: fresh.billFeeFen,
                  mobileTopupFeeFen: 0,
                  announcedAtMs: nowMs - fresh.announcedDaysAgo * 86_400_000,
                });
              }
              const before = snapshot(ledger, ids, [...dates]);
              const eventCount = ledger.eventCount;
              const result = run(merge(`cfg${n}`, set, nowMs));
              const after = JSON.parse(snapshot(ledger, ids.slice(0, -1), [...dates]));
              if (after.events.length !== eventCount + (result.ok ? 1 : 0))
                throw new Error('a merge recorded more than itself');
              after.events.length = eventCount;
              if (JSON.stringify(after) !== before) throw new Error(`config ${n} changed the past`);
              const versions = ledger.feeSchedules().map((s) => s.version);
              if (!known.every((k) => versions.includes(k.version)))
                throw new Error('a known version was dropped');
              return;
            }
          }
        });
        // Past events stay judged by the schedule in force when they happened (or later learnt for that day).
        for (const { id, feeFen } of charged) {
          if (!ledger.lookup(id)?.ok) throw new Error(`accepted ${id} no longer accepted`);
          const event = ledger.event((ledger.lookup(id) as { eventIndex: number }).eventIndex);
          if (event.feeFen !== feeFen) throw new Error(`${id}: fee changed`);
        }
        // Determinism: the same commands into a fresh ledger give the same results (a restart's replay).
        const replay = ledgerWithStations(1_000_000);
        const again = commands.map((command) => replay.apply(command));
        return JSON.stringify(again) === JSON.stringify(results);
      }),
      { seed, numRuns },
    );
    t.pass(`${numRuns} sequences`);
  },
);
