// Goal: network deadlines count working days on the real 2025–2026 calendars (holidays and 调休
// weekend working days), and a year with no calendar is HQ_NET_CALENDAR_YEAR_MISSING, never a
// guess. Method: known cases around the 2026 holidays, then fast-check properties over every
// start day of 2025–2026 against a slow reference that reads the JSON files directly. The seed
// is printed: rerun with NETWORK_PROPERTY_SEED=<seed> to replay.
import { readFileSync } from 'node:fs';
import { dateFromDayNumber, dayNumberFromDate } from '@bianmin/core-ledger';
import fc from 'fast-check';
import t from 'tap';
import { dueAfterWorkingDays, quarterOf, WORKING_DAYS } from '../src/domain/network/deadlines.js';
import { realCalendar } from './helpers/network.js';

const seed = Number(process.env.NETWORK_PROPERTY_SEED ?? Date.now() % 2 ** 31);
t.comment(`fast-check seed ${seed} (replay: NETWORK_PROPERTY_SEED=${seed})`);
const calendar = realCalendar();

// The slow, obvious reference: read the files, decide each day by the README's rule.
const files = [2025, 2026].map(
  (year) =>
    JSON.parse(readFileSync(new URL(`../../../data/calendar/cn-${year}.json`, import.meta.url), 'utf8')) as {
      holidays: { dates: string[] }[];
      extra_working_days: string[];
    },
);
const holidays = new Set(files.flatMap((f) => f.holidays.flatMap((h) => h.dates)));
const extra = new Set(files.flatMap((f) => f.extra_working_days));
function referenceWorking(date: string): boolean {
  if (extra.has(date)) return true;
  if (holidays.has(date)) return false;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

t.test('known deadlines around the 2026 holidays', async (t) => {
  // 国庆: Oct 1–7 off, Sat Oct 10 worked: survey proposed Sep 30 is due Sat Oct 10.
  t.same(dueAfterWorkingDays(calendar, '2026-09-30', WORKING_DAYS.survey), {
    ok: true,
    dueDate: '2026-10-10',
  });
  // 春节: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
  t.same(dueAfterWorkingDays(calendar, '2026-02-13', 1), { ok: true, dueDate: '2026-02-14' });
  t.same(dueAfterWorkingDays(calendar, '2026-02-14', 1), { ok: true, dueDate: '2026-02-24' });
  t.same(dueAfterWorkingDays(calendar, '2026-02-24', 4), { ok: true, dueDate: '2026-02-28' });
  // An ordinary Friday: 1 working day later is Monday.
  t.same(dueAfterWorkingDays(calendar, '2026-11-06', WORKING_DAYS.changeApproval), {
    ok: true,
    dueDate: '2026-11-09',
  });
});

t.test(
  'HQ_NET_CALENDAR_YEAR_MISSING: a deadline reaching 2027 (no file) is refused with the year',
  async (t) => {
    t.same(dueAfterWorkingDays(calendar, '2026-12-28', WORKING_DAYS.installation), {
      ok: false,
      code: 'HQ_NET_CALENDAR_YEAR_MISSING',
      year: 2027,
    });
    t.same(dueAfterWorkingDays(realCalendar([2026]), '2025-12-30', 1), {
      ok: false,
      code: 'HQ_NET_CALENDAR_YEAR_MISSING',
      year: 2025,
    });
  },
);

const startDay = fc.integer({ min: dayNumberFromDate('2025-01-01'), max: dayNumberFromDate('2026-11-30') });
const count = fc.integer({ min: 1, max: 10 });

t.test('property: the due date is a working day, exactly N working days later, monotone', async (t) => {
  fc.assert(
    fc.property(startDay, count, (day, n) => {
      const start = dateFromDayNumber(day);
      const due = dueAfterWorkingDays(calendar, start, n);
      if (!due.ok) return false;
      if (!referenceWorking(due.dueDate)) return false;
      // Exactly n reference working days in (start, due].
      let working = 0;
      for (let d = day + 1; d <= dayNumberFromDate(due.dueDate); d++)
        if (referenceWorking(dateFromDayNumber(d))) working++;
      if (working !== n) return false;
      // Monotone in the start and in n.
      const later = dueAfterWorkingDays(calendar, dateFromDayNumber(day + 1), n);
      const more = dueAfterWorkingDays(calendar, start, n + 1);
      return later.ok && more.ok && later.dueDate >= due.dueDate && more.dueDate > due.dueDate;
    }),
    { seed, numRuns: 400 },
  );
  t.pass('held for 400 random starts in 2025–2026');
});

t.test('property: a+b working days = b working days after the a-th', async (t) => {
  fc.assert(
    fc.property(startDay, count, count, (day, a, b) => {
      const first = dueAfterWorkingDays(calendar, dateFromDayNumber(day), a);
      if (!first.ok) return false;
      const chained = dueAfterWorkingDays(calendar, first.dueDate, b);
      const whole = dueAfterWorkingDays(calendar, dateFromDayNumber(day), a + b);
      return chained.ok && whole.ok && chained.dueDate === whole.dueDate;
    }),
    { seed, numRuns: 300 },
  );
  t.pass('held for 300 random cases');
});

t.test('quarters', async (t) => {
  t.same(quarterOf('2026-11-15'), { key: '2026-Q4', firstDate: '2026-10-01', lastDate: '2026-12-31' });
  t.same(quarterOf('2026-02-01'), { key: '2026-Q1', firstDate: '2026-01-01', lastDate: '2026-03-31' });
});
