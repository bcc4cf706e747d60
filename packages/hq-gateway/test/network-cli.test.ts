// Goal: the `hq` station-network commands work end to end on the configured store (SQLite; on
// PostgreSQL through network-cli-postgres.test.ts): a branch
// and a station proposed, surveyed, taken to open with `network step`, shown (R4: may transact),
// an R12 refusal listing the site with its distance (exit 1, every reason), an inspection, a
// complaint redacted for market and shown in full to supervision, the overdue list, a commission
// run re-run unchanged, and the year archive. Method: runHq in-process with captured output
// against a temp config (no broker: these commands publish nothing).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runHq } from '../src/cli/run.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';
import { type TestStore, testStoreConfig } from './helpers/test-store.js';

let dir: string;
let files: HqFiles;
let store: TestStore;
t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hq-network-'));
  store = await testStoreConfig();
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused', store.configExtra);
});
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await store.remove();
});

// biome-ignore lint/suspicious/noExplicitAny: the test reads the CLI's JSON output loosely.
type Json = any;

async function hq(...args: string[]): Promise<{ code: number; json: Json; out: string }> {
  let out = '';
  const code = await runHq([...args, '--config', files.configPath, '--json'], {
    out: (s) => (out += s),
    err: (s) => (out += s),
  });
  let json: Json;
  try {
    json = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    json = undefined;
  }
  return { code, json, out };
}

t.test('a station from proposal to open, refusals, oversight, complaint, commission, archive', async (t) => {
  t.equal(
    (await hq('network', 'branch-add', 'B1', '--name', '城关支局', '--lat', '31.50', '--lon', '104.73')).code,
    0,
  );
  const proposed = await hq(
    'network',
    'propose',
    'S1',
    '--branch-id',
    'B1',
    '--name',
    '东街便民站',
    '--lat',
    '31.46',
    '--lon',
    '104.73',
  );
  t.equal(proposed.code, 0, proposed.out);
  const close = await hq(
    'network',
    'propose',
    'S2',
    '--branch-id',
    'B1',
    '--name',
    'x',
    '--lat',
    '31.465',
    '--lon',
    '104.73',
  );
  t.equal(close.code, 1);
  t.match(close.out, /HQ_NET_TOO_CLOSE/);
  t.match(close.out, /station S1 is 556 m away/);
  const survey = await hq(
    'network',
    'survey',
    'S1',
    '--lat',
    '31.46',
    '--lon',
    '104.73',
    '--premises-m2',
    '20',
    '--terminal-m2',
    '2',
    '--signage',
    'yes',
    '--line',
    'yes',
    '--trading-months',
    '12',
  );
  t.equal(survey.code, 0, survey.out);
  const steps: [string, string][] = [
    ['applied', '{"receiptNumber":"R-1","documents":["business-licence","id-card"]}'],
    ['agreement-signed', '{"agreementNumber":"AG-1","copies":3}'],
    ['fee-settled', '{"mode":"free-place"}'],
    ['fitted-out', '{}'],
    ['debit-account-set', '{"accountMasked":"622202******1234"}'],
    ['installed', '{"ukKeySerial":"UK-1","trained":true}'],
    ['goods-delivered', '{}'],
    ['equipment-signed', '{}'],
  ];
  for (const [kind, data] of steps) {
    const step = await hq('network', 'step', 'S1', kind, '--data', data);
    t.equal(step.code, 0, `${kind}: ${step.out}`);
  }
  const notYet = await hq('network', 'show', 'S1');
  t.equal(notYet.json.result.mayTransact, false, 'R4: not before opening');
  t.equal(
    (await hq('network', 'step', 'S1', 'opened', '--data', '{"orgCode":"ORG-1","quotaAccount":"QA-1"}')).code,
    0,
  );
  const shown = await hq('network', 'show', 'S1');
  t.equal(shown.json.result.station.state, 'open');
  t.equal(shown.json.result.mayTransact, true);
  t.ok(shown.json.result.due.some((d: Json) => d.step === 'opening-follow-up-visit'));
  const illegal = await hq(
    'network',
    'step',
    'S1',
    'opened',
    '--data',
    '{"orgCode":"ORG-1","quotaAccount":"QA-1"}',
  );
  t.equal(illegal.code, 1);
  t.match(illegal.out, /HQ_NET_TRANSITION_ILLEGAL/);
  t.equal((await hq('inspection', 'record', 'S1', '--method', 'phone', '--findings', 'ok')).code, 0);
  const received = await hq(
    'complaint',
    'step',
    'C-1',
    'receive',
    '--data',
    '{"channel":"written","complainant":{"name":"李四","contact":"138"},"summary":"queue"}',
  );
  t.equal(received.code, 0, received.out);
  t.equal(received.json.result.complainant.name, '[confidential]');
  const full = await hq('complaint', 'show', 'C-1', '--role', 'supervision');
  t.equal(full.json.result.complainant.name, '李四');
  const overdue = await hq('network', 'overdue', '--date', '2030-01-01');
  t.equal(overdue.code, 0);
  t.ok(overdue.json.result.overdue.supervision.length > 0);
  const run = await hq('commission', 'run', '--month', '2026-11');
  t.equal(run.code, 0, run.out);
  const rerun = await hq('commission', 'run', '--month', '2026-11');
  t.equal(rerun.json.result.outcome, 'unchanged');
  const usage = await hq('network', 'propose', 'S3');
  t.equal(usage.code, 2, 'missing flags: usage error listing each');
  t.ok(['--branch-id', '--name', '--lat', '--lon'].every((f) => usage.out.includes(f)));
  const out = join(dir, 'archive.jsonl');
  const year = String(new Date().getUTCFullYear());
  const archived = await hq('archive', 'export', '--year', year, '--out', out);
  t.equal(archived.code, 0, archived.out);
  t.equal(readFileSync(out, 'utf8').trim().split('\n').length, archived.json.result.records);
  t.ok(archived.json.result.records >= 15);
});
