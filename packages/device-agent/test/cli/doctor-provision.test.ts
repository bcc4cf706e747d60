// Goal: `kiosk provision` and `kiosk doctor` against a real kiosk set-up, healthy and broken.
// Method: test/cli/kiosk-setup.ts starts a SoftHSM2 token, the card-reader and PIN-pad simulators
// on socat PTYs and Mosquitto on a free port; the CLI runs in-process. Provision runs twice (the
// second keeps the key); doctor must give all PASS on the healthy set-up and name every failure,
// each with its code, on broken ones (absent devices and token, closed port, TLS against a plain
// port, clock before the build and far ahead, full disk, corrupt journal, unusable config).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { openEnrolmentRequest } from '@bianmin/wire';
import t from 'tap';
import { freePort } from '../../../../test/helpers/mosquitto.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { buildDateMs } from '../../src/cli/build-info.js';
import type { CheckRow } from '../../src/cli/doctor/checks.js';
import { defaultDeps } from '../../src/cli/run.js';
import { cardPan, runCli, startKioskSetup } from './kiosk-setup.js';

// The agent runs with umask 0077 (main.ts; the unit's UMask=0077): the journal this test makes must
// be the service user's alone, as doctor's data-files row demands.
process.umask(0o077);
const setup = await startKioskSetup();
t.teardown(() => setup.close());
const templatePath = setup.writeConfig(setup.config, join(setup.dir, 'etc', 'template.json'));
const configPath = join(setup.dir, 'etc', 'provisioned.json');
const env = { BIANMIN_LOG_DIR: process.env.BIANMIN_LOG_DIR ?? join(setup.dir, 'log') };

function rowsOf(out: string): CheckRow[] {
  return (JSON.parse(out) as { checks: CheckRow[] }).checks;
}

t.test('provision creates the key once, writes the config, prints the enrolment request', async (t) => {
  const first = await runCli(
    [
      'provision',
      '--config',
      configPath,
      '--template',
      templatePath,
      '--station-id',
      'ST-0042',
      '--org-code',
      '3301000042',
      '--json',
    ],
    { env },
  );
  t.equal(first.code, 0, first.err);
  const result = JSON.parse(first.out);
  t.equal(result.ok, true);
  t.equal(result.keyCreated, true);
  const enrolment = result.enrolment;
  t.equal(enrolment.kind, 'bianmin.kiosk.enrolment-request');
  t.same(enrolment.station, { id: 'ST-0042', orgCode: '3301000042' });
  t.equal(enrolment.devices.cardReader.serialNumber, 'CR-000123');
  t.equal(enrolment.devices.pinPad.serialNumber, 'PP-000456');
  t.equal(enrolment.devices.token.serialNumber, setup.hsm.serial);
  t.match(enrolment.signingKey.publicKeyPem, /BEGIN PUBLIC KEY/);
  t.match(enrolment.signingKey.fingerprintSha256Hex, /^[0-9a-f]{64}$/);
  // Proof of possession (issue 8): the request is signed on the token by the key it enrols.
  const proof = openEnrolmentRequest(Buffer.from(enrolment.proof, 'base64'));
  t.equal(proof.request.stationId, 'ST-0042', 'the proof names the station');
  t.equal(proof.request.keyId, enrolment.signingKey.fingerprintSha256Hex, 'and the enrolled key');
  t.equal(
    proof.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim(),
    enrolment.signingKey.publicKeyPem.trim(),
    'its signature verifies under the enrolled public key',
  );
  const written = JSON.parse(readFileSync(configPath, 'utf8'));
  t.equal(written.token.serial, setup.hsm.serial, 'the written config pins the token by serial');

  const second = await runCli(['provision', '--config', configPath], { env });
  t.equal(second.code, 0, second.err);
  const again = JSON.parse(second.out);
  t.equal(
    again.signingKey.fingerprintSha256Hex,
    enrolment.signingKey.fingerprintSha256Hex,
    'same key: never overwritten',
  );
  t.match(second.err, /kept the existing signing key/);
});

t.test('provision lists every problem at once', async (t) => {
  const broken = structuredClone(setup.config);
  broken.token.label = 'NO-SUCH-TOKEN';
  broken.serial.cardReader.path = join(setup.dir, 'run'); // exists (a dir), but is no serial device
  broken.serial.cardReader.commandTimeoutMs = 500;
  const path = setup.writeConfig(broken, join(setup.dir, 'etc', 'broken-provision.json'));
  const run = await runCli(['provision', '--config', path, '--json'], { env });
  t.equal(run.code, 1);
  const codes = JSON.parse(run.out).problems.map((problem: { code: string }) => problem.code);
  t.same(codes, ['AGENT_TOKEN_NOT_PRESENT', 'AGENT_CLI_PERIPHERAL_FAILED']);
});

t.test('doctor: healthy set-up, every check PASS', async (t) => {
  const db = new KioskDb({ path: setup.config.journal.path });
  db.append({ kind: 'test', txId: 'tx-1', createdAtMs: Date.now(), payload: { note: 'doctor test' } });
  db.close();
  chmodSync(dirname(setup.config.journal.path), 0o700);
  await setup.publishConfig(setup.hq.config('ST-0042'));
  // A fixed day after the build (November): the calendar row is PASS, not December's WARN.
  const run = await runCli(['doctor', '--config', configPath, '--json'], {
    env,
    nowMs: buildDateMs + 24 * 3600 * 1000,
  });
  const rows = rowsOf(run.out);
  t.same(
    rows.map((row) => [row.check, row.status]),
    [
      ['config', 'PASS'],
      ['secret files', 'PASS'],
      ['data files', 'PASS'],
      ['card reader', 'PASS'],
      ['pin pad', 'PASS'],
      ['token', 'PASS'],
      ['broker', 'PASS'],
      ['broker session', 'PASS'],
      ['hq config', 'PASS'],
      ['clock', 'PASS'],
      ['clock drift', 'SKIP'],
      ['disk', 'PASS'],
      ['journal', 'PASS'],
      ['calendar', 'PASS'],
    ],
    JSON.stringify(rows, null, 2),
  );
  t.equal(run.code, 0);
  const text = await runCli(['doctor', '--config', configPath], { env });
  t.match(text.out, /all checks passed/);
  t.match(text.out, /card reader\s+PASS\s+SIM-CR-100 serial CR-000123 .*the device recorded at provisioning/);
  t.notMatch(text.out + text.err, cardPan);
});

t.test('doctor: broken set-up, each failure named with its code', async (t) => {
  const broken = structuredClone(setup.config);
  broken.serial.cardReader.path = '/dev/serial/by-id/usb-no-such-reader';
  broken.serial.cardReader.commandTimeoutMs = 500;
  broken.serial.pinPad.path = '/dev/serial/by-id/usb-no-such-pinpad';
  broken.serial.pinPad.commandTimeoutMs = 500;
  broken.token.label = 'NO-SUCH-TOKEN';
  broken.mqtt.url = `mqtt://127.0.0.1:${await freePort()}`;
  broken.journal.path = join(setup.dir, 'journal', 'corrupt.db');
  writeFileSync(broken.journal.path, 'this is not a SQLite database, it is a broken journal');
  const path = setup.writeConfig(broken, join(setup.dir, 'etc', 'broken.json'));
  const run = await runCli(['doctor', '--config', path, '--json'], {
    env,
    nowMs: buildDateMs - 24 * 3600 * 1000,
    deps: {
      ...defaultDeps(),
      bytesFree: () => 10 * 1024 * 1024,
    },
  });
  t.equal(run.code, 1);
  const rows = rowsOf(run.out);
  t.same(
    rows.map((row) => [row.check, row.status, row.code]),
    [
      ['config', 'FAIL', 'AGENT_DOCTOR_CONFIG_INVALID'],
      ['secret files', 'PASS', undefined],
      ['data files', 'PASS', undefined],
      ['card reader', 'FAIL', 'AGENT_DOCTOR_SERIAL_FAILED'],
      ['pin pad', 'FAIL', 'AGENT_DOCTOR_SERIAL_FAILED'],
      ['token', 'FAIL', 'AGENT_DOCTOR_TOKEN_FAILED'],
      ['broker', 'FAIL', 'AGENT_DOCTOR_BROKER_UNREACHABLE'],
      ['broker session', 'SKIP', undefined],
      ['hq config', 'SKIP', undefined],
      ['clock', 'FAIL', 'AGENT_DOCTOR_CLOCK_BEHIND'],
      ['clock drift', 'SKIP', undefined],
      ['disk', 'FAIL', 'AGENT_DOCTOR_DISK_LOW'],
      ['journal', 'FAIL', 'AGENT_DOCTOR_JOURNAL_BROKEN'],
      ['calendar', 'PASS', undefined],
    ],
    JSON.stringify(rows, null, 2),
  );
  t.equal(rows.find((row) => row.check === 'token')?.causeCode, 'AGENT_TOKEN_NOT_PRESENT');
  t.ok(
    rows.filter((row) => row.status === 'FAIL').every((row) => typeof row.hint === 'string'),
    'a hint per failure',
  );
  const problems = JSON.parse(run.out).problems;
  t.equal(problems.length, 8, 'every failure is also a problem');

  const text = await runCli(['doctor', '--config', path], { env, nowMs: buildDateMs - 1 });
  t.match(text.out, /token\s+FAIL\s+AGENT_DOCTOR_TOKEN_FAILED/);
  t.match(text.out, /hint: /);
  t.match(text.out, /check\(s\) FAILED/);
});

t.test(
  'doctor: secret files readable by others or owned by another user FAIL with the start-up code',
  async (t) => {
    // Issue 8: the same check the agent refuses to start with (config/secret-files.ts).
    const exposed = structuredClone(setup.config);
    const passwordFile = join(setup.dir, 'etc', 'broker-password');
    const tokenFile = join(setup.dir, 'etc', 'operator-token');
    writeFileSync(passwordFile, 'secret\n', { mode: 0o644 });
    chmodSync(passwordFile, 0o644);
    writeFileSync(tokenFile, 'bearer\n', { mode: 0o600 });
    chownSync(tokenFile, 12_345, 12_345);
    exposed.mqtt.passwordFile = passwordFile;
    exposed.operatorApi.tokenFile = tokenFile;
    const path = setup.writeConfig(exposed, join(setup.dir, 'etc', 'exposed.json'));
    const run = await runCli(['doctor', '--config', path, '--json'], { env });
    const row = rowsOf(run.out).find((r) => r.check === 'secret files');
    t.match(row, { status: 'FAIL', code: 'AGENT_SECRET_FILE_EXPOSED' }, JSON.stringify(row));
    t.match(row?.detail, /mqtt\.passwordFile: .*mode 0644/, 'the readable file, with its mode');
    t.match(
      row?.detail,
      /operatorApi\.tokenFile: .*owned by uid 12345/,
      'and the foreign owner, at once (R21)',
    );
    t.equal(run.code, 1);
    chmodSync(passwordFile, 0o600);
    chownSync(tokenFile, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    const fixed = await runCli(['doctor', '--config', path, '--json'], { env });
    t.match(
      rowsOf(fixed.out).find((r) => r.check === 'secret files'),
      { status: 'PASS' },
      'fixed: PASS',
    );
  },
);

t.test('doctor: TLS against a plain port, clock far ahead, low-disk warning, unusable config', async (t) => {
  const caDir = setup.dir;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(caDir, 'ca.key'),
      '-out',
      join(caDir, 'ca.pem'),
    ],
    { stdio: 'pipe' },
  );
  const tlsConfig = structuredClone(setup.config);
  tlsConfig.token.serial = setup.hsm.serial;
  tlsConfig.mqtt.tls = { caPath: join(caDir, 'ca.pem') };
  // mqtt.tls needs an mqtts:// URL (config check); the plain test broker then fails the handshake.
  tlsConfig.mqtt.url = tlsConfig.mqtt.url.replace(/^mqtt:/, 'mqtts:');
  const path = setup.writeConfig(tlsConfig, join(setup.dir, 'etc', 'tls.json'));
  const run = await runCli(['doctor', '--config', path, '--json'], {
    env,
    nowMs: buildDateMs + 20 * 365 * 24 * 3600 * 1000,
    deps: {
      ...defaultDeps(),
      bytesFree: () => 500 * 1024 * 1024,
    },
  });
  const rows = rowsOf(run.out);
  const byCheck = Object.fromEntries(rows.map((row) => [row.check, row]));
  t.equal(byCheck.broker?.code, 'AGENT_DOCTOR_BROKER_TLS_FAILED');
  t.equal(byCheck.clock?.code, 'AGENT_DOCTOR_CLOCK_AHEAD');
  t.equal(byCheck.disk?.status, 'WARN');
  t.equal(byCheck.token?.status, 'PASS', 'token pinned by serial works too');
  t.equal(run.code, 1);

  // A real TLS endpoint with a certificate from that CA: the handshake passes.
  const server = createTlsServer({
    key: readFileSync(join(caDir, 'ca.key')),
    cert: readFileSync(join(caDir, 'ca.pem')),
  });
  server.on('secureConnection', (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => server.close());
  const tlsPort = (server.address() as AddressInfo).port;
  const goodTls = structuredClone(tlsConfig);
  goodTls.mqtt.url = `mqtts://127.0.0.1:${tlsPort}`;
  const goodPath = setup.writeConfig(goodTls, join(setup.dir, 'etc', 'tls-good.json'));
  const passing = await runCli(['doctor', '--config', goodPath, '--json'], { env });
  const brokerRow = rowsOf(passing.out).find((row) => row.check === 'broker');
  t.equal(brokerRow?.status, 'PASS', JSON.stringify(brokerRow));
  t.match(brokerRow?.detail, /TLS handshake ok/);

  const unusable = setup.writeConfig({ station: 'ST-0042' }, join(setup.dir, 'etc', 'unusable.json'));
  const bad = await runCli(['doctor', '--config', unusable, '--json'], { env });
  const badRows = rowsOf(bad.out);
  t.equal(badRows[0]?.code, 'AGENT_DOCTOR_CONFIG_INVALID');
  // The clock and the calendar need no config; everything else is skipped.
  t.ok(
    badRows
      .filter((row) => row.check !== 'config' && row.check !== 'clock' && row.check !== 'calendar')
      .every((row) => row.status === 'SKIP'),
  );
  t.ok(
    badRows.some((row) => row.check === 'calendar' && row.status !== 'SKIP'),
    'the calendar is checked without a config',
  );
});
