// Goal: the `hq` commands that write the operations side work with HQ's store on PostgreSQL and
// leave everything in the database (issue 11): `hq user add` (the user logs in through the same
// application layer from another process, the add is audited), `hq station enrol` (audited, the
// station-control version a running gateway polls changes), `hq report daily` and `hq status` read
// it; no SQLite file is written beside the config. Method: runHq in-process against a temp config
// naming a PostgreSQL database of its own (127.0.0.1:5432, dropped after); no PostgreSQL = a failure.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LoginLimiter } from '../src/app/login-limiter.js';
import { UserService } from '../src/app/users.js';
import { runHq } from '../src/cli/run.js';
import { verifyAuditChain } from '../src/domain/audit-chain.js';
import { openHqStore } from '../src/main.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';
import { SimStation } from './helpers/station-sim.js';
import { createTestDatabase } from './store-contract/factories.js';

let dir: string;
let files: HqFiles;
let url: string;
let drop: () => Promise<void>;
t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hq-cli-pg-'));
  const database = await createTestDatabase();
  url = database.url;
  drop = () => database.drop();
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused', {
    dbPath: undefined,
    store: { kind: 'postgres', url },
  });
});
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await drop();
});

// biome-ignore lint/suspicious/noExplicitAny: the test reads the CLI's JSON output loosely.
type Json = any;

async function hq(...args: string[]): Promise<{ code: number; out: string; json: Json }> {
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
  return { code, out, json };
}

t.test('user add, station enrol, report and status on PostgreSQL', async (t) => {
  const secret = join(dir, 'pw');
  writeFileSync(secret, 'wang fang long password\n', { mode: 0o600 });
  const added = await hq(
    'user',
    'add',
    '--user',
    'wang.fang',
    '--role',
    'finance',
    '--password-file',
    secret,
  );
  t.equal(added.code, 0, added.out);
  const other = await openHqStore({ kind: 'postgres', url });
  try {
    const users = new UserService(
      other.ops,
      { nowMs: () => Date.now() },
      new LoginLimiter({ nowMs: () => 0 }),
    );
    const session = await users.login('wang.fang', 'wang fang long password', '127.0.0.1');
    t.match(session.actor, { userName: 'wang.fang', role: 'finance' });
    const before = await other.ops.stationControlVersion();
    const file = join(dir, 'enrol.json');
    writeFileSync(file, JSON.stringify(new SimStation('PG1').enrolmentRequest()));
    const enrolled = await hq('station', 'enrol', file);
    t.equal(enrolled.code, 0, enrolled.out);
    t.not(await other.ops.stationControlVersion(), before, 'a running gateway sees the change');
    t.ok(await other.store.getStation('PG1'));
    const chain = await other.ops.auditChain();
    t.same(
      chain.map((r) => `${r.action} ${r.target}`),
      ['user.add wang.fang', 'station.enrol PG1'],
    );
    t.ok(verifyAuditChain(chain).ok);
  } finally {
    await other.close();
  }
  const report = await hq('report', 'daily', '--date', '2026-12-04');
  t.equal(report.code, 0, report.out);
  const status = await hq('status');
  t.equal(status.code, 0, status.out);
  t.notOk(
    readdirSync(dir).some((name) => name.endsWith('.sqlite')),
    'no SQLite file beside the config',
  );
});
