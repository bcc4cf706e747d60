// Goal: the agent process (dist/main.js) with every real piece: it starts from a device config
// alone, a withdrawal and a bill payment go through the operator API (`kiosk tx`) to signed events
// stored at HQ, SIGTERM shuts it down cleanly (a signed Death is published, exit 0), and a restart
// verifies the journal chain and carries on from the same seq. Method: socat PTY pairs with the
// card-reader and PIN-pad simulators as child processes, a SoftHSM token, a Mosquitto started on a
// free port with per-station ACLs, and the fake HQ (verifies, stores once, acks, approves).
// Under a fake systemd NOTIFY_SOCKET (socat UNIX-RECV) the agent reports READY=1 once journal,
// token, peripherals and link are up, pings the watchdog, and says STOPPING=1 on SIGTERM.
// Waits are on events (HQ messages, simulator status lines, datagrams, process exit); nothing
// sleeps. Runs the built dist/ (build first).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { scanLine } from '../../../../test/log-scan/detect.js';
import { OperatorClient } from '../../src/adapters/operator-api/client.js';
import { checkJournalIntegrity } from '../../src/adapters/sqlite/integrity.js';
import { runKiosk } from '../../src/cli/run.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { startNotifyListener } from '../helpers/notify-listener.js';
import { softhsmModulePath } from '../helpers/softhsm.js';
import { SimChild } from '../serial/helpers/sim-child.js';
import { FakeHq } from './fake-hq.js';
import { ALWAYS_OPEN, HqKey, softHsmSigner } from './helpers.js';

t.setTimeout(240_000);
const STATION = 'ST0707';
const PAN = '6222021234567890128';
const mainJs = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'kiosk-main-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
const uk = softHsmSigner('MAIN-T');
t.teardown(() => uk.close());
const hq = new HqKey();
// The production broker's TLS listener (test/helpers/mosquitto.ts): the agent reads its TLS files
// from the config keys mqtt.tls.* (src/main.ts).
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
const logDir = process.env.BIANMIN_LOG_DIR ?? join(dir, 'logs');
const device = (path: string) => ({ path, baudRate: 115_200, commandTimeoutMs: 10_000 });
const configPath = join(dir, 'kiosk.json');
writeFileSync(
  configPath,
  JSON.stringify({
    station: {
      id: STATION,
      orgCode: 'ORG001',
      cardTokenKeyFile: secret('card-token-key', randomBytes(32).toString('hex')),
    },
    serial: {
      cardReader: device(readerPty.hostPath),
      pinPad: { ...device(padPty.hostPath), tpkKeyId: 'TPK1' },
    },
    token: {
      modulePath: softhsmModulePath,
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
    log: { dir: logDir, level: 'debug' },
  }),
);

const notify = await startNotifyListener(dir);
t.teardown(() => notify.close());

let live: ChildProcess | null = null;
t.teardown(() => {
  live?.kill('SIGKILL');
});

/** Each run's log text: from its log file, or from stdout when started as under journald. */
const runLogs: (() => string)[] = [];

/**
 * Starts the agent. `journald`: as systemd does with StandardOutput=journal (JOURNAL_STREAM set,
 * no BIANMIN_LOG_DIR), so the agent writes its JSON lines to stdout.
 */
function startAgent(journald = false): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: string[];
} {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...uk.env,
    NOTIFY_SOCKET: notify.socketPath,
    WATCHDOG_USEC: '4000000',
  };
  if (journald) {
    env.JOURNAL_STREAM = '8:12345';
    delete env.BIANMIN_LOG_DIR;
  }
  const child = spawn(process.execPath, [mainJs, configPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => stderr.push(text));
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => stdout.push(text));
  const pid = child.pid;
  runLogs.push(() =>
    journald ? stdout.join('') : readFileSync(join(logDir, `kiosk-agent-${String(pid)}.log`), 'utf8'),
  );
  live = child;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr };
}

/** `kiosk tx …` through the real dispatcher; returns exit code and the parsed JSON answer. */
async function tx(...words: string[]): Promise<{ code: number; body: Record<string, unknown> }> {
  const out: string[] = [];
  const io = {
    out: (text: string) => out.push(text),
    err: (text: string) => out.push(text),
    env: {},
    nowMs: () => Date.now(),
    stdin: null,
  };
  const code = await runKiosk(
    ['tx', ...words, '--socket', socketPath, '--token-file', operatorTokenFile, '--json'],
    io,
  );
  return { code, body: JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown> };
}

const storedTypes = () =>
  [...fakeHq.stored.values()].sort((a, b) => a.seq - b.seq).map((event) => event.type);

t.test(
  'AGENT_CONFIG_MISSING_KEY: without its secret files the agent lists every missing key, exits 1',
  async (t) => {
    const bare = JSON.parse(readFileSync(configPath, 'utf8'));
    const { tokenFile: _token, ...operatorApi } = bare.operatorApi;
    const { cardTokenKeyFile: _key, ...station } = bare.station;
    const barePath = join(dir, 'bare.json');
    writeFileSync(barePath, JSON.stringify({ ...bare, operatorApi, station }));
    const run = spawnSync(process.execPath, [mainJs, barePath], {
      encoding: 'utf8',
      env: { ...process.env, ...uk.env },
    });
    t.equal(run.status, 1);
    const problems = JSON.parse(run.stderr) as { code: string; key: string }[];
    t.same(
      problems.map((problem) => `${problem.code} ${problem.key}`),
      ['AGENT_CONFIG_MISSING_KEY operatorApi.tokenFile', 'AGENT_CONFIG_MISSING_KEY station.cardTokenKeyFile'],
    );
  },
);

t.test(
  'start, withdraw and pay a bill through kiosk tx, SIGTERM, restart with the chain verified',
  async (t) => {
    const first = startAgent();
    await fakeHq.until(() => fakeHq.births >= 1);
    await fakeHq.until(() => storedTypes().includes(PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED));
    await reader.waitFor((status) => status.status === 'request', 'card reader opened by the agent');
    await pad.waitFor((status) => status.status === 'request', 'PIN pad opened by the agent');

    await notify.until((lines) => lines.includes('READY=1'), 'READY=1');
    const readyIndex = notify.lines.indexOf('READY=1');
    t.ok(
      notify.lines.slice(0, readyIndex).some((line) => line.startsWith('STATUS=启动中, 等待:')),
      'it said what it waited for before READY',
    );
    t.equal(notify.lines[readyIndex + 1], 'STATUS=运行中: 日志库、UK 密钥、外设、总部链路均已就绪');
    t.ok(fakeHq.births >= 1, 'the broker session was up before READY');
    await notify.until((lines) => lines.slice(readyIndex).includes('WATCHDOG=1'), 'a ping after READY');
    // What kiosk doctor asks a running agent (GET /v1/peripherals): both devices through its own links.
    const asked = await new OperatorClient(
      { kind: 'unix', socketPath },
      readFileSync(operatorTokenFile, 'utf8').trim(),
    ).get('/v1/peripherals');
    t.equal(asked.status, 200);
    t.match(asked.body, {
      cardReader: { link: 'open', identity: { serialNumber: /\S+/ } },
      pinPad: { link: 'open', identity: { serialNumber: /\S+/ } },
    });

    const withdrawal = await tx('withdraw', '10000');
    t.equal(withdrawal.code, 0, JSON.stringify(withdrawal.body));
    t.match(withdrawal.body, {
      ok: true,
      withdrawal: { phase: 'authorised', amountFen: 10_000, feeFen: 100 },
    });
    const txId = (withdrawal.body.withdrawal as { txId: string }).txId;
    t.match((await tx('confirm', txId)).body, { ok: true, withdrawal: { phase: 'posted' } });
    const bill = await tx('bill', 'WATER', 'W1', 'ACC-1', '2500');
    t.equal(bill.code, 0, JSON.stringify(bill.body));
    await fakeHq.until(() => storedTypes().includes(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT));
    t.same(storedTypes(), [
      PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED,
      PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED,
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED,
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED,
      PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    ]);
    t.equal(fakeHq.duplicates, 0);
    t.equal(fakeHq.quarantined, 0, 'every message verified against the station key');
    const status = await tx('status');
    t.match(status.body, { stationId: STATION, link: 'online', lastEventSeq: 5, openTransactions: 0 });

    first.child.kill('SIGTERM');
    t.equal(await first.exited, 0, `clean exit; stderr: ${first.stderr.join('')}`);
    await fakeHq.until(() => fakeHq.deaths >= 1);
    t.equal(fakeHq.deaths, 1, 'a signed Death on the way out');
    await notify.until((lines) => lines.includes('STOPPING=1'), 'STOPPING=1');
    t.equal(notify.lines.filter((line) => line === 'STOPPING=1').length, 1, 'STOPPING=1 to systemd, once');
    t.match(checkJournalIntegrity(journalPath), { status: 'ok' });

    const second = startAgent(true);
    await fakeHq.until(() => fakeHq.births >= 2);
    const again = await tx('status');
    t.match(
      again.body,
      { lastEventSeq: 5, openTransactions: 0, configVersion: 1 },
      'the same journal, chain verified',
    );
    const close = await tx('close');
    t.equal(close.code, 0, JSON.stringify(close.body));
    await fakeHq.until(() => storedTypes().includes(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE));
    t.equal(fakeHq.contiguousSeq(), 6, 'no gap: seq carries on after the restart');
    second.child.kill('SIGTERM');
    t.equal(await second.exited, 0);
  },
);

t.test(
  "both runs' logs: JSON lines in Beijing time, level labels, no PAN, PIN block or key material",
  async (t) => {
    t.equal(runLogs.length, 2, 'a run logging to its file and a run logging to stdout (journald)');
    const secrets: [string, string][] = [
      ['PAN', PAN],
      ['PIN pad TPK', '0123456789ABCDEFFEDCBA9876543210'],
      ['token user PIN', readFileSync(uk.pinFile, 'utf8').trim()],
      ['operator token', readFileSync(operatorTokenFile, 'utf8').trim()],
      ['card-token key', readFileSync(join(dir, 'card-token-key'), 'utf8').trim()],
      ['broker password', broker.password(STATION)],
    ];
    for (const [index, read] of runLogs.entries()) {
      const lines = read()
        .split('\n')
        .filter((line) => line !== '');
      t.ok(lines.length >= 4, `run ${index + 1}: ${lines.length} lines`);
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      t.ok(
        parsed.every((line) => typeof line.time === 'string' && /\.\d{3}\+08:00$/.test(line.time)),
        `run ${index + 1}: every time in Beijing time`,
      );
      t.same(
        [...new Set(parsed.map((line) => line.level))].filter(
          (level) => !['info', 'warn', 'error', 'debug'].includes(String(level)),
        ),
        [],
        `run ${index + 1}: level labels only`,
      );
      t.same(
        lines.flatMap((line) => scanLine(line)),
        [],
        `run ${index + 1}: no card number or PIN block`,
      );
      const text = lines.join('\n').toLowerCase();
      for (const [name, value] of secrets) {
        t.ok(value.length >= 4, `${name} is a real value`);
        t.notOk(text.includes(value.toLowerCase()), `run ${index + 1}: no ${name}`);
      }
    }
    t.ok(runLogs[1]!().includes('"msg":"kiosk agent running"'), 'the journald run wrote its lines to stdout');
  },
);
