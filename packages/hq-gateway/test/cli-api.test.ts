// Goal: the CLI side of the HQ API (issue 11): `hq user add` reads the password from a 0600 file
// (a wider mode is refused, HQ_USER_INVALID) and the user can then log in through the same
// application layer; a user added twice is HQ_USER_EXISTS; `hq report daily --format csv` prints
// the API's CSV (BOM, zh-CN headers); the config's `http` block and webhook URL are checked at the
// edge. Method: runHq in-process with captured output against a temp config and SQLite store.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteOpsStore } from '../src/adapters/sqlite/ops-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { LoginLimiter } from '../src/app/login-limiter.js';
import { UserService } from '../src/app/users.js';
import { runHq } from '../src/cli/run.js';
import { checkHqConfig } from '../src/config.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';
import { SimStation } from './helpers/station-sim.js';

let dir: string;
let files: HqFiles;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hq-cli-api-'));
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the test reads the CLI's JSON output loosely.
type Json = any;

async function hq(...args: string[]): Promise<{ code: number; out: string; json: Json }> {
  let out = '';
  const code = await runHq(args, { out: (s) => (out += s), err: () => {} });
  let json: Json;
  try {
    json = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    json = undefined;
  }
  return { code, out, json };
}

t.test('hq user add: password from a 0600 file; the user logs in', async (t) => {
  const secret = join(dir, 'pw');
  writeFileSync(secret, 'zhang wei long password\n', { mode: 0o600 });
  const added = await hq(
    'user',
    'add',
    '--user',
    'zhang.wei',
    '--role',
    'branch',
    '--branch',
    'B7',
    '--password-file',
    secret,
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(added.code, 0, added.out);
  t.match(added.json.result, { userName: 'zhang.wei', role: 'branch', branchId: 'B7' });
  t.notMatch(added.out, /long password|scrypt/, 'neither the password nor its hash is printed');
  const store = new SqliteStore({ path: files.dbPath });
  try {
    const users = new UserService(
      new SqliteOpsStore(store.db),
      { nowMs: () => Date.now() },
      new LoginLimiter({ nowMs: () => 0 }),
    );
    const session = await users.login('zhang.wei', 'zhang wei long password', '127.0.0.1');
    t.match(session.actor, { userName: 'zhang.wei', role: 'branch', branchId: 'B7' });
    await t.rejects(users.login('zhang.wei', 'wrong', '127.0.0.1'), { code: 'HQ_AUTH_FAILED' });
    const audit = await new SqliteOpsStore(store.db).auditRows({ action: 'user.add', limit: 5 });
    t.match(audit, [{ actor: /^cli:/, target: 'zhang.wei', detail: { role: 'branch' } }]);
  } finally {
    await store.close();
  }
  const twice = await hq(
    'user',
    'add',
    '--user',
    'zhang.wei',
    '--role',
    'finance',
    '--password-file',
    secret,
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(twice.code, 1);
  t.equal(twice.json.problems[0].code, 'HQ_USER_EXISTS');
});

t.test('hq user add: refuses a readable password file and missing flags', async (t) => {
  const open = join(dir, 'pw-open');
  writeFileSync(open, 'another long password\n');
  chmodSync(open, 0o644);
  const refused = await hq(
    'user',
    'add',
    '--user',
    'li.na',
    '--role',
    'finance',
    '--password-file',
    open,
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(refused.code, 1);
  t.match(refused.json.problems, [{ code: 'HQ_USER_INVALID', field: '--password-file' }]);
  const usage = await hq('user', 'add', '--user', 'li.na', '--config', files.configPath, '--json');
  t.equal(usage.code, 2);
  t.match(usage.json.problems, [{ code: 'HQ_CLI_USAGE', field: '--role' }]);
});

t.test(
  'hq station enrol: audited, and the station-control version changes for a running gateway',
  async (t) => {
    const file = join(dir, 'enrol.json');
    writeFileSync(file, JSON.stringify(new SimStation('C1').enrolmentRequest()));
    const readVersion = async (): Promise<string> => {
      const store = new SqliteStore({ path: files.dbPath });
      try {
        return await new SqliteOpsStore(store.db).stationControlVersion();
      } finally {
        await store.close();
      }
    };
    const before = await readVersion();
    const enrolled = await hq('station', 'enrol', file, '--config', files.configPath, '--json');
    t.equal(enrolled.code, 0, enrolled.out);
    t.not(await readVersion(), before, 'version bumped');
    const store = new SqliteStore({ path: files.dbPath });
    try {
      const audit = await new SqliteOpsStore(store.db).auditRows({ action: 'station.enrol', limit: 5 });
      t.match(audit, [{ actor: /^cli:/, role: 'cli', target: 'C1', detail: { outcome: 'enrolled' } }]);
    } finally {
      await store.close();
    }
  },
);

t.test('hq report daily --format csv: the API writer', async (t) => {
  const csv = await hq(
    'report',
    'daily',
    '--date',
    '2026-11-28',
    '--format',
    'csv',
    '--config',
    files.configPath,
  );
  t.equal(csv.code, 0);
  t.ok(
    csv.out.startsWith(
      '\uFEFF营业日期,站点编号,业务种类,笔数,金额(元),手续费(元),对账结果,生成时间(北京时间)\r\n',
    ),
  );
  const bad = await hq('report', 'daily', '--format', 'xls', '--config', files.configPath, '--json');
  t.equal(bad.code, 2);
  t.match(bad.json.problems, [{ field: '--format' }]);
});

t.test('config: the http block and webhook URL are checked', async (t) => {
  const base = { dbPath: 'x', brokerUrl: 'mqtt://h:1', clientId: 'c', hqKeyFile: 'k', calendarDir: 'c' };
  t.same(checkHqConfig({ ...base, http: { listen: '127.0.0.1:8080' } }, '/').http, {
    listen: '127.0.0.1:8080',
  });
  t.throws(
    () => checkHqConfig({ ...base, http: { listen: '8080', tls: true }, alertWebhookUrl: 'ftp://x' }, '/'),
    {
      code: 'HQ_CONFIG_INVALID',
      problems: [{ field: 'http.tls' }, { field: 'http.listen' }, { field: 'alertWebhookUrl' }],
    },
  );
  t.throws(() => checkHqConfig({ ...base, http: 'on' }, '/'), { code: 'HQ_CONFIG_INVALID' });
});
