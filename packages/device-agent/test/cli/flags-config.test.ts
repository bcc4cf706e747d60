// Goal: the CLI's edges: wrong commands and flags give stable codes, all problems at once (R21),
// --help works everywhere, --json always prints parseable JSON, and `kiosk config check` reports
// every mistake of a config full of them. Method: in-process runs with captured output, plus one
// run of the real bin through tsx to check the process wiring and exit code.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { commands } from '../../src/cli/run.js';
import { runCli } from './kiosk-setup.js';

const dir = mkdtempSync(join(tmpdir(), 'bianmin-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = process.env.BIANMIN_LOG_DIR === undefined ? {} : { BIANMIN_LOG_DIR: process.env.BIANMIN_LOG_DIR };

function codesOf(out: string): string[] {
  return (JSON.parse(out) as { problems: Array<{ code: string }> }).problems.map((problem) => problem.code);
}

t.test('help: general and per command', async (t) => {
  const general = await runCli(['--help']);
  t.equal(general.code, 0);
  for (const command of commands) {
    t.match(general.out, `kiosk ${command.usage}`);
    const help = await runCli([...command.name.split(' '), '--help']);
    t.equal(help.code, 0, command.name);
    t.match(help.out, /Usage: kiosk /);
    t.match(help.out, /--json/);
  }
});

t.test('unknown command and wrong flags: stable codes, every problem at once', async (t) => {
  const unknown = await runCli(['frobnicate', '--json']);
  t.equal(unknown.code, 2);
  t.same(codesOf(unknown.out), ['AGENT_CLI_UNKNOWN_COMMAND']);
  const partial = await runCli(['config']);
  t.equal(partial.code, 2);
  t.match(partial.err, /AGENT_CLI_UNKNOWN_COMMAND/);

  const flags = await runCli(['doctor', '--bogus', '--json=yes', '--also-bogus', '--config']);
  t.equal(flags.code, 2);
  t.match(flags.err, /4 problems/);
  t.match(flags.err, /--bogus: unknown flag --bogus/);
  t.match(flags.err, /--json: --json takes no value/);
  t.match(flags.err, /--also-bogus: unknown flag/);
  t.match(flags.err, /--config: --config needs a value/);

  const json = await runCli(['doctor', '--bogus', '--json']);
  t.same(codesOf(json.out), ['AGENT_CLI_BAD_FLAG'], 'with --json the problems are JSON on stdout');

  const missing = await runCli(['config', 'check', '--json']);
  t.same(codesOf(missing.out), ['AGENT_CLI_MISSING_ARGUMENT']);

  const test = await runCli(['test', 'toaster', '--wait-ms', '0', '--json']);
  t.equal(test.code, 2);
  t.same(codesOf(test.out), ['AGENT_CLI_MISSING_ARGUMENT', 'AGENT_CLI_BAD_ARGUMENT']);

  const keys = await runCli([
    'keys',
    'load',
    '0123456789ABCDEF0123456789ABCDEF',
    '--components',
    '7',
    '--config',
    join(dir, 'none.json'),
    '--json',
  ]);
  t.equal(keys.code, 2);
  t.same(codesOf(keys.out), [
    'AGENT_CLI_BAD_ARGUMENT',
    'AGENT_CLI_BAD_ARGUMENT',
    'AGENT_CONFIG_FILE_MISSING',
  ]);
  t.notMatch(keys.out, /0123456789ABCDEF0123456789ABCDEF/, 'a component typed as an argument is not echoed');

  const provision = await runCli(['provision', 'extra', '--json']);
  t.same(codesOf(provision.out), ['AGENT_CLI_BAD_ARGUMENT']);
});

t.test('config check: a file full of mistakes, all reported at once', async (t) => {
  const path = join(dir, 'bad.json');
  writeFileSync(
    path,
    JSON.stringify({
      station: { id: 'bad id with spaces', orgcode: 'x' },
      serial: {
        cardReader: { path: '/nonexistent/dev/ttyUSB9', baudRate: 12345 },
        pinPad: { path: 'relative/tty', baudRate: '115200' },
      },
      token: {
        modulePath: '/nonexistent/libpkcs11.so',
        keyLabel: 7,
        userPin: { file: '/nonexistent/pin', env: 'PIN' },
        pin: '1234',
      },
      mqtt: { url: 'http://hq.example' },
      journal: { path: '/nonexistent-dir/kiosk.db' },
      operatorApi: {},
      hq: 'nope',
      log: { dir: '/nonexistent-dir/deeper/log', level: 'loud' },
      extra: true,
    }),
  );
  const run = await runCli(['config', 'check', path, '--json']);
  t.equal(run.code, 1);
  const problems = (JSON.parse(run.out) as { problems: Array<{ code: string; key: string }> }).problems;
  t.same(
    problems.map((problem) => `${problem.code} ${problem.key}`),
    [
      'AGENT_CONFIG_UNKNOWN_KEY extra',
      'AGENT_CONFIG_UNKNOWN_KEY station.orgcode',
      'AGENT_CONFIG_BAD_VALUE station.id',
      'AGENT_CONFIG_MISSING_KEY station.orgCode',
      'AGENT_CONFIG_BAD_VALUE serial.cardReader.baudRate',
      'AGENT_CONFIG_BAD_VALUE serial.pinPad.path',
      'AGENT_CONFIG_BAD_TYPE serial.pinPad.baudRate',
      'AGENT_CONFIG_UNKNOWN_KEY token.pin',
      'AGENT_CONFIG_BAD_TYPE token.keyLabel',
      'AGENT_CONFIG_BAD_VALUE mqtt.url',
      'AGENT_CONFIG_MISSING_KEY operatorApi.socketPath',
      'AGENT_CONFIG_BAD_TYPE hq',
      'AGENT_CONFIG_BAD_VALUE log.level',
      'AGENT_CONFIG_MISSING_KEY token.label',
      'AGENT_CONFIG_BAD_VALUE token.userPin',
      'AGENT_CONFIG_PATH_MISSING serial.cardReader.path',
      'AGENT_CONFIG_PATH_MISSING token.modulePath',
      'AGENT_CONFIG_PATH_MISSING token.userPin.file',
      'AGENT_CONFIG_PATH_UNREACHABLE journal.path',
      'AGENT_CONFIG_PATH_UNREACHABLE log.dir',
    ],
  );
  const text = await runCli(['config', 'check', path]);
  t.match(text.err, /20 problems/);

  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{ "station": ');
  t.same(codesOf((await runCli(['config', 'check', notJson, '--json'])).out), ['AGENT_CONFIG_NOT_JSON']);
  // Where the JSON breaks, as the technician's editor counts: line and column (issue 13).
  const trailingComma = join(dir, 'trailing-comma.json');
  writeFileSync(trailingComma, '{\n  "station": { "id": "ST-1" },\n  }\n');
  const placed = JSON.parse((await runCli(['config', 'check', trailingComma, '--json'])).out);
  t.match(placed.problems[0], {
    code: 'AGENT_CONFIG_NOT_JSON',
    message: /^line 3, column 3: Expected double-quoted property name$/,
  });
  const cut = JSON.parse((await runCli(['config', 'check', notJson, '--json'])).out);
  t.match(cut.problems[0].message, /^line 1, column 14: Unexpected end of JSON input$/, 'cut short: the end');
  t.same(codesOf((await runCli(['config', 'check', join(dir, 'absent.json'), '--json'])).out), [
    'AGENT_CONFIG_FILE_MISSING',
  ]);
});

t.test('config check: a good config passes', async (t) => {
  for (const sub of ['log', 'run', 'journal']) mkdirSync(join(dir, sub), { recursive: true });
  const pemPath = join(dir, 'hq.pem');
  const pinPath = join(dir, 'pin');
  writeFileSync(pemPath, 'x');
  writeFileSync(pinPath, '1234\n');
  const good = {
    station: { id: 'ST-0001', orgCode: '3301000001' },
    serial: { cardReader: { path: '/dev/null' }, pinPad: { path: '/dev/null', parity: 'none', stopBits: 1 } },
    token: {
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      serial: 'abc',
      keyLabel: 'k',
      userPin: { env: 'BIANMIN_TOKEN_PIN' },
    },
    mqtt: { url: 'mqtts://hq.example:8883', tls: { caPath: pemPath } },
    journal: { path: join(dir, 'journal', 'kiosk.db') },
    operatorApi: { socketPath: join(dir, 'run', 'op.sock') },
    hq: { configPublicKeyPath: pemPath },
    log: { dir: join(dir, 'log', 'new-subdir') },
  };
  const path = join(dir, 'good.json');
  writeFileSync(path, JSON.stringify(good));
  const run = await runCli(['config', 'check', path, '--json', '--provision']);
  t.equal(run.code, 0, run.out);
  t.equal(JSON.parse(run.out).ok, true);
  const text = await runCli(['config', 'check', path, '--provision']);
  t.match(text.out, /is valid/);
  // Without --provision it is the agent's own loader: the files only the running agent needs.
  const asAgent = await runCli(['config', 'check', path, '--json']);
  t.equal(asAgent.code, 1);
  t.same(codesOf(asAgent.out), ['AGENT_CONFIG_MISSING_KEY', 'AGENT_CONFIG_MISSING_KEY']);
  // Under systemd the agent logs to stdout for journald: log.dir may be left out (issue 13).
  const journald = join(dir, 'journald.json');
  writeFileSync(journald, JSON.stringify({ ...good, log: { level: 'info' } }));
  const noDir = await runCli(['config', 'check', journald, '--json', '--provision']);
  t.equal(noDir.code, 0, noDir.out);
});

t.test('config check: the agent secret files and TPK key id (paths, never values)', async (t) => {
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'x', { mode: 0o600 });
  const base = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
  const withAgentKeys = {
    ...base,
    station: { ...base.station, cardTokenKeyFile: secret },
    serial: { ...base.serial, pinPad: { ...base.serial.pinPad, tpkKeyId: 'TPK-2026' } },
    mqtt: { ...base.mqtt, passwordFile: secret },
    operatorApi: { ...base.operatorApi, tokenFile: secret },
  };
  const good = join(dir, 'agent-good.json');
  writeFileSync(good, JSON.stringify(withAgentKeys));
  t.equal((await runCli(['config', 'check', good, '--json'])).code, 0);
  // The agent's start-up check through config check: a secret others can read (the same code).
  const exposedSecret = join(dir, 'exposed-secret');
  writeFileSync(exposedSecret, 'x', { mode: 0o644 });
  chmodSync(exposedSecret, 0o644);
  const exposed = join(dir, 'agent-exposed.json');
  writeFileSync(
    exposed,
    JSON.stringify({ ...withAgentKeys, mqtt: { ...withAgentKeys.mqtt, passwordFile: exposedSecret } }),
  );
  const exposedRun = await runCli(['config', 'check', exposed, '--json']);
  t.equal(exposedRun.code, 1);
  t.same(codesOf(exposedRun.out), ['AGENT_SECRET_FILE_EXPOSED'], 'what the agent would refuse to start with');
  const bad = join(dir, 'agent-bad.json');
  writeFileSync(
    bad,
    JSON.stringify({
      ...withAgentKeys,
      station: { ...withAgentKeys.station, cardTokenKeyFile: join(dir, 'absent-key') },
      serial: { ...withAgentKeys.serial, pinPad: { ...withAgentKeys.serial.pinPad, tpkKeyId: 'bad id!' } },
      mqtt: { ...withAgentKeys.mqtt, password: 'secret-in-the-config' },
      operatorApi: { ...withAgentKeys.operatorApi, tokenFile: join(dir, 'absent-token') },
    }),
  );
  const run = await runCli(['config', 'check', bad, '--json']);
  t.equal(run.code, 1);
  const problems = (JSON.parse(run.out) as { problems: Array<{ code: string; key: string }> }).problems;
  t.same(problems.map((problem) => `${problem.code} ${problem.key}`).sort(), [
    'AGENT_CONFIG_BAD_VALUE serial.pinPad.tpkKeyId',
    'AGENT_CONFIG_PATH_MISSING operatorApi.tokenFile',
    'AGENT_CONFIG_PATH_MISSING station.cardTokenKeyFile',
    'AGENT_CONFIG_UNKNOWN_KEY mqtt.password',
  ]);
});

t.test('keys load without a terminal: AGENT_CLI_NOT_A_TTY', async (t) => {
  const run = await runCli(['keys', 'load', '--config', join(dir, 'good.json'), '--json'], {
    stdin: new PassThrough(),
  });
  t.equal(run.code, 1);
  t.same(codesOf(run.out), ['AGENT_CLI_NOT_A_TTY']);
});

t.test('the real bin: exit code and JSON through a process', async (t) => {
  const bin = fileURLToPath(new URL('../../src/cli/kiosk.ts', import.meta.url));
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', bin, 'config', 'check', join(dir, 'absent.json'), '--json'],
    {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    },
  );
  t.equal(run.status, 1);
  t.same(codesOf(run.stdout), ['AGENT_CONFIG_FILE_MISSING']);
  const help = execFileSync(process.execPath, ['--import', 'tsx', bin], { encoding: 'utf8' });
  t.match(help, /kiosk: the field technician CLI/);
});
