// Goal: R4 across processes (issue 11): a lifecycle step made with the CLI (`hq network propose`,
// `survey`, `step`) bumps the store's station-control version, so a running gateway applies the
// station's block at its next StationControlSync poll; a read (`network show`) does not. Method:
// runHq in-process against a temp SQLite config, the version read with the SQLite ops store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteOpsStore } from '../src/adapters/sqlite/ops-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { runHq } from '../src/cli/run.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';

let dir: string;
let files: HqFiles;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hq-net-control-'));
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function hq(...args: string[]): Promise<number> {
  let out = '';
  const code = await runHq([...args, '--config', files.configPath], {
    out: (s) => (out += s),
    err: (s) => (out += s),
  });
  if (code !== 0) t.comment(out);
  return code;
}

async function controlVersion(): Promise<string> {
  const store = new SqliteStore({ path: files.dbPath });
  try {
    return await new SqliteOpsStore(store.db).stationControlVersion();
  } finally {
    await store.close();
  }
}

t.test('a CLI lifecycle step tells the running gateway; a read does not', async (t) => {
  const before = await controlVersion();
  t.equal(
    await hq(
      'network',
      'propose',
      'C1',
      '--branch-id',
      'B1',
      '--name',
      '西街站',
      '--lat',
      '30',
      '--lon',
      '100',
    ),
    0,
  );
  const afterPropose = await controlVersion();
  t.not(afterPropose, before, 'the proposal bumped it');
  t.equal(await hq('network', 'show', 'C1'), 0);
  t.equal(await controlVersion(), afterPropose, 'a read leaves the version');
  t.equal(await hq('network', 'step', 'C1', 'closed', '--data', '{"notes":"撤销"}'), 0);
  t.not(await controlVersion(), afterPropose, 'the closure bumped it');
});
