// Goal: `hq release rollout create|start|pause|resume|cancel|show` work end to end on the
// configured SQLite store: a rollout of a published release is created, started, paused, resumed,
// shown in zh-CN with Beijing time, cancelled; an unpublished release and an illegal step are
// refused with their codes (exit 1) and write nothing. Method: runHq in-process with captured
// output against a temp config and a release store folder laid out as `hq release publish` does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runHq } from '../src/cli/run.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';

let dir: string;
let files: HqFiles;
let releasesDir: string;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hq-rollout-'));
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
  releasesDir = join(dir, 'release-store');
  mkdirSync(join(releasesDir, 'releases', '1.4.0-linux-arm64'), { recursive: true });
  writeFileSync(join(releasesDir, 'releases', '1.4.0-linux-arm64', 'published.json'), '{}\n');
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the test reads the CLI's JSON output loosely.
type Json = any;

async function hq(json: boolean, ...args: string[]): Promise<{ code: number; json: Json; out: string }> {
  let out = '';
  const code = await runHq([...args, '--config', files.configPath, ...(json ? ['--json'] : [])], {
    out: (s) => (out += s),
    err: (s) => (out += s),
  });
  let parsed: Json;
  try {
    parsed = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    parsed = undefined;
  }
  return { code, json: parsed, out };
}

const create = (release: string) =>
  hq(
    true,
    'release',
    'rollout',
    'create',
    'R1',
    '--release',
    release,
    '--stations',
    'S1,S2,S3',
    '--group-size',
    '2',
    '--success-percent',
    '100',
    '--error-percent',
    '0',
    '--station-timeout-min',
    '360',
    '--releases-dir',
    releasesDir,
    '--reason',
    '十二月版本',
  );

t.test('create, start, pause, resume, show, cancel; refusals with codes', async (t) => {
  const unknown = await create('9.9.9-linux-arm64');
  t.equal(unknown.code, 1);
  t.match(unknown.out, /HQ_ROLLOUT_RELEASE_UNKNOWN/);
  const created = await create('1.4.0-linux-arm64');
  t.equal(created.code, 0, created.out);
  t.equal(created.json.result.status, 'created');
  t.equal(created.json.result.groupCount, 2);
  const again = await create('1.4.0-linux-arm64');
  t.equal(again.code, 1);
  t.match(again.out, /HQ_ROLLOUT_ALREADY_EXISTS/);
  const resumeEarly = await hq(true, 'release', 'rollout', 'resume', 'R1');
  t.equal(resumeEarly.code, 1);
  t.match(resumeEarly.out, /HQ_ROLLOUT_TRANSITION_ILLEGAL/);
  const started = await hq(false, 'release', 'rollout', 'start', 'R1', '--reason', '已审批');
  t.equal(started.code, 0, started.out);
  t.match(started.out, /发布批次 R1：进行中，第 1\/2 组/);
  t.equal((await hq(true, 'release', 'rollout', 'pause', 'R1')).json.result.status, 'paused');
  t.equal((await hq(true, 'release', 'rollout', 'resume', 'R1')).json.result.status, 'running');
  const shown = await hq(false, 'release', 'rollout', 'show', 'R1');
  t.equal(shown.code, 0);
  t.match(shown.out, /S1 {2}第 1 组 {2}已推送/);
  t.match(shown.out, /S3 {2}第 2 组 {2}待推送/);
  t.match(shown.out, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}start {2}\S+：已审批/, 'who, when (Beijing), why');
  t.equal((await hq(true, 'release', 'rollout', 'cancel', 'R1')).json.result.status, 'cancelled');
  const missing = await hq(true, 'release', 'rollout', 'show', 'R-none');
  t.equal(missing.code, 1);
  t.match(missing.out, /HQ_ROLLOUT_NOT_FOUND/);
  const shownJson = await hq(true, 'release', 'rollout', 'show', 'R1');
  t.same(
    shownJson.json.result.history.map((r: Json) => r.kind),
    ['create', 'start', 'pause', 'resume', 'cancel'],
    'refusals wrote nothing',
  );
});
