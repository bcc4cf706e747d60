// The technician's procedure of docs/operations.md, run for real against simulators (issue 13):
// a Mosquitto broker and `hq serve` stand in for HQ, socat PTY pairs with the card-reader and
// PIN-pad simulators for the devices, a SoftHSM token for the UK key. Every step runs the product's
// own command (`kiosk …` from packages/device-agent/dist, `hq …` from hq-gateway, the agent with its
// launcher's Node flags) and prints `$ command` then its real output: the transcript the doc
// quotes. test/field-procedure.test.ts runs it and checks every quoted line still appears, so the
// doc cannot rot. Run: `npx tsx scripts/field/procedure.ts` (build first: npx tsc -b). The work
// folder is printed as $WORK; everything started is stopped at the end, also on failure.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyPair } from '@bianmin/device-agent/testing';
import { agentNodeFlags } from '../../packages/device-agent/src/limits.ts';
import {
  runHqCli,
  startHqServe,
  stopGracefully,
  writeHqConfig,
} from '../../packages/hq-gateway/test/helpers/hq-process.ts';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { Cleanup } from '../demo/lib/cleanup.ts';
import { Simulator } from '../demo/lib/simulator.ts';
import { initKioskToken, softhsmModulePath } from '../demo/lib/softhsm.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const kioskCli = join(repoRoot, 'packages/device-agent/dist/cli/kiosk.js');
const agentMain = join(repoRoot, 'packages/device-agent/dist/main.js');
const STATION = 'ST-0042';
const ORG_CODE = '3301000042';
// Two TMK components as the mailers carry them (test values; a real pair never sits in a script).
const TMK_COMPONENTS = ['0123456789ABCDEF0123456789ABCDEF', 'FEDCBA9876543210FEDCBA9876543211'];

const work = mkdtempSync(join(tmpdir(), 'field-'));
const cleanup = new Cleanup();
const out: string[] = [];

function show(text: string): void {
  const shown = text.replaceAll(work, '$WORK');
  out.push(shown);
  process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
}

function run(
  label: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  show(`$ ${label}`);
  const child = spawn(command, args, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      if (stderr.trim() !== '') show(stderr.trimEnd());
      if (stdout.trim() !== '') show(stdout.trimEnd());
      show(`(exit ${code ?? -1})\n`);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
}

async function hq(label: string, args: string[]): Promise<{ code: number; stdout: string }> {
  show(`$ hq ${label}`);
  const result = await runHqCli(args);
  if (result.stderr.trim() !== '') show(result.stderr.trimEnd());
  if (result.stdout.trim() !== '') show(result.stdout.trimEnd());
  show(`(exit ${result.code})\n`);
  return result;
}

async function main(): Promise<number> {
  show('# The world: a broker, HQ (hq serve), two serial devices on PTYs, a UK key (SoftHSM)');
  const broker = await startMosquitto({ stationIds: [STATION] });
  cleanup.defer('broker', () => broker.close());
  const hqDir = join(work, 'hq');
  mkdirSync(hqDir);
  // R20: a real network keeps its hours (08:00 to 20:00 by default); this run opens the whole day so
  // that the first transaction goes through whatever the hour (hq.json's serviceHours).
  const hqFiles = writeHqConfig(hqDir, broker.url, broker.password('hq'), {
    serviceHours: { opensAt: '00:00', closesAt: '24:00', maintenance: [] },
  });
  const hqConfig = hqFiles.configPath;
  const serve = await startHqServe(hqConfig);
  cleanup.defer('hq serve', async () => {
    await stopGracefully(serve);
  });

  const etc = join(work, 'etc/bianmin');
  const lib = join(work, 'var/lib/bianmin');
  mkdirSync(etc, { recursive: true, mode: 0o750 });
  mkdirSync(lib, { recursive: true, mode: 0o750 });
  const token = initKioskToken(join(work, 'uk'), 'KIOSK-UK', '648219', '73519902');
  for (const sub of ['cr', 'pp']) mkdirSync(join(work, sub));
  const readerPty = await PtyPair.start(join(work, 'cr'));
  cleanup.defer('card-reader pty', () => readerPty.close());
  const padPty = await PtyPair.start(join(work, 'pp'));
  cleanup.defer('pin-pad pty', () => padPty.close());
  await Simulator.start(
    'card-reader',
    readerPty.devicePath,
    { identity: { model: 'SIM-CR100', serial: 'CR-000123', firmware: '2.1.0' }, cards: [] },
    join(work, 'cr.script.json'),
    cleanup,
  );
  await Simulator.start(
    'pin-pad',
    padPty.devicePath,
    { identity: { model: 'SIM-PP200', serial: 'PP-000456', firmware: '3.0.1' }, pins: [] },
    join(work, 'pp.script.json'),
    cleanup,
  );
  const env = { ...token.env, TZ: 'Asia/Shanghai' };

  show('\n# 1. The installed release');
  await run('kiosk --version', process.execPath, [kioskCli, '--version'], env);

  show('# 2. Configure');
  const secret = (name: string, value: string) => {
    const path = join(etc, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    return path;
  };
  writeFileSync(join(etc, 'hq-config.pub.pem'), hqFiles.hqPublicKeyPem);
  const configPath = join(etc, 'kiosk.json');
  const device = (path: string) => ({ path, baudRate: 115_200 });
  const config = {
    station: { id: STATION, orgCode: ORG_CODE, cardTokenKeyFile: secret('card-token-key', 'a1'.repeat(32)) },
    serial: { cardReader: device(readerPty.hostPath), pinPad: device(padPty.hostPath) },
    token: {
      modulePath: softhsmModulePath,
      label: 'KIOSK-UK',
      keyLabel: 'kiosk-signing',
      userPin: { file: token.userPinFile },
    },
    mqtt: { url: broker.url, passwordFile: secret('mqtt-password', broker.password(STATION)) },
    journal: { path: join(lib, 'kiosk.db') },
    operatorApi: {
      socketPath: join(lib, 'operator.sock'),
      tokenFile: secret('operator-token', 'field-operator-token-0042'),
    },
    hq: { configPublicKeyPath: join(etc, 'hq-config.pub.pem') },
    log: { level: 'info' },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o640 });
  await run(
    'kiosk config check $WORK/etc/bianmin/kiosk.json',
    process.execPath,
    [kioskCli, 'config', 'check', configPath],
    env,
  );

  show("# 3. Provision: the signing key on the UK key, the devices' serial numbers, the enrolment request");
  const provisioned = await run(
    `kiosk provision --config $WORK/etc/bianmin/kiosk.json --station-id ${STATION} --org-code ${ORG_CODE} > enrol-${STATION}.json`,
    process.execPath,
    [kioskCli, 'provision', '--config', configPath, '--station-id', STATION, '--org-code', ORG_CODE],
    env,
  );
  const enrolFile = join(work, `enrol-${STATION}.json`);
  writeFileSync(enrolFile, provisioned.stdout);

  show('# 4. At HQ: bind the key to the station, give it quota and its config');
  await hq(`station enrol enrol-${STATION}.json --config hq.json`, [
    'station',
    'enrol',
    enrolFile,
    '--config',
    hqConfig,
  ]);
  await hq(`quota purchase --station ${STATION} --fen 100000 --receipt QP-0042-01 --config hq.json`, [
    'quota',
    'purchase',
    '--station',
    STATION,
    '--fen',
    '100000',
    '--receipt',
    'QP-0042-01',
    '--config',
    hqConfig,
  ]);

  show("# 5. The PIN pad's master key from its two mailed components");
  const componentsFile = join(work, 'tmk.txt');
  writeFileSync(componentsFile, `${TMK_COMPONENTS.join('\n')}\n`, { mode: 0o600 });
  await run(
    'kiosk keys load --config $WORK/etc/bianmin/kiosk.json --components-file tmk.txt',
    process.execPath,
    [kioskCli, 'keys', 'load', '--config', configPath, '--components-file', componentsFile],
    env,
  );
  await hq(`key tmk --station ${STATION} --components-file tmk.txt --config hq.json`, [
    'key',
    'tmk',
    '--station',
    STATION,
    '--components-file',
    componentsFile,
    '--config',
    hqConfig,
  ]);
  rmSync(componentsFile);

  show('# 6. Check everything before the agent starts');
  await run(
    'kiosk doctor --config $WORK/etc/bianmin/kiosk.json',
    process.execPath,
    [kioskCli, 'doctor', '--config', configPath],
    env,
  );

  show('# 7. Start the agent (under systemd: systemctl enable --now bianmin-kiosk)');
  show(`$ kiosk-agent $WORK/etc/bianmin/kiosk.json   # node ${agentNodeFlags.join(' ')} …/dist/main.js`);
  const agent: ChildProcess = cleanup.child(
    spawn(process.execPath, [...agentNodeFlags, agentMain, configPath], {
      // As under systemd: JSON lines on stdout (journald), not into a log folder a test run names.
      env: Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'BIANMIN_LOG_DIR')),
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  cleanup.defer('agent', async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  });
  let agentLog = '';
  agent.stdout?.on('data', (chunk: Buffer) => {
    agentLog += chunk.toString('utf8');
  });
  agent.stderr?.on('data', (chunk: Buffer) => {
    agentLog += chunk.toString('utf8');
  });
  const txArgs = ['--socket', config.operatorApi.socketPath, '--token-file', config.operatorApi.tokenFile];
  // Ready when the operator API answers with the HQ config applied and the link online.
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (existsSync(config.operatorApi.socketPath)) {
      const status = await quiet([kioskCli, 'tx', 'status', ...txArgs, '--json'], env);
      if (/"configVersion":\s*[1-9]/.test(status) && /"link":\s*"online"/.test(status)) break;
    }
    if (agent.exitCode !== null) throw new Error(`the agent exited: ${agentLog.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const online = agentLog.split('\n').find((line) => line.includes('"msg":"link online"'));
  if (online !== undefined) show(online);
  show('');

  show("# 8. HQ sends the PIN pad its working key (R24); the kiosk answers the pad's KCV");
  await hq(`key load --station ${STATION} --key-id TPK-0042-1 --config hq.json`, [
    'key',
    'load',
    '--station',
    STATION,
    '--key-id',
    'TPK-0042-1',
    '--config',
    hqConfig,
  ]);

  // The agent logs the pad's answer (key id and KCV, never the key); HQ checks that KCV against the HSM's.
  for (let attempt = 0; attempt < 100 && !agentLog.includes('working key loaded'); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const loaded = agentLog.split('\n').find((line) => line.includes('working key loaded'));
  if (loaded !== undefined) show(`${loaded}\n`);

  show('# 9. The first transaction: an electricity bill of ¥50.00');
  const tx = (label: string, args: string[]) =>
    run(
      `kiosk tx ${label} --socket $WORK/var/lib/bianmin/operator.sock --token-file $WORK/etc/bianmin/operator-token`,
      process.execPath,
      [kioskCli, 'tx', ...args, ...txArgs],
      env,
    );
  await tx('bill ELECTRICITY SGCC-ZJ 1234567890 5000', [
    'bill',
    'ELECTRICITY',
    'SGCC-ZJ',
    '1234567890',
    '5000',
  ]);
  // Until HQ acknowledged it (the ack point moves), the event is only in the kiosk's outbox.
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const status = await quiet([kioskCli, 'tx', 'status', ...txArgs, '--json'], env);
    if (/"outboxDepth":\s*0\b/.test(status)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await tx('status', ['status']);

  show('# 10. What HQ sees');
  await hq('status --config hq.json', ['status', '--config', hqConfig]);
  return 0;
}

/** A command's stdout without showing it (readiness polls). */
function quiet(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  return new Promise((resolve) => child.once('exit', () => resolve(stdout)));
}

let code = 2;
try {
  code = await main();
} catch (error) {
  show(`procedure failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup.cleanup();
  rmSync(work, { recursive: true, force: true });
}
const outFile = process.argv.indexOf('--out');
if (outFile > 0 && process.argv[outFile + 1] !== undefined)
  writeFileSync(process.argv[outFile + 1]!, `${out.join('\n')}\n`);
process.exit(code);
