// Goal: bad input from outside (the operator API, an HQ message, an old journal row) is a refusal
// with a code, listed beside every other reason in one refusal (R21), and never an assertion crash
// or a change of state. Method: table-driven commands with a bad amount, fee, id, instant or field
// plus other failing rules; each must come back refused with exactly the expected reasons, and the
// ledger's history must not have grown.

import t from 'tap';
import type { LedgerCommand } from '../src/index.js';
import { at, bill, hold, ledgerWithStations, post, reverse, topup } from './helpers.js';

const cases: { name: string; command: LedgerCommand; reasons: string[] }[] = [
  {
    name: 'float amount + unknown station + fee above schedule + outside hours',
    command: { ...bill('c1', 0, 'NOPE', at(6)), amountFen: 10.5, feeFen: 5 },
    reasons: ['LEDGER_AMOUNT_INVALID', 'LEDGER_STATION_UNKNOWN', 'LEDGER_FEE_ABOVE_SCHEDULE'],
  },
  {
    name: 'negative amount + outside hours + fee above schedule',
    command: { ...topup('c2', -5, 'S1', at(6)), feeFen: 3 },
    reasons: ['LEDGER_AMOUNT_INVALID', 'LEDGER_OUTSIDE_SERVICE_HOURS', 'LEDGER_FEE_ABOVE_SCHEDULE'],
  },
  {
    name: 'unsafe amount + NaN fee + maintenance window',
    command: { ...hold('c3', 2 ** 53, 'S1', 'card-A', at(15)), feeFen: Number.NaN },
    reasons: ['LEDGER_AMOUNT_INVALID', 'LEDGER_FEE_INVALID', 'LEDGER_IN_MAINTENANCE_WINDOW'],
  },
  {
    name: 'string amount (a JSON value that slipped through) + empty card token',
    command: { ...hold('c4', 0), amountFen: '100' as unknown as number, cardToken: '' },
    reasons: ['LEDGER_AMOUNT_INVALID', 'LEDGER_FIELD_INVALID'],
  },
  {
    name: 'quota purchase below minimum is not reported when the amount is not fen at all',
    command: { type: 'quota-purchase', id: 'c5', atMs: at(9), stationId: 'NOPE', amountFen: 1.25 },
    reasons: ['LEDGER_AMOUNT_INVALID', 'LEDGER_STATION_UNKNOWN'],
  },
  {
    name: 'bad instant + bad amount',
    command: { ...bill('c6', 100), atMs: -1, amountFen: Number.POSITIVE_INFINITY },
    reasons: ['LEDGER_INSTANT_INVALID', 'LEDGER_AMOUNT_INVALID'],
  },
  {
    name: 'hold with an expiry that is not an instant',
    command: { ...hold('c7', 100), expiresAtMs: 1.5 },
    reasons: ['LEDGER_INSTANT_INVALID'],
  },
  {
    name: 'post naming an empty hold id',
    command: { ...post('x'), holdId: '' },
    reasons: ['LEDGER_FIELD_INVALID'],
  },
  {
    name: 'reversal naming an empty hold id at an unknown station',
    command: { ...reverse('x', 'c9', 'NOPE'), holdId: '' },
    reasons: ['LEDGER_FIELD_INVALID', 'LEDGER_STATION_UNKNOWN'],
  },
  {
    name: 'close of a date that is not a date',
    command: { type: 'daily-close', id: 'c10', atMs: at(21), stationId: 'S1', businessDate: '2026-02-30' },
    reasons: ['LEDGER_FIELD_INVALID'],
  },
  {
    name: 'registration with service hours out of range',
    command: {
      type: 'station-register',
      id: 'c11',
      atMs: at(7),
      stationId: 'S9',
      orgCode: 'O',
      quotaAccountNo: 'Q',
      serviceHours: { opensAtMinute: -1, closesAtMinute: 2000, maintenanceWindows: [] },
    },
    reasons: ['LEDGER_FIELD_INVALID'],
  },
  {
    name: 'registration with limits that are not fen',
    command: {
      type: 'station-register',
      id: 'c12',
      atMs: at(7),
      stationId: 'S9',
      orgCode: 'O',
      quotaAccountNo: 'Q',
      withdrawalLimits: { perTransactionFenMax: 1.5, perCardDailyFenMax: 1, perStationDailyFenMax: 1 },
    },
    reasons: ['LEDGER_FIELD_INVALID'],
  },
  {
    name: 'unknown command type',
    command: { type: 'withdrawal-steal', id: 'c13', atMs: at(9) } as unknown as LedgerCommand,
    reasons: ['LEDGER_FIELD_INVALID'],
  },
  {
    name: 'fee schedule with a fractional fee',
    command: {
      type: 'fee-schedule-announce',
      id: 'c14',
      atMs: at(9),
      schedule: {
        version: 2,
        effectiveDate: '2026-04-01',
        withdrawalFeeFen: 0.5,
        billPaymentFeeFen: 0,
        mobileTopupFeeFen: 0,
      },
    },
    reasons: ['LEDGER_FEE_SCHEDULE_INVALID'],
  },
];

t.test('R21: a bad value from outside is one refusal with every reason, and nothing changes', async (t) => {
  for (const { name, command, reasons } of cases) {
    const ledger = ledgerWithStations();
    const events = ledger.eventCount;
    const entries = ledger.entryCount;
    const result = ledger.apply(command);
    t.notOk(result.ok, name);
    if (!result.ok) t.same(result.reasons, reasons, name);
    t.equal(ledger.eventCount, events, `${name}: no event`);
    t.equal(ledger.entryCount, entries, `${name}: no entry`);
    t.same(ledger.stationBalances('S1'), {
      settlementFen: 0,
      settlementPendingFen: 0,
      quotaFenAvailable: 100_000,
    });
    // The same bad command again gets the same answer (remembered by its id).
    t.same(ledger.apply(command), result, `${name}: replay`);
  }
});

t.test('an invalid id is refused and not remembered (there is nothing to remember it by)', async (t) => {
  const ledger = ledgerWithStations();
  const tooLong = 'x'.repeat(129);
  for (const id of ['', tooLong, 42 as unknown as string]) {
    const result = ledger.apply({ ...bill(id, 100), amountFen: -1 });
    t.same(result, {
      ok: false,
      code: 'LEDGER_ID_INVALID',
      reasons: ['LEDGER_ID_INVALID', 'LEDGER_AMOUNT_INVALID'],
    });
    t.equal(ledger.lookup(id), undefined);
  }
});
