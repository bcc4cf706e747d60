// Goal: business time, the working-day calendar (R6, R10) and service hours (R20) are right.
// Method: table-driven cases over the real 2025/2026 calendar files, hand-made broken files, and
// instants around Asia/Shanghai midnight and the maintenance window.

import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  addWorkingDays,
  checkServiceHours,
  createWorkingCalendar,
  dateFromDayNumber,
  dayNumberFromDate,
  formatYuan,
  isWorkingDay,
  LedgerAssertionError,
  lastWorkingDayBefore,
  parseCalendarYear,
  parseIsoDate,
  parseServiceHours,
  parseYuanToFen,
  shanghaiDayNumber,
  shanghaiInstantMs,
  shanghaiMinuteOfDay,
} from '../src/index.js';
import { calendarPath, HOURS_8_TO_20_MAINT_14_16, realCalendar } from './helpers.js';

t.test('Asia/Shanghai business dates from epoch ms, no time-zone database', async (t) => {
  const cases: [string, string, number][] = [
    ['2026-03-01T15:59:59.999Z', '2026-03-01', 1439],
    ['2026-03-01T16:00:00.000Z', '2026-03-02', 0],
    ['2026-12-31T16:30:00.000Z', '2027-01-01', 30],
    ['2024-02-28T16:00:00.000Z', '2024-02-29', 0],
  ];
  for (const [iso, date, minute] of cases) {
    const atMs = Date.parse(iso);
    t.equal(dateFromDayNumber(shanghaiDayNumber(atMs)), date, iso);
    t.equal(shanghaiMinuteOfDay(atMs), minute, `${iso} minute`);
  }
  t.equal(shanghaiInstantMs('2026-03-02', 8, 30), Date.parse('2026-03-02T00:30:00Z'));
  t.equal(parseIsoDate('2026-02-29'), undefined, 'no 29 February in 2026');
  t.equal(parseIsoDate('2026-13-01'), undefined);
  t.throws(() => dayNumberFromDate('02/03/2026'), LedgerAssertionError);
  for (let day = -1000; day < 30_000; day += 37) t.equal(dayNumberFromDate(dateFromDayNumber(day)), day);
});

t.test('R6 working days follow the calendar data, 调休 included', async (t) => {
  const calendar = realCalendar();
  const cases: [string, boolean][] = [
    ['2026-03-02', true], // Monday
    ['2026-03-07', false], // Saturday
    ['2026-01-01', false], // 元旦, Thursday
    ['2026-01-04', true], // Sunday worked instead
    ['2026-02-14', true], // Saturday worked before 春节
    ['2026-02-16', false], // 春节 Monday
    ['2025-10-08', false], // 国庆 2025
    ['2025-09-28', true], // Sunday worked, 2025
  ];
  for (const [date, working] of cases)
    t.equal(isWorkingDay(calendar, dayNumberFromDate(date)), working, date);
  t.equal(isWorkingDay(calendar, dayNumberFromDate('2027-01-04')), undefined, 'no 2027 data');
  const fifth = addWorkingDays(calendar, dayNumberFromDate('2026-02-13'), 5);
  t.same(
    fifth.ok && dateFromDayNumber(fifth.dayNumber),
    '2026-02-27',
    'across 春节: 14, 24, 25, 26, 27 February',
  );
  t.same(addWorkingDays(calendar, dayNumberFromDate('2026-12-28'), 5), {
    ok: false,
    code: 'LEDGER_CALENDAR_YEAR_MISSING',
    year: 2027,
  });
  const before15 = lastWorkingDayBefore(calendar, dayNumberFromDate('2026-02-15'));
  t.same(before15.ok && dateFromDayNumber(before15.dayNumber), '2026-02-14', 'the worked Saturday counts');
  t.same(lastWorkingDayBefore(calendar, dayNumberFromDate('2025-01-01')), {
    ok: false,
    code: 'LEDGER_CALENDAR_YEAR_MISSING',
    year: 2024,
  });
});

t.test('R6 calendar files are validated, every problem at once with the field named', async (t) => {
  const good = JSON.parse(readFileSync(calendarPath(2026), 'utf8'));
  t.ok(parseCalendarYear(good).ok, 'the real 2026 file parses');
  const cases: [unknown, string[]][] = [
    [[], ['(root)']],
    [{ ...good, year: '2026' }, ['year']],
    [{ ...good, source: '' }, ['source']],
    [{ ...good, holidays: {} }, ['holidays']],
    [{ ...good, extra: 1 }, ['extra']],
    [{ ...good, holidays: [{ name: 'x', dates: ['2026-02-30'] }] }, ['holidays[0].dates[0]']],
    [{ ...good, holidays: [{ name: '', dates: [] }] }, ['holidays[0].name', 'holidays[0].dates']],
    [{ ...good, holidays: [7] }, ['holidays[0]']],
    [{ ...good, extra_working_days: ['2026-03-02'] }, ['extra_working_days[0]']],
    [{ ...good, extra_working_days: 'x' }, ['extra_working_days']],
    [{ ...good, extra_working_days: ['2026-01-01'] }, ['extra_working_days[0]', 'extra_working_days[0]']], // a holiday and a weekday
    [{ ...good, extra_working_days: [5] }, ['extra_working_days[0]']],
    [{ ...good, holidays: [{ name: 'x', dates: ['2030-01-01'] }] }, ['holidays[0].dates[0]']],
  ];
  for (const [json, fields] of cases) {
    const result = parseCalendarYear(json);
    t.equal(result.ok, false, fields.join());
    if (!result.ok) {
      t.same(
        result.problems.map((problem) => problem.field),
        fields,
        fields.join(),
      );
      t.ok(result.problems.every((problem) => problem.code === 'LEDGER_CALENDAR_INVALID'));
    }
  }
  t.throws(() => createWorkingCalendar([parseCalendarYearOrThrow(good), parseCalendarYearOrThrow(good)]));
});

function parseCalendarYearOrThrow(json: unknown) {
  const result = parseCalendarYear(json);
  if (!result.ok) throw new Error('bad calendar');
  return result.value;
}

t.test('R20 service hours: pure check at an instant', async (t) => {
  const cases: [number, number, string[]][] = [
    [7, 59, ['LEDGER_OUTSIDE_SERVICE_HOURS']],
    [8, 0, []],
    [14, 0, ['LEDGER_IN_MAINTENANCE_WINDOW']],
    [16, 0, []],
    [20, 0, ['LEDGER_OUTSIDE_SERVICE_HOURS']],
    [0, 0, ['LEDGER_OUTSIDE_SERVICE_HOURS']],
  ];
  for (const [hour, minute, reasons] of cases) {
    t.same(
      checkServiceHours(HOURS_8_TO_20_MAINT_14_16, shanghaiInstantMs('2026-10-01', hour, minute)),
      reasons,
      `${hour}:${minute}`,
    );
  }
  const overnight = parseServiceHours({ opens: '20:00', closes: '02:00' });
  t.ok(overnight.ok);
  if (overnight.ok) {
    t.same(
      checkServiceHours(overnight.value, shanghaiInstantMs('2026-03-02', 1, 0)),
      [],
      'open past midnight',
    );
    t.same(checkServiceHours(overnight.value, shanghaiInstantMs('2026-03-02', 12, 0)), [
      'LEDGER_OUTSIDE_SERVICE_HOURS',
    ]);
  }
  const parsed = parseServiceHours({
    opens: '08:00',
    closes: '20:00',
    maintenance: [{ start: '14:00', end: '16:00' }],
  });
  t.same(parsed, { ok: true, value: HOURS_8_TO_20_MAINT_14_16 });
  const bad = parseServiceHours({
    opens: '8am',
    closes: '25:00',
    maintenance: [{ start: '14:00' }],
    extra: true,
  });
  t.same(bad.ok ? [] : bad.problems.map((problem) => `${problem.code} ${problem.field}`), [
    'LEDGER_SERVICE_HOURS_INVALID opens',
    'LEDGER_SERVICE_HOURS_INVALID closes',
    'LEDGER_SERVICE_HOURS_INVALID maintenance[0].end',
    'LEDGER_SERVICE_HOURS_INVALID extra',
  ]);
  t.equal(parseServiceHours(null).ok, false);
  t.equal(parseServiceHours({ opens: '24:00', closes: '24:00' }).ok, false);
});

t.test('R1 yuan only for people', async (t) => {
  const cases: [number, string][] = [
    [0, '¥0.00'],
    [5, '¥0.05'],
    [123_450, '¥1,234.50'],
    [100_000_000, '¥1,000,000.00'],
    [-5_010, '-¥50.10'],
  ];
  for (const [fen, text] of cases) t.equal(formatYuan(fen), text);
  t.throws(() => formatYuan(1.5), LedgerAssertionError);
  t.equal(parseYuanToFen('1234.5'), 123_450);
  t.equal(parseYuanToFen('500'), 50_000);
  t.equal(parseYuanToFen('1.234'), undefined);
});
