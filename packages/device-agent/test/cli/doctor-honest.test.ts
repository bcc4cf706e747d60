// Goal: `kiosk doctor` is honest (issue 13, the `iotedge check` standard): each FAIL row of the new
// checks is triggered by the real fault, with its code. A wrong broker password fails the MQTT
// session with the broker's CONNACK code; a missing, foreign-signed or misaddressed retained HQ
// config fails; a config HQ signed "in the future" shows a clock behind HQ; a swapped device (or
// cable) fails against the serial numbers recorded at provisioning; an exposed journal fails; with
// the agent running, doctor asks it over the operator socket (and reports what the agent says)
// instead of opening the ports, and refuses to fight an agent it cannot ask. Method: the real
// kiosk set-up (test/cli/kiosk-setup.ts: Mosquitto with per-station passwords, PTY simulators,
// SoftHSM), `kiosk provision` once, then `kiosk doctor --json` in-process against edited configs;
// the running agent is the real operator API on the configured socket in front of a scripted port.
import { chmodSync, chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { OperatorApi } from '../../src/adapters/operator-api/server.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import type { CheckRow } from '../../src/cli/doctor/checks.js';
import type { AgentStatusView, OperatorPort, PeripheralsView } from '../../src/ports/operator.js';
import { HqKey, silentLogger, TEN_AM_MS } from '../agent/helpers.js';
import { runCli, startKioskSetup } from './kiosk-setup.js';

process.umask(0o077); // as the agent (main.ts) and the unit (UMask=0077)
const setup = await startKioskSetup();
t.teardown(() => setup.close());
const env = { BIANMIN_LOG_DIR: process.env.BIANMIN_LOG_DIR ?? join(setup.dir, 'log') };
const provisioned = join(setup.dir, 'etc', 'provisioned.json');
const provision = await runCli(['provision', '--config', provisioned, '--template', setup.configPath], {
  env,
});
if (provision.code !== 0) throw new Error(`provision failed: ${provision.err}`);
// biome-ignore lint/suspicious/noExplicitAny: tests edit the config freely to break it
const base: Record<string, any> = JSON.parse(readFileSync(provisioned, 'utf8'));
const db = new KioskDb({ path: base.journal.path });
db.close();
chmodSync(dirname(base.journal.path), 0o700);
await setup.publishConfig(setup.hq.config('ST-0042'));

async function doctor(
  // biome-ignore lint/suspicious/noExplicitAny: an edited copy of the config
  config: Record<string, any>,
  name: string,
  nowMs?: number,
): Promise<{ code: number; byCheck: Record<string, CheckRow>; rows: CheckRow[] }> {
  const path = setup.writeConfig(config, join(setup.dir, 'etc', `${name}.json`));
  const run = await runCli(['doctor', '--config', path, '--json'], {
    env,
    ...(nowMs === undefined ? {} : { nowMs }),
  });
  const rows = (JSON.parse(run.out) as { checks: CheckRow[] }).checks;
  return { code: run.code, rows, byCheck: Object.fromEntries(rows.map((row) => [row.check, row])) };
}

t.test('provision recorded both serial numbers; the provisioned kiosk passes', async (t) => {
  t.equal(base.serial.cardReader.serialNumber, 'CR-000123');
  t.equal(base.serial.pinPad.serialNumber, 'PP-000456');
  const run = await doctor(base, 'healthy');
  t.match(run.byCheck['broker session'], { status: 'PASS', detail: /CONNACK accepted for ST-0042/ });
  t.match(run.byCheck['hq config'], { status: 'PASS', detail: /^version 1, signed by HQ key/ });
  t.match(run.byCheck['card reader'], { status: 'PASS' });
  t.equal(run.code, 0, JSON.stringify(run.rows));
});

t.test('AGENT_DOCTOR_BROKER_REFUSED: a wrong broker password fails with the CONNACK code', async (t) => {
  const wrong = join(setup.dir, 'etc', 'wrong-password');
  writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
  const run = await doctor({ ...base, mqtt: { ...base.mqtt, passwordFile: wrong } }, 'wrong-password');
  t.match(run.byCheck.broker, { status: 'PASS' }, 'TCP alone would have passed');
  t.match(run.byCheck['broker session'], {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_BROKER_REFUSED',
    detail: /CONNACK return code (4|5) \((bad user name or password|not authorised)\) for user ST-0042/,
  });
  t.match(run.byCheck['hq config'], { status: 'SKIP' });
  t.equal(run.code, 1);
});

t.test(
  'AGENT_DOCTOR_HQ_CONFIG_MISSING / _UNVERIFIED: no config, a foreign key, another station',
  async (t) => {
    await setup.publishConfig(null);
    const missing = await doctor(base, 'no-config');
    t.match(missing.byCheck['hq config'], { status: 'FAIL', code: 'AGENT_DOCTOR_HQ_CONFIG_MISSING' });

    await setup.publishConfig(new HqKey().config('ST-0042'));
    const foreign = await doctor(base, 'foreign-key');
    t.match(foreign.byCheck['hq config'], {
      status: 'FAIL',
      code: 'AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED',
      detail: /AGENT_DOWN_BAD_SIGNATURE/,
    });

    await setup.publishConfig(setup.hq.config('ST-9999'));
    const other = await doctor(base, 'other-station');
    t.match(other.byCheck['hq config'], {
      status: 'FAIL',
      code: 'AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED',
      detail: /AGENT_DOWN_WRONG_STATION/,
    });

    await setup.publishConfig(
      setup.hq.seal('ST-0042', PayloadType.PAYLOAD_TYPE_ACK, { handledThroughSeq: 1, ackedAtMs: TEN_AM_MS }),
    );
    const notConfig = await doctor(base, 'not-a-config');
    t.match(notConfig.byCheck['hq config'], {
      code: 'AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED',
      detail: /not a station config/,
    });
    await setup.publishConfig(setup.hq.config('ST-0042'));
  },
);

t.test('AGENT_DOCTOR_CLOCK_SKEW: HQ signed the config after the kiosk clock says now', async (t) => {
  const behind = await doctor(base, 'clock-behind', TEN_AM_MS - 3600_000);
  t.match(behind.byCheck['hq config'], {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_CLOCK_SKEW',
    detail: /3600 s after this kiosk's clock/,
  });
});

t.test('AGENT_DOCTOR_PERIPHERAL_MISMATCH: swapped cables, a replaced device, nothing recorded', async (t) => {
  const swapped = structuredClone(base);
  swapped.serial.cardReader.path = base.serial.pinPad.path;
  swapped.serial.pinPad.path = base.serial.cardReader.path;
  const run = await doctor(swapped, 'swapped');
  for (const check of ['card reader', 'pin pad']) {
    t.equal(run.byCheck[check]?.status, 'FAIL', `${check}: ${JSON.stringify(run.byCheck[check])}`);
    t.ok(
      ['AGENT_DOCTOR_PERIPHERAL_MISMATCH', 'AGENT_DOCTOR_SERIAL_FAILED'].includes(
        run.byCheck[check]?.code ?? '',
      ),
      `${check}: a swapped cable never passes`,
    );
  }

  const replaced = structuredClone(base);
  replaced.serial.cardReader.serialNumber = 'CR-999999';
  const other = await doctor(replaced, 'replaced');
  t.match(other.byCheck['card reader'], {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_PERIPHERAL_MISMATCH',
    detail: /serial CR-000123 answers, provisioning recorded CR-999999/,
  });
  t.match(other.byCheck['pin pad'], { status: 'PASS' });

  const unrecorded = structuredClone(base);
  delete unrecorded.serial.pinPad.serialNumber;
  const warn = await doctor(unrecorded, 'unrecorded');
  t.match(
    warn.byCheck['pin pad'],
    { status: 'PASS', detail: /not compared: no serial number recorded/ },
    'nothing recorded: identify + heartbeat only, and it says so',
  );
});

t.test('AGENT_DOCTOR_DATA_FILE_EXPOSED: a readable journal, a file with another owner', async (t) => {
  const path = base.journal.path as string;
  chmodSync(path, 0o644);
  writeFileSync(`${path}-wal`, '');
  chownSync(`${path}-wal`, 12_345, 12_345);
  t.teardown(() => {
    chmodSync(path, 0o600);
    rmSync(`${path}-wal`, { force: true });
  });
  const run = await doctor(base, 'exposed');
  const row = run.byCheck['data files'];
  t.match(row, { status: 'FAIL', code: 'AGENT_DOCTOR_DATA_FILE_EXPOSED' });
  t.match(row?.detail, /kiosk\.db mode 0644/);
  t.match(row?.detail, /different owners: .*uid 12345/, 'both problems at once (R21)');
  t.equal(run.code, 1);
});

t.test(
  "data files: a listable directory passes (the installer's 0750, a plain 0755), a writable one fails",
  async (t) => {
    const dir = dirname(base.journal.path as string);
    t.teardown(() => chmodSync(dir, 0o700));
    for (const mode of [0o750, 0o755]) {
      chmodSync(dir, mode);
      t.match((await doctor(base, `dir-${mode.toString(8)}`)).byCheck['data files'], { status: 'PASS' });
    }
    chmodSync(dir, 0o770);
    t.match((await doctor(base, 'dir-0770')).byCheck['data files'], {
      status: 'FAIL',
      code: 'AGENT_DOCTOR_DATA_FILE_EXPOSED',
      detail: /mode 0770 \(others or the group may write\)/,
    });
  },
);

/** The running agent, as the operator API serves it: scripted answers. */
function fakeAgent(status: Partial<AgentStatusView>, peripherals: PeripheralsView): OperatorPort {
  const refuse = () => Promise.reject(new Error('not in this test'));
  return {
    startWithdrawal: refuse,
    confirmCash: refuse,
    voidWithdrawal: refuse,
    payBill: refuse,
    topUp: refuse,
    dailyClose: refuse,
    withdrawal: () => null,
    status: () => ({
      stationId: 'ST-0042',
      link: 'online',
      outboxDepth: 0,
      lastEventSeq: 7,
      ackedThroughSeq: 7,
      quotaFenAvailable: 100_000,
      configVersion: 3,
      openTransactions: 0,
      downlinkRenewals: 0,
      downlinkRenewalsRefused: 0,
      ...status,
    }),
    peripherals: async () => peripherals,
  };
}

async function withAgent(
  config: Record<string, unknown>,
  operator: OperatorPort,
  token: string,
): Promise<() => Promise<void>> {
  const api = new OperatorApi({
    listen: { kind: 'unix', socketPath: (config.operatorApi as { socketPath: string }).socketPath },
    token,
    operator,
    logger: silentLogger,
  });
  await api.listen();
  return () => api.close();
}

t.test('agent running: doctor asks it over the operator socket, never opens the ports', async (t) => {
  const tokenFile = join(setup.dir, 'etc', 'operator-token');
  writeFileSync(tokenFile, 'doctor-test-operator-token-0123\n', { mode: 0o600 });
  const config = { ...base, operatorApi: { ...base.operatorApi, tokenFile } };
  const close = await withAgent(
    config,
    fakeAgent(
      { link: 'backoff', configVersion: 0 },
      {
        cardReader: {
          link: 'open',
          identity: { model: 'AGENT-CR', serialNumber: 'CR-000123', firmwareVersion: '9' },
        },
        pinPad: {
          link: 'open',
          identity: { model: 'AGENT-PP', serialNumber: 'PP-777777', firmwareVersion: '9' },
        },
      },
    ),
    'doctor-test-operator-token-0123',
  );
  t.teardown(close);
  const run = await doctor(config, 'agent-running');
  t.match(run.byCheck.agent, { status: 'PASS', detail: /running .*link backoff/ });
  t.match(run.byCheck['card reader'], {
    status: 'PASS',
    detail: /^AGENT-CR serial CR-000123 .*asked the running agent/,
  });
  t.match(run.byCheck['pin pad'], {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_PERIPHERAL_MISMATCH',
    detail: /serial PP-777777 answers, provisioning recorded PP-000456/,
  });
  t.match(run.byCheck['broker session'], {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_BROKER_REFUSED',
    detail: /link is backoff/,
  });
  t.match(run.byCheck['hq config'], { status: 'FAIL', code: 'AGENT_DOCTOR_HQ_CONFIG_MISSING' });
  t.equal(run.code, 1);
  await close();
});

t.test('AGENT_DOCTOR_AGENT_UNREACHABLE: an agent that cannot be asked is not fought', async (t) => {
  const tokenFile = join(setup.dir, 'etc', 'stale-operator-token');
  writeFileSync(tokenFile, 'a-token-the-agent-does-not-take\n', { mode: 0o600 });
  const config = { ...base, operatorApi: { ...base.operatorApi, tokenFile } };
  const close = await withAgent(
    config,
    fakeAgent({}, { cardReader: { link: 'open' }, pinPad: { link: 'open' } }),
    'the-real-operator-token-xyz',
  );
  t.teardown(close);
  const run = await doctor(config, 'agent-unreachable');
  t.match(run.byCheck.agent, {
    status: 'FAIL',
    code: 'AGENT_DOCTOR_AGENT_UNREACHABLE',
    detail: /exists but the agent could not be asked/,
  });
  for (const check of ['card reader', 'pin pad', 'broker session', 'hq config'])
    t.match(run.byCheck[check], { status: 'SKIP', detail: /a running agent may hold it/ }, check);
  await close();
});
