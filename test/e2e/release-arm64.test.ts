// Goal (issue 13): the arm64 release bundle works on an arm64 kiosk with nothing compiled there.
// `npm run release -- --arch arm64` builds it (addons cross-compiled, the arm64 Node runtime, the
// manifest signed by an HQ release key inside a SoftHSM token), then the bundle runs under
// qemu-user-static through binfmt: `kiosk --version`; `kiosk doctor` against the card-reader and
// PIN-pad simulators on socat PTYs, a real Mosquitto and the UK key on a SoftHSM token read by the
// arm64 SoftHSM library (unpacked by scripts/bootstrap.sh, never installed: see TOOLCHAIN's trap);
// then the agent (bin/kiosk-agent) takes one bill payment through the bundle's own `kiosk tx`,
// journals it, signs it with the UK key and the fake HQ stores it after verifying the signature.
// Finally `hq release publish` accepts the real bundle. Method: as
// packages/device-agent/test/agent/main-process.test.ts, with every kiosk process from the bundle.
// Waits are on events; each step's time is printed as a comment (measured, never asserted).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJournalIntegrity } from '@bianmin/device-agent';
import { PayloadType, parseReleaseManifest, verifyReleaseSignature } from '@bianmin/wire';
import t from 'tap';
import { PtyPair } from '../../packages/device-agent/src/sim/pty-pair.js';
import { FakeHq } from '../../packages/device-agent/test/agent/fake-hq.js';
import { ALWAYS_OPEN, HqKey, softHsmSigner } from '../../packages/device-agent/test/agent/helpers.js';
import { SimChild } from '../../packages/device-agent/test/serial/helpers/sim-child.js';
import { runHq } from '../../packages/hq-gateway/src/cli/run.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { repoRoot, runReleaseBuild, startReleaseToken } from '../helpers/release-token.js';

t.setTimeout(900_000);
const STATION = 'ST0913';
const PAN = '6222021234567890128';
const arm64SoftHsm = join(
  process.env.BIANMIN_ARM64_SOFTHSM_DIR ?? '/usr/local/lib/bianmin-arm64/softhsm',
  'libsofthsm2.so',
);
const agentVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'packages/device-agent/package.json'), 'utf8')) as {
    version: string;
  }
).version;

const elapsed = (startedMs: number) => `${((Date.now() - startedMs) / 1000).toFixed(1)} s`;

const dir = mkdtempSync(join(tmpdir(), 'bianmin-arm64-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const releaseToken = startReleaseToken();
t.teardown(() => releaseToken.close());

let startedMs = Date.now();
const build = runReleaseBuild(releaseToken, ['--arch', 'arm64', '--out', join(dir, 'out')]);
const buildTime = elapsed(startedMs);
const bundle = join(dir, 'out', `bianmin-kiosk-${agentVersion}-linux-arm64`);
const bin = (name: string) => join(bundle, 'bin', name);

// The kiosk's world: broker, fake HQ, UK key, simulators. The UK token is made by the host's
// SoftHSM (amd64) and used by the bundle through the arm64 library: the token files are the same.
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
const uk = softHsmSigner('ARM64-UK');
t.teardown(() => uk.close());
const hq = new HqKey();
const fakeHq = new FakeHq(broker.tlsUrl, broker.password('hq'), hq, uk.publicKeyPem, broker.tlsOptions('hq'));
await fakeHq.start();
t.teardown(() => fakeHq.stop());
await fakeHq.publishConfig(STATION, hq.config(STATION, { serviceHours: ALWAYS_OPEN }));
const readerPty = await PtyPair.start();
t.teardown(() => readerPty.close());
const padPty = await PtyPair.start();
t.teardown(() => padPty.close());
const reader = await SimChild.start(
  'card-reader',
  readerPty.devicePath,
  { cards: [{ pan: PAN }], autoInsertOnWait: true },
  dir,
);
t.teardown(() => reader.stop());
const pad = await SimChild.start(
  'pin-pad',
  padPty.devicePath,
  { defaultPin: '1234', keys: { tpk: '0123456789ABCDEFFEDCBA9876543210' } },
  dir,
);
t.teardown(() => pad.stop());

const secret = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  return path;
};
const operatorTokenFile = secret('operator-token', randomBytes(16).toString('hex'));
const socketPath = join(dir, 'operator.sock');
const journalPath = join(dir, 'journal', 'kiosk.db');
mkdirSync(join(dir, 'journal'));
const device = (path: string) => ({ path, baudRate: 115_200, commandTimeoutMs: 20_000 });
const configPath = join(dir, 'kiosk.json');
writeFileSync(
  configPath,
  JSON.stringify({
    station: {
      id: STATION,
      orgCode: 'ORG913',
      cardTokenKeyFile: secret('card-token-key', randomBytes(32).toString('hex')),
    },
    serial: {
      cardReader: device(readerPty.hostPath),
      pinPad: { ...device(padPty.hostPath), tpkKeyId: 'TPK1' },
    },
    token: {
      modulePath: arm64SoftHsm,
      label: uk.tokenLabel,
      keyLabel: 'kiosk-signing',
      userPin: { file: uk.pinFile },
    },
    mqtt: {
      url: broker.tlsUrl,
      passwordFile: secret('mqtt-password', broker.password(STATION)),
      tls: {
        caPath: broker.ca.caFile,
        certPath: broker.clientCert(STATION).certFile,
        keyPath: broker.clientCert(STATION).keyFile,
        serverName: 'localhost',
      },
    },
    journal: { path: journalPath },
    operatorApi: { socketPath, tokenFile: operatorTokenFile },
    hq: { configPublicKeyPath: secret('hq.pem', hq.pinned()[0]!.publicKey) },
    log: { dir: process.env.BIANMIN_LOG_DIR ?? join(dir, 'logs'), level: 'info' },
  }),
);
const kioskEnv = { ...process.env, ...uk.env };

t.test('the machine runs arm64 binaries (bash scripts/bootstrap.sh sets this up)', async (t) => {
  t.equal(
    readFileSync('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf8').split('\n')[0],
    'enabled',
    'binfmt qemu-aarch64',
  );
  t.ok(existsSync(arm64SoftHsm), `arm64 SoftHSM library at ${arm64SoftHsm}`);
});

t.test('npm run release -- --arch arm64: a signed bundle of linux-arm64 files', async (t) => {
  t.comment(`build (cold cache: cross-compiles; warm: copies): ${buildTime}`);
  t.equal(build.status, 0, build.stderr.slice(-3000));
  t.match(build.result, { ok: true, arch: 'arm64', version: agentVersion });
  const manifestBytes = readFileSync(join(bundle, 'manifest.json'));
  const keyId = verifyReleaseSignature(manifestBytes, readFileSync(join(bundle, 'manifest.sig')), [
    releaseToken.publicKeyPem,
  ]);
  t.equal(keyId, build.result?.keyId, 'signed by the key in the token');
  const manifest = parseReleaseManifest(manifestBytes);
  const natives = manifest.files.filter((file) => file.path.endsWith('.node') || file.path === 'bin/node');
  t.same(
    natives.map((file) => file.path.replace(/^.*node_modules\//, '')),
    [
      '@serialport/bindings-cpp/prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node',
      'better-sqlite3/build/Release/better_sqlite3.node',
      'pkcs11js/build/Release/pkcs11.node',
      'bin/node',
    ],
    'the three addons and the runtime',
  );
  for (const file of natives) {
    const head = readFileSync(join(bundle, file.path)).subarray(0, 20);
    t.equal(head.readUInt16LE(18), 0xb7, `${file.path} is an aarch64 ELF`);
  }
  const paths = manifest.files.map((file) => file.path);
  t.same(
    paths.filter((path) => /\/dist\/sim\/|\/dist\/testing\.|\.map$|\.d\.ts$|\/(test|tests)\//.test(path)),
    [],
    'no simulators, test helpers, maps or declarations',
  );
  t.notOk(
    paths.some((path) => path.includes('/node_modules/tap/') || path.includes('/node_modules/tsx/')),
    'no test tools',
  );
  t.comment(
    `bundle: ${manifest.files.length} files, ${(manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0) / 1e6).toFixed(1)} MB`,
  );
});

t.test('hq release publish accepts the PKCS#11-signed bundle', async (t) => {
  startedMs = Date.now();
  let out = '';
  const io = { out: (text: string) => (out += text), err: (text: string) => (out += text) };
  const releasesDir = join(dir, 'hq-releases');
  const code = await runHq(
    [
      'release',
      'publish',
      bundle,
      '--release-key',
      releaseToken.publicKeyFile,
      '--releases-dir',
      releasesDir,
      '--json',
    ],
    io,
  );
  t.comment(
    `hq release publish (verify ${build.result?.fileCount} files, store blobs): ${elapsed(startedMs)}`,
  );
  t.equal(code, 0, out);
  t.match(JSON.parse(out.trim()), {
    ok: true,
    result: { version: agentVersion, arch: 'arm64', created: true, keyId: build.result?.keyId },
  });
});

t.test('kiosk --version under qemu', async (t) => {
  startedMs = Date.now();
  const run = spawnSync(bin('kiosk'), ['--version'], { encoding: 'utf8' });
  t.comment(`kiosk --version (arm64 under qemu): ${elapsed(startedMs)}`);
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout.trim(), `kiosk ${agentVersion}`);
});

t.test('kiosk doctor under qemu: simulators, arm64 SoftHSM, broker', async (t) => {
  startedMs = Date.now();
  const run = spawnSync(bin('kiosk'), ['doctor', '--config', configPath, '--json'], {
    encoding: 'utf8',
    env: kioskEnv,
  });
  t.comment(`kiosk doctor (arm64 under qemu): ${elapsed(startedMs)}`);
  const report = JSON.parse(run.stdout) as { checks?: { check: string; status: string; detail: string }[] };
  const rows = report.checks ?? [];
  for (const row of rows)
    t.comment(`${row.check.padEnd(14)}${row.status.padEnd(6)}${row.detail.split('\n')[0]}`);
  const status = Object.fromEntries(rows.map((row) => [row.check, row.status]));
  t.match(status, {
    config: 'PASS',
    'card reader': 'PASS',
    'pin pad': 'PASS',
    token: 'PASS',
    broker: 'PASS',
  });
  t.same(
    rows.filter((row) => row.status === 'FAIL'),
    [],
    'nothing fails',
  );
  t.equal(run.status, 0);
});

let agent: ChildProcess | null = null;
t.teardown(() => {
  agent?.kill('SIGKILL');
});

t.test('the arm64 agent journals and signs one bill payment', async (t) => {
  startedMs = Date.now();
  const stderr: string[] = [];
  agent = spawn(bin('kiosk-agent'), [configPath], { env: kioskEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  agent.stderr?.setEncoding('utf8');
  agent.stderr?.on('data', (text: string) => stderr.push(text));
  const exited = new Promise<number | null>((resolve) => agent?.once('exit', (code) => resolve(code)));
  await fakeHq.until(() => fakeHq.births >= 1);
  await pad.waitFor((status) => status.status === 'request', 'PIN pad opened by the agent');
  t.comment(`agent start to MQTT birth (arm64 under qemu): ${elapsed(startedMs)}`);
  const stored = () => [...fakeHq.stored.values()].map((event) => event.type);
  await fakeHq.until(() => stored().includes(PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED));
  startedMs = Date.now();
  const bill = spawnSync(
    bin('kiosk'),
    [
      'tx',
      'bill',
      'WATER',
      'W1',
      'ACC-913',
      '2500',
      '--socket',
      socketPath,
      '--token-file',
      operatorTokenFile,
      '--json',
    ],
    { encoding: 'utf8', env: kioskEnv },
  );
  t.equal(bill.status, 0, bill.stdout + bill.stderr);
  t.match(JSON.parse(bill.stdout.trim().split('\n').at(-1) ?? '{}'), { ok: true });
  await fakeHq.until(() => stored().includes(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT));
  t.comment(`bill payment to stored at HQ (arm64 under qemu): ${elapsed(startedMs)}`);
  t.equal(fakeHq.quarantined, 0, 'every message verified against the UK key');
  agent.kill('SIGTERM');
  t.equal(await exited, 0, `clean exit; stderr: ${stderr.join('').slice(-2000)}`);
  agent = null;
  t.match(
    checkJournalIntegrity(journalPath),
    { status: 'ok' },
    'the journal the arm64 agent wrote, checked on the host',
  );
});
