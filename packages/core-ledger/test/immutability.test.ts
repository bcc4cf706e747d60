// Goal: sealed means immutable. Nothing the ledger returns (results, closes, events, entries,
// balances, holds, totals, schedules, reconciliation items, revenue lines) lets a caller change a
// sealed close, a posted entry or a recorded outcome; nor does changing an object the caller gave
// the ledger (a config, a schedule, service hours). Method: build a ledger with every kind of
// record, snapshot everything readable as JSON, then try to mutate every returned structure
// (every property of every nested object and array, plus push/splice/sort) and every given object,
// and check the snapshot and the close chain are unchanged.

import t from 'tap';
import {
  createLedger,
  type FeeSchedule,
  type Ledger,
  type LedgerConfig,
  type ServiceHours,
  standardFeeSchedule,
  verifyCloseChain,
  WITHDRAWAL_LIMITS_DEFAULT,
} from '../src/index.js';
import { at, baseConfig, bill, HOURS_8_TO_20_MAINT_14_16, hold, post, reverse } from './helpers.js';

let probeCount = 0;

function snapshot(ledger: Ledger): string {
  return JSON.stringify({
    events: Array.from({ length: ledger.eventCount }, (_, i) => ledger.event(i)),
    entries: Array.from({ length: ledger.entryCount }, (_, i) => ledger.entry(i)),
    accounts: ledger.accountBalances(),
    stations: ledger
      .stationIds()
      .map((id) => [id, ledger.stationBalances(id), ledger.closes(id), ledger.dayTotals(id, '2026-03-02')]),
    results: ['b1', 'b2', 'w1', 'w1-post', 'w2', 'w2-rev', 'c1', 'bad'].map((id) => ledger.lookup(id)),
    holds: ['w1', 'w2'].map((id) => ledger.holdState(id)),
    schedules: ledger.feeSchedules(),
    inForce: ledger.feeScheduleInForce('2026-03-02'),
    items: ledger.reconciliationItems(),
    revenue: ledger.monthlyRevenue('2026-03'),
    unclosed: ledger.unclosedBusinessDays('S1'),
    // Behaviour that depends on the given config: a hold inside the maintenance window (R20) of
    // 03-03 with the standard fee (R6) under the default limits (R5); refused, so nothing changes.
    probe: ledger.apply({
      ...hold(`probe-${probeCount++}`, 10_000, 'S1', 'card-P', at(15, 0, '2026-03-03')),
    }),
  });
}

/** Tries every way to change a value; returns how many attempts were refused (TypeError). */
function attack(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > 6) return 0;
  let refused = 0;
  const tryIt = (f: () => void): void => {
    try {
      f();
    } catch (error) {
      if (error instanceof TypeError) refused++;
      else throw error;
    }
  };
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    refused += attack(record[key], depth + 1);
    const original = record[key];
    tryIt(() => {
      record[key] = typeof original === 'number' ? original + 1 : 'changed';
    });
    tryIt(() => {
      delete record[key];
    });
  }
  tryIt(() => {
    record.injected = true;
  });
  if (Array.isArray(value)) {
    tryIt(() => value.push('x'));
    tryIt(() => value.splice(0, 1));
    tryIt(() => value.reverse());
  }
  return refused;
}

t.test('sealed means immutable: every returned structure resists mutation', async (t) => {
  const hours: { -readonly [K in keyof ServiceHours]: ServiceHours[K] } = {
    ...HOURS_8_TO_20_MAINT_14_16,
    maintenanceWindows: [{ startMinute: 14 * 60, endMinute: 16 * 60 }],
  };
  const schedule: { -readonly [K in keyof FeeSchedule]: FeeSchedule[K] } = {
    ...standardFeeSchedule('2025-01-01'),
  };
  const limits = { ...WITHDRAWAL_LIMITS_DEFAULT };
  const config: LedgerConfig = { ...baseConfig(), feeSchedules: [schedule], withdrawalLimits: limits };
  const ledger = createLedger(config);
  const register = {
    type: 'station-register',
    id: 'reg',
    atMs: at(7),
    stationId: 'S1',
    orgCode: 'O',
    quotaAccountNo: 'Q',
    serviceHours: hours,
  } as const;
  const returned: unknown[] = [];
  const keep = <T>(value: T): T => {
    returned.push(value);
    return value;
  };
  keep(ledger.apply(register));
  keep(ledger.apply({ type: 'quota-purchase', id: 'qp', atMs: at(7), stationId: 'S1', amountFen: 100_000 }));
  keep(ledger.apply(bill('b1', 10_000)));
  keep(ledger.apply(bill('b2', 1_000_000)));
  keep(ledger.apply(hold('w1', 20_000)));
  keep(ledger.apply(post('w1')));
  keep(ledger.apply(hold('w2', 5_000, 'S1', 'card-B')));
  keep(ledger.apply(reverse('w2')));
  keep(ledger.apply({ ...bill('bad', 1), amountFen: -1 }));
  keep(
    ledger.apply({
      type: 'daily-close',
      id: 'c1',
      atMs: at(21),
      stationId: 'S1',
      businessDate: '2026-03-02',
    }),
  );
  const before = snapshot(ledger);
  t.match(
    before,
    /"probe":\{"ok":false,"code":"LEDGER_IN_MAINTENANCE_WINDOW","reasons":\["LEDGER_IN_MAINTENANCE_WINDOW"\]\}/,
  );
  const hashes = ledger.closes('S1').map((close) => close.hash);

  // Everything readable, including replies to replays (the stored outcomes).
  for (const id of ['b1', 'b2', 'w1', 'c1', 'bad']) keep(ledger.lookup(id));
  keep(ledger.apply(bill('b2', 1_000_000)));
  keep(
    ledger.apply({
      type: 'daily-close',
      id: 'c1',
      atMs: at(21),
      stationId: 'S1',
      businessDate: '2026-03-02',
    }),
  );
  for (let i = 0; i < ledger.eventCount; i++) keep(ledger.event(i));
  for (let i = 0; i < ledger.entryCount; i++) keep(ledger.entry(i));
  keep(ledger.accountBalances());
  keep(ledger.stationBalances('S1'));
  keep(ledger.stationIds());
  keep(ledger.closes('S1'));
  keep(ledger.dayTotals('S1', '2026-03-02'));
  keep(ledger.feeSchedules());
  keep(ledger.feeScheduleInForce('2026-03-02'));
  keep(ledger.reconciliationItems());
  keep(ledger.monthlyRevenue('2026-03'));
  keep(ledger.unclosedBusinessDays('S1'));
  let refused = 0;
  for (const value of returned) refused += attack(value);
  t.ok(refused > 100, `mutations refused: ${refused}`);

  // And the objects the caller gave: config, schedule, limits, hours, calendar.
  schedule.withdrawalFeeFen = 1;
  limits.perTransactionFenMax = 1;
  hours.opensAtMinute = 0;
  hours.closesAtMinute = 1440;
  (hours.maintenanceWindows as unknown[]).length = 0;
  (config.calendar.years as Set<number>).clear();

  t.equal(snapshot(ledger), before, 'nothing readable changed, nor how the config rules');
  t.same(
    ledger.closes('S1').map((close) => close.hash),
    hashes,
    'close hashes unchanged',
  );
  t.same(verifyCloseChain(ledger.closes('S1')), [], 'close chain intact');
  t.same(ledger.closes('S1')[0]?.totals.BILL_PAYMENT.amountFen, 10_000);
  t.same(ledger.lookup('b2'), {
    ok: false,
    code: 'LEDGER_QUOTA_INSUFFICIENT',
    reasons: ['LEDGER_QUOTA_INSUFFICIENT'],
  });
});
