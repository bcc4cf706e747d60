// Goal: the console's pure pieces beyond formatting: CSV export (BOM, quoting, no formula
// injection), the quota form's checks (R3, every problem at once, R21), which pages each role
// sees, and the message catalogue. Method: table cases and one fast-check property that a CSV
// written by toCsv reads back to the same cells.
import fc from 'fast-check';
import t from 'tap';
import { csvByteOrderMark, toCsv } from '../src/csv.js';
import { t as message } from '../src/i18n/messages.js';
import { zhCN } from '../src/i18n/zh-CN.js';
import { mayAcknowledge, pagesOf, roleNames } from '../src/navigation.js';
import { quotaFieldOf, quotaFormProblems } from '../src/quota-form.js';

/** A small RFC 4180 reader: the reference the property checks toCsv against. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const c = text[index];
    if (quoted) {
      if (c === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index += 1;
    } else cell += c;
  }
  return rows;
}

t.test('toCsv: BOM, header, quoting and CRLF', async (t) => {
  const text = toCsv(
    ['网点', '金额'],
    [
      ['S1', '¥1,234.50'],
      ['S"2', 'a\nb'],
    ],
  );
  t.ok(text.startsWith(csvByteOrderMark), 'starts with the UTF-8 BOM (Excel reads the Chinese headers)');
  t.equal(text, `${csvByteOrderMark}网点,金额\r\nS1,"¥1,234.50"\r\n"S""2","a\nb"\r\n`);
});

t.test('toCsv: a cell that would run as a formula is defused', async (t) => {
  const text = toCsv(['x'], [['=HYPERLINK("http://evil")'], ['+1'], ['-2'], ['@SUM(A1)'], ['\tx']]);
  const cells = readCsv(text.slice(1))
    .slice(1)
    .map((r) => r[0]);
  t.same(cells, [`'=HYPERLINK("http://evil")`, "'+1", "'-2", "'@SUM(A1)", "'\tx"]);
  t.equal(toCsv(['n'], [[-5]]).split('\r\n')[1], '-5', 'a number stays a number');
});

t.test('toCsv refuses a ragged table', async (t) => {
  t.throws(() => toCsv(['a', 'b'], [['1']]), RangeError);
  t.throws(() => toCsv([], []), RangeError);
});

t.test('property: what toCsv writes reads back cell for cell', async (t) => {
  const safeCell = fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s));
  fc.assert(
    fc.property(fc.array(fc.tuple(safeCell, safeCell), { maxLength: 8 }), (rows) => {
      const back = readCsv(toCsv(['a', 'b'], rows).slice(1));
      return JSON.stringify(back) === JSON.stringify([['a', 'b'], ...rows.map((r) => [...r])]);
    }),
  );
  t.pass('round trip held');
});

t.test('quota form: every problem at once (R21), the 500-yuan minimum (R3)', async (t) => {
  t.same(quotaFormProblems({ station: 'S1', amount: '600', receipt: 'R-1' }), {}, 'a good purchase');
  t.same(
    quotaFormProblems({ station: '', amount: 'abc', receipt: ' ' }),
    {
      station: message('quota.bad.station'),
      amount: message('quota.bad.amount'),
      receipt: message('quota.bad.receipt'),
    },
    'three problems, all listed',
  );
  t.equal(
    quotaFormProblems({ station: 'S1', amount: '499.99', receipt: 'R' }).amount,
    message('quota.bad.minimum'),
  );
  t.equal(
    quotaFormProblems({ station: 'S1', amount: '500', receipt: 'R' }).amount,
    undefined,
    '500.00 is enough',
  );
  t.equal(
    quotaFormProblems({ station: 'S1/../x', amount: '500', receipt: 'R' }).station,
    message('quota.bad.station'),
  );
  t.equal(
    quotaFormProblems({ station: 'S1', amount: '500', receipt: 'R'.repeat(65) }).receipt,
    message('quota.bad.receipt'),
  );
  t.equal(quotaFieldOf('body.amountYuan'), 'amount');
  t.equal(quotaFieldOf('amount'), 'amount');
  t.equal(quotaFieldOf('body.receipt'), 'receipt');
  t.equal(quotaFieldOf('stationId'), 'station');
  t.equal(quotaFieldOf(undefined), undefined);
});

t.test('navigation: each role sees its pages only', async (t) => {
  t.same(pagesOf('ecommerce'), [
    'overview',
    'stations',
    'network',
    'followups',
    'repairs',
    'alerts',
    'quota',
    'daily',
    'commissions',
  ]);
  t.same(pagesOf('supervision'), [
    'overview',
    'stations',
    'network',
    'inspections',
    'followups',
    'repairs',
    'complaints',
    'alerts',
    'daily',
    'commissions',
    'audit',
  ]);
  t.same(pagesOf('admin'), ['overview', 'stations', 'network', 'alerts']);
  t.same(pagesOf('branch'), ['overview', 'stations', 'network', 'repairs', 'complaints', 'alerts', 'daily']);
  t.same(pagesOf('nobody'), [], 'an unknown role sees nothing');
  for (const role of roleNames) {
    t.equal(
      pagesOf(role).includes('quota'),
      role === 'ecommerce',
      `${role}: quota only for the e-commerce centre`,
    );
    t.equal(pagesOf(role).includes('audit'), role === 'supervision', `${role}: audit only for supervision`);
    t.ok(zhCN[`role.${role}`].length > 0, `${role} has a zh-CN name`);
  }
  t.ok(mayAcknowledge('market') && !mayAcknowledge('finance'));
});

t.test('messages: placeholders are filled, unknown ones kept', async (t) => {
  t.equal(message('table.page', { page: 2, pages: 200, total: '10,000' }), '第 2 / 200 页,共 10,000 条');
  t.equal(message('quota.exists', {}), '该收据已登记过(未重复记账):{receipt}');
});
