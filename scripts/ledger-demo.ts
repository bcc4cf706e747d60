// A scripted business day at three convenience stations, run through the ledger core and printed
// as readable tables: withdrawals (one over the limit), bill payments (one refused over quota with
// every reason at once, R21), a quota purchase, top-ups, a reversal (冲正), the daily close with
// its hash chain (R7), a reconciliation with one injected difference (R8) and the month's
// commission (R10). Run: npx tsx scripts/ledger-demo.ts
// This is the imperative shell: it reads the calendar files; the ledger itself does no I/O.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CalendarYear,
  computeMonthlyCommission,
  createLedger,
  createWorkingCalendar,
  type DailyClose,
  formatYuan,
  type LedgerCommand,
  parseCalendarYear,
  reconcileItems,
  type ServiceHours,
  shanghaiInstantMs,
  standardFeeSchedule,
  TOTALS_KINDS,
  verifyCloseChain,
  WITHDRAWAL_LIMITS_DEFAULT,
} from '../packages/core-ledger/src/index.ts';

const DATE = '2026-03-02';
const at = (hour: number, minute: number): number => shanghaiInstantMs(DATE, hour, minute);

function loadCalendar(year: number): CalendarYear {
  const path = fileURLToPath(new URL(`../data/calendar/cn-${year}.json`, import.meta.url));
  const parsed = parseCalendarYear(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.ok)
    throw new Error(`${path}: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  return parsed.value;
}

function table(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        /^-?¥|^\d/.test(cell) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

const hours: ServiceHours = {
  opensAtMinute: 8 * 60,
  closesAtMinute: 20 * 60,
  maintenanceWindows: [{ startMinute: 14 * 60, endMinute: 16 * 60 }],
};
const calendar = createWorkingCalendar([loadCalendar(2025), loadCalendar(2026)]);
const ledger = createLedger({
  calendar,
  feeSchedules: [standardFeeSchedule('2026-01-01')],
  withdrawalLimits: WITHDRAWAL_LIMITS_DEFAULT,
});

const stations = [
  { stationId: 'ZJ-001', orgCode: '31000101', name: 'Zhaoxiang village shop' },
  { stationId: 'ZJ-002', orgCode: '31000102', name: 'Baihe crossroads store' },
  { stationId: 'ZJ-003', orgCode: '31000103', name: 'Xujing market stall' },
];

const script: { label: string; command: LedgerCommand }[] = [];
const add = (label: string, command: LedgerCommand): void => {
  script.push({ label, command });
};
for (const station of stations) {
  add('register station (R4)', {
    type: 'station-register',
    id: `reg-${station.stationId}`,
    atMs: at(7, 0),
    stationId: station.stationId,
    orgCode: station.orgCode,
    quotaAccountNo: `QA-${station.orgCode}`,
    serviceHours: hours,
  });
}
for (const station of stations) {
  add('close yesterday (empty day, starts the chain)', {
    type: 'daily-close',
    id: `close-${station.stationId}-2026-03-01`,
    atMs: at(7, 1),
    stationId: station.stationId,
    businessDate: '2026-03-01',
  });
}
add('quota purchase (R3)', {
  type: 'quota-purchase',
  id: 'qp-001',
  atMs: at(7, 5),
  stationId: 'ZJ-001',
  amountFen: 200_000,
});
add('quota purchase (R3)', {
  type: 'quota-purchase',
  id: 'qp-002',
  atMs: at(7, 5),
  stationId: 'ZJ-002',
  amountFen: 50_000,
});
add('quota purchase (R3)', {
  type: 'quota-purchase',
  id: 'qp-003',
  atMs: at(7, 5),
  stationId: 'ZJ-003',
  amountFen: 80_000,
});
const hold = (
  id: string,
  stationId: string,
  card: string,
  amountFen: number,
  hour: number,
  minute: number,
): LedgerCommand => ({
  type: 'withdrawal-hold',
  id,
  atMs: at(hour, minute),
  stationId,
  cardToken: card,
  amountFen,
  feeFen: 100,
});
add('withdrawal: authorised (hold)', hold('wd-001', 'ZJ-001', 'tok:6222…1234', 50_000, 8, 40));
add('withdrawal: cash handed out (post)', {
  type: 'withdrawal-post',
  id: 'wd-001-post',
  atMs: at(8, 42),
  holdId: 'wd-001',
});
add('withdrawal over the 1,000-yuan limit', hold('wd-002', 'ZJ-001', 'tok:6228…5678', 150_000, 9, 5));
add('bill payment: electricity', {
  type: 'bill-payment',
  id: 'bp-001',
  atMs: at(9, 30),
  stationId: 'ZJ-001',
  amountFen: 23_450,
  feeFen: 0,
  billerCode: 'SH-ELEC',
  billAccountNo: '0012345678',
});
add('mobile top-up', {
  type: 'mobile-topup',
  id: 'tu-001',
  atMs: at(10, 10),
  stationId: 'ZJ-002',
  amountFen: 10_000,
  feeFen: 0,
  phoneNumber: '138****0001',
});
add('bill payment: water', {
  type: 'bill-payment',
  id: 'bp-002',
  atMs: at(11, 0),
  stationId: 'ZJ-002',
  amountFen: 31_000,
  feeFen: 0,
  billerCode: 'SH-WATER',
  billAccountNo: '88001234',
});
add('bill payment: gas, in maintenance, with a fee, over quota', {
  type: 'bill-payment',
  id: 'bp-003',
  atMs: at(14, 20),
  stationId: 'ZJ-002',
  amountFen: 45_000,
  feeFen: 200,
  billerCode: 'SH-GAS',
  billAccountNo: '55002211',
});
add('quota purchase below 500 yuan (R3)', {
  type: 'quota-purchase',
  id: 'qp-004',
  atMs: at(16, 10),
  stationId: 'ZJ-002',
  amountFen: 49_999,
});
add('quota purchase (R3)', {
  type: 'quota-purchase',
  id: 'qp-005',
  atMs: at(16, 15),
  stationId: 'ZJ-002',
  amountFen: 100_000,
});
add('bill payment: gas, retried', {
  type: 'bill-payment',
  id: 'bp-004',
  atMs: at(16, 30),
  stationId: 'ZJ-002',
  amountFen: 45_000,
  feeFen: 0,
  billerCode: 'SH-GAS',
  billAccountNo: '55002211',
});
add('withdrawal: authorised (hold)', hold('wd-003', 'ZJ-003', 'tok:6217…4321', 80_000, 17, 0));
add('withdrawal: completion timed out → reversal (冲正)', {
  type: 'withdrawal-reverse',
  id: 'wd-003-rev',
  atMs: at(17, 2),
  stationId: 'ZJ-003',
  holdId: 'wd-003',
});
add('reversal sent again (no-op)', {
  type: 'withdrawal-reverse',
  id: 'wd-003-rev-2',
  atMs: at(17, 3),
  stationId: 'ZJ-003',
  holdId: 'wd-003',
});
add('withdrawal: authorised (hold)', hold('wd-004', 'ZJ-003', 'tok:6217…4321', 30_000, 17, 30));
add('withdrawal: cash handed out (post)', {
  type: 'withdrawal-post',
  id: 'wd-004-post',
  atMs: at(17, 31),
  holdId: 'wd-004',
});
add('mobile top-up', {
  type: 'mobile-topup',
  id: 'tu-002',
  atMs: at(18, 45),
  stationId: 'ZJ-003',
  amountFen: 5_000,
  feeFen: 0,
  phoneNumber: '139****0002',
});
add('mobile top-up after closing time', {
  type: 'mobile-topup',
  id: 'tu-003',
  atMs: at(20, 15),
  stationId: 'ZJ-003',
  amountFen: 5_000,
  feeFen: 0,
  phoneNumber: '139****0003',
});
add(
  'electricity bill replayed (same id, same content)',
  script.find((step) => step.command.id === 'bp-001')!.command,
);

const timeOf = (atMs: number): string => {
  const minutes = Math.floor((atMs - shanghaiInstantMs(DATE, 0, 0)) / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
};
const rows: string[][] = [];
for (const { label, command } of script) {
  const result = ledger.apply(command);
  const amountFen = 'amountFen' in command ? command.amountFen : undefined;
  const feeFen = 'feeFen' in command ? command.feeFen : undefined;
  const stationId =
    'stationId' in command ? command.stationId : (ledger.event(ledger.eventCount - 1).stationId ?? '');
  rows.push([
    timeOf(command.atMs),
    stationId,
    label,
    amountFen === undefined ? '' : formatYuan(amountFen),
    feeFen === undefined ? '' : formatYuan(feeFen),
    result.ok ? result.code : `REFUSED: ${result.reasons.join(', ')}`,
  ]);
}
console.log(
  `Ledger demo — business day ${DATE} (Asia/Shanghai), three stations, hours 08:00–20:00, maintenance 14:00–16:00`,
);
for (const station of stations)
  console.log(`  ${station.stationId}  org code ${station.orgCode}  ${station.name}`);
table('The day, command by command', ['time', 'station', 'business', 'amount', 'fee', 'result'], rows);

// R7: close each station's day; the hash chain links the closes.
const closes: DailyClose[] = [];
for (const station of stations) {
  const result = ledger.apply({
    type: 'daily-close',
    id: `close-${station.stationId}-${DATE}`,
    atMs: at(20, 30),
    stationId: station.stationId,
    businessDate: DATE,
  });
  if (!result.ok || result.close === undefined) throw new Error(`close failed: ${result.code}`);
  closes.push(result.close);
}
const totalsRows: string[][] = [];
for (const close of closes) {
  for (const kind of TOTALS_KINDS) {
    const totals = close.totals[kind];
    if (totals.count === 0) continue;
    totalsRows.push([
      close.stationId,
      kind,
      String(totals.count),
      formatYuan(totals.amountFen),
      formatYuan(totals.feeFen),
      formatYuan(totals.quotaConsumedFen),
    ]);
  }
}
table(
  `Daily close (R7), ${DATE}`,
  ['station', 'business type', 'count', 'amount', 'fees', 'quota used'],
  totalsRows,
);
table(
  "Close seals (SHA-256, each chained to the station's previous close)",
  ['station', 'business day', 'seq', 'previous hash', 'hash', 'chain check'],
  stations.flatMap(({ stationId }) => {
    const chain = ledger.closes(stationId);
    const verdict = verifyCloseChain(chain).length === 0 ? 'intact' : 'BROKEN';
    return chain.map((close) => [
      close.stationId,
      close.businessDate,
      String(close.sequence),
      `${close.previousHash.slice(0, 16)}…`,
      `${close.hash.slice(0, 16)}…`,
      verdict,
    ]);
  }),
);
const forged = {
  ...closes[0]!,
  totals: { ...closes[0]!.totals, CASH_WITHDRAWAL: { ...closes[0]!.totals.CASH_WITHDRAWAL, amountFen: 1 } },
};
const chainOne = ledger.closes(closes[0]!.stationId);
const codesOf = (problems: readonly { readonly code: string }[]): string =>
  problems.map((problem) => problem.code).join(', ');
console.log(
  `  tamper test: change ${closes[0]!.stationId}'s withdrawal total → ${codesOf(verifyCloseChain([chainOne[0]!, forged]))}; ` +
    `drop yesterday's close → ${codesOf(verifyCloseChain([chainOne[1]!]))}`,
);

// R8: the HQ store lost the water bill's amount by one yuan: reconciliation finds it.
const kioskItems = ledger.reconciliationItems({ businessDate: DATE });
const hqItems = kioskItems.map((item) =>
  item.id === 'bp-002' ? { ...item, amountFen: item.amountFen - 100 } : item,
);
const differences = reconcileItems(kioskItems, hqItems);
table(
  `Reconciliation (R8): kiosk journal vs HQ store, ${kioskItems.length} items`,
  ['reason', 'id', 'fields', 'kiosk', 'HQ'],
  differences.map((difference) => [
    difference.code,
    difference.id,
    (difference.fields ?? []).join(','),
    difference.left === undefined ? '' : formatYuan(difference.left.amountFen),
    difference.right === undefined ? '' : formatYuan(difference.right.amountFen),
  ]),
);

// R10: the month's e-commerce commission (so far: this one day).
const commission = computeMonthlyCommission({
  month: DATE.slice(0, 7),
  revenue: ledger.monthlyRevenue(DATE.slice(0, 7)),
  ratiosBasisPoints: { BILL_PAYMENT: 150, MOBILE_TOPUP: 200 },
  taxRule: { kind: 'flat-rate', rateBasisPoints: 600 },
  calendar,
});
if (!commission.ok) throw new Error(commission.code);
const commissionRows: string[][] = [];
for (const station of commission.stations) {
  for (const line of station.lines) {
    commissionRows.push([
      station.stationId,
      line.businessType,
      formatYuan(line.revenueFen),
      `${(line.ratioBasisPoints / 100).toFixed(2)}%`,
      formatYuan(line.commissionFen),
      `${line.remainderTenThousandthsFen}/10000 fen`,
    ]);
  }
  commissionRows.push([
    station.stationId,
    'after 6% tax',
    '',
    '',
    formatYuan(station.netFen),
    `tax ${formatYuan(station.taxFen)}`,
  ]);
}
table(
  `Commission (R10) for ${commission.month}: list due ${commission.listDueDate}, payment due ${commission.paymentDueDate}`,
  ['station', 'business type', 'revenue', 'ratio', 'commission', 'dropped by floor'],
  commissionRows,
);

table(
  'Balances at the end of the day',
  ['station', 'settlement', 'pending holds', 'quota left'],
  stations.map(({ stationId }) => {
    const balances = ledger.stationBalances(stationId)!;
    return [
      stationId,
      formatYuan(balances.settlementFen),
      formatYuan(balances.settlementPendingFen),
      formatYuan(balances.quotaFenAvailable),
    ];
  }),
);
let debits = 0;
let credits = 0;
for (const account of ledger.accountBalances()) {
  debits += account.debitsPostedFen;
  credits += account.creditsPostedFen;
}
console.log(
  `\nDouble entry: ${ledger.entryCount} entries, debits ${formatYuan(debits)} = credits ${formatYuan(credits)}.`,
);
