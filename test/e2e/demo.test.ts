// Goal: `npm run demo` — the product's main job — runs end to end with two stations and says so:
// exit code 0, every station reconciled with no difference (账账相符), the bank's settlement equal
// to HQ's posted withdrawals and the declared cash checked (账实相符, R8): the last station's
// drawer, scripted ¥50.00 short, is found and explained in zh-CN; HQ totals equal kiosk totals, the
// scripted events shown (wrong PIN declined, authorisation timeout reversed, over-quota bill
// refused with both reasons, outage drained), money formatted for people, and where the data
// lives; then HQ's operations scene (a station opened with its deadlines, an R12 refusal, an
// overdue inspection, a complaint answered, last month's commission run). Method: the demo orchestrator (scripts/demo/main.ts) run as a child process through tsx,
// exactly as scripts/demo.sh runs it (bootstrap aside), its output checked line by line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

const repoRoot = join(import.meta.dirname, '..', '..');

t.test('the demo with --stations 2: exit 0 and a summary that shows every invariant holds', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo/main.ts', '--stations', '2', '--seed', '7'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  t.equal(code, 0, `exit code 0${code === 0 ? '' : `\n${stdout}\n${stderr}`}`);
  for (const station of ['ZJ-001', 'ZJ-002']) {
    t.match(
      stdout,
      new RegExp(`Station ${station}\\s+reconciliation: OK`),
      `${station} reconciled with no difference`,
    );
  }
  t.notMatch(stdout, /ZJ-003/, 'two stations only');
  t.match(stdout, /All invariants hold/, 'every invariant holds');
  t.match(
    stdout,
    /Station ZJ-001[\s\S]*账实相符 \(R8\): no difference; bank settled (\d+) withdrawal\(s\) ¥[\d,.]+, HQ posted \1 ¥[\d,.]+; cash declared ¥[\d,.]+, expected ¥[\d,.]+/,
    'ZJ-001: bank settlement = HQ, declared cash = expected (R8 账实相符)',
  );
  t.match(
    stdout,
    /Station ZJ-002[\s\S]*账实相符 \(R8\): 1 difference\(s\)[\s\S]*HQ_RECON_CASH_SHORT \S+: 现金短款 ¥50\.00：申报 ¥[\d,.]+，应有 ¥[\d,.]+/,
    'ZJ-002: the scripted ¥50.00 short drawer is found and explained',
  );
  t.match(
    stdout,
    /daily close sent with the drawer count ¥[\d,.]+ \(float ¥10,000\.00; the drawer is ¥50\.00 short\)/,
  );
  t.match(stdout, /withdrawal ¥500\.00 \(card 3\): DECLINED/, 'the wrong PIN is declined by the bank');
  t.match(stdout, /: REVERSED/, 'the timed-out authorisation is reversed');
  t.match(
    stdout,
    /REFUSED \(2 reasons\)[\s\S]*AGENT_TX_OUTSIDE_SERVICE_HOURS[\s\S]*AGENT_TX_QUOTA_EXCEEDED/,
    'the over-quota bill is refused with every reason (R21)',
  );
  t.match(stdout, /outbox drained in order/, 'the outage drains');
  t.match(stdout, /¥\d{1,3}(,\d{3})*\.\d{2}/, 'money formatted for people');
  t.match(stdout, /HQ store \(SQLite\): \/\S+hq\.sqlite/, 'where the data lives');
  // HQ operations (issue 11), on HQ's own store after the day.
  t.match(stdout, /ZJ-202 已开业/, 'a station proposed, surveyed and opened');
  t.match(stdout, /HQ_NET_TOO_CLOSE: R12: station ZJ-202 is 600 m away/, 'the R12 refusal with its distance');
  t.match(stdout, /监督检查部 ZJ-201 2026-Q3 on-site inspection/, 'an inspection overdue');
  t.match(stdout, /投诉 TS-2026-017 .*书面答复/, 'a complaint answered');
  t.match(
    stdout,
    /2026年11月 佣金计算 \(草稿\)：2 个站点/,
    "last month's commission run over the day's stations",
  );
  t.notMatch(stdout, /BROKEN/, 'no broken expectation');
});
