// Goal: `hq report statistics|commission` print the R16 statistics and the R10/R11 commission list
// for people: zh-CN text with yuan by default, and with --format csv the API's writer (UTF-8 BOM,
// zh-CN headers, yuan); a bad month or format is a usage error naming the flag, a month with no
// run is HQ_NET_NOT_FOUND. Method: runHq in-process with captured output against a temp SQLite
// config (no broker: these commands publish nothing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runHq } from '../src/cli/run.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';

let dir: string;
let files: HqFiles;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hq-report-net-'));
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function hq(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runHq([...args, '--config', files.configPath], {
    out: (s) => (out += s),
    err: (s) => (out += s),
  });
  return { code, out };
}

t.test('statistics and commission reports: text and CSV', async (t) => {
  t.equal(
    (await hq('network', 'branch-add', 'B1', '--name', '城关支局', '--lat', '31.5', '--lon', '104.7')).code,
    0,
  );
  const data = JSON.stringify({
    month: '2026-10',
    stationsOpened: 2,
    stationsClosed: 0,
    lines: [{ stationId: 'S1', businessType: 'DISTRIBUTION', revenueFen: 123_456 }],
  });
  const submitted = await hq(
    'statistics',
    'submit',
    'B1',
    '--data',
    data,
    '--role',
    'branch',
    '--branch',
    'B1',
  );
  t.equal(submitted.code, 0, submitted.out);
  t.equal((await hq('commission', 'run', '--month', '2026-10', '--role', 'ecommerce')).code, 0);

  const text = await hq('report', 'statistics', '--month', '2026-10');
  t.equal(text.code, 0, text.out);
  t.match(text.out, /2026-10 月度发展统计/);
  t.match(text.out, /S1\s+分销 ¥1,234\.56/);
  const csv = await hq('report', 'statistics', '--month', '2026-10', '--format', 'csv');
  t.equal(csv.out.charCodeAt(0), 0xfeff, 'BOM');
  t.match(csv.out, /^\uFEFF月份,支局,新开站点数/);
  t.match(csv.out, /\r\n2026-10,B1,2,0,S1,分销,1234\.56,/);

  const list = await hq('report', 'commission', '--month', '2026-10');
  t.equal(list.code, 0, list.out);
  t.match(list.out, /2026-10 佣金清单 \(草稿/);
  t.match(list.out, /S1\s+分销\s+营业额 ¥1,234\.56 佣金 ¥61\.72/, 'DISTRIBUTION 5% in yuan');
  const listCsv = await hq('report', 'commission', '--month', '2026-10', '--format', 'csv');
  t.match(listCsv.out, /^\uFEFF月份,站点编号,支付方式,项目,营业额\(元\),佣金\(元\)/);
  t.match(listCsv.out, /2026-10,S1,经支局支付,分销,1234\.56,61\.72,/);
  t.match(listCsv.out, /2026-10,S1,经支局支付,应付合计,,61\.72,否,0\.00,/);
});

t.test('refusals: a bad month or format names the flag; no run is HQ_NET_NOT_FOUND', async (t) => {
  const bad = await hq('report', 'commission', '--month', '2026-13', '--format', 'xls');
  t.equal(bad.code, 2);
  t.match(bad.out, /--month/);
  t.match(bad.out, /--format must be text or csv/);
  const none = await hq('report', 'commission', '--month', '2025-01');
  t.equal(none.code, 1);
  t.match(none.out, /HQ_NET_NOT_FOUND/);
});
