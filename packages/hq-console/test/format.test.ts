// Goal: the console's one home for money, date and time text (src/format.ts) shows what HQ's people
// expect (¥1,234.50 from integer fen, 2026年12月4日, 24-hour Beijing time) and refuses what is not
// money or an instant. Method: table cases, then fast-check properties against slow, obviously
// correct references (BigInt string arithmetic for yuan; Intl with Asia/Shanghai for dates);
// fast-check prints the seed of a failure so it replays.
import fc from 'fast-check';
import t from 'tap';
import {
  beijingIsoDate,
  fenToYuanText,
  formatBusinessDateZh,
  formatCount,
  formatDateTimeZh,
  formatDateZh,
  formatFen,
  formatTimeZh,
  parseYuanToFen,
} from '../src/format.js';

t.test('formatFen: table', async (t) => {
  const cases: Array<[number | bigint, string]> = [
    [0, '¥0.00'],
    [5, '¥0.05'],
    [100, '¥1.00'],
    [123450, '¥1,234.50'],
    [50_000, '¥500.00'],
    [-5, '-¥0.05'],
    [-123450, '-¥1,234.50'],
    [100_000_000_00, '¥100,000,000.00'],
    [Number.MAX_SAFE_INTEGER, '¥90,071,992,547,409.91'],
    [12345678901234567890n, '¥123,456,789,012,345,678.90'],
  ];
  for (const [fen, text] of cases) t.equal(formatFen(fen), text, `${fen} fen`);
});

t.test('formatFen refuses what is not whole fen (R1)', async (t) => {
  for (const bad of [0.5, 1.005, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
    t.throws(() => formatFen(bad), RangeError, `${bad}`);
    t.throws(() => fenToYuanText(bad), RangeError, `${bad} as yuan text`);
  }
});

t.test('parseYuanToFen: table', async (t) => {
  const cases: Array<[string, number | null]> = [
    ['600', 60_000],
    ['600.5', 60_050],
    ['600.50', 60_050],
    [' 500.00 ', 50_000],
    ['1,234.50', 123_450],
    ['0.01', 1],
    ['', null],
    ['abc', null],
    ['1.234', null],
    ['-5', null],
    ['1e3', null],
    ['12,34', null],
    ['0x10', null],
    ['600.', null],
    ['.5', null],
    ['99999999999999', null],
  ];
  for (const [text, fen] of cases) t.equal(parseYuanToFen(text), fen, JSON.stringify(text));
});

t.test('property: formatFen groups the BigInt reference, and parse(format(fen)) is fen', async (t) => {
  const reference = (fen: bigint): string => {
    const negative = fen < 0n;
    const digits = (negative ? -fen : fen).toString().padStart(3, '0');
    const whole = digits.slice(0, -2);
    let grouped = '';
    for (let index = 0; index < whole.length; index += 1) {
      if (index > 0 && (whole.length - index) % 3 === 0) grouped += ',';
      grouped += whole[index];
    }
    return `${negative ? '-' : ''}¥${grouped}.${digits.slice(-2)}`;
  };
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
      (fen) => formatFen(fen) === reference(fen),
    ),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9_999_999_999_999 }), (fen) => {
      const shown = formatFen(fen).slice(1);
      return parseYuanToFen(shown) === fen && parseYuanToFen(fenToYuanText(fen)) === fen;
    }),
  );
  t.pass('properties held');
});

t.test('dates and times in Beijing: table', async (t) => {
  const at = Date.UTC(2026, 11, 4, 6, 5, 7); // 14:05:07 in Beijing
  t.equal(formatDateZh(at), '2026年12月4日');
  t.equal(formatTimeZh(at), '14:05:07');
  t.equal(formatDateTimeZh(at), '2026年12月4日 14:05:07');
  const lateUtc = Date.UTC(2026, 11, 4, 16, 30, 0); // 00:30 on the 5th in Beijing
  t.equal(formatDateZh(lateUtc), '2026年12月5日', 'the Beijing day, not the UTC day');
  t.equal(formatTimeZh(lateUtc), '00:30:00', '24-hour clock');
  t.equal(beijingIsoDate(lateUtc), '2026-12-05');
  t.equal(formatDateTimeZh(0), '—', '0 means never');
  t.equal(formatBusinessDateZh('2026-01-09'), '2026年1月9日');
  t.throws(() => formatBusinessDateZh('2026-1-9'), RangeError);
  for (const bad of [-1, 1.5, Number.NaN, 5_000_000_000_000])
    t.throws(() => formatDateZh(bad), RangeError, `${bad}`);
  t.equal(formatCount(10000), '10,000');
  t.throws(() => formatCount(1.5), RangeError);
});

t.test('property: Beijing date and time agree with Intl (Asia/Shanghai)', async (t) => {
  const intl = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2099, 11, 31) }), (ms) => {
      const parts = Object.fromEntries(intl.formatToParts(ms).map((p) => [p.type, p.value]));
      const iso = `${parts.year}-${parts.month}-${parts.day}`;
      const time = `${parts.hour}:${parts.minute}:${parts.second}`;
      return (
        beijingIsoDate(ms) === iso &&
        formatTimeZh(ms) === time &&
        formatDateZh(ms) === `${Number(parts.year)}年${Number(parts.month)}月${Number(parts.day)}日`
      );
    }),
  );
  t.pass('agreed with Intl');
});
