// `kiosk doctor`: is this kiosk fit to work? Config, both serial devices (identify + heartbeat),
// the UK key (sign and verify a test digest), the broker (TCP, TLS when configured), the clock,
// disk space and the journal. A PASS/WARN/FAIL/SKIP table with a hint per failure, or --json.
// Exit 1 when any check FAILs.

import { calendarDirOf, loadCalendar } from '../../config/calendar.js';
import { loadConfigFile } from '../../config/load.js';
import type { DeviceConfig } from '../../config/schema.js';
import { validateStructure } from '../../config/validate.js';
import { doctorBrokerTimeoutMs } from '../../limits.js';
import { commonFlags } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
import { agentDeviceRow, agentLinkRows, probeRunningAgent } from '../doctor/agent-probe.js';
import { checkBrokerSession } from '../doctor/broker-session.js';
import { checkCalendar } from '../doctor/calendar-check.js';
import {
  type CheckRow,
  checkBroker,
  checkClock,
  checkClockDrift,
  checkDisk,
  checkJournal,
  checkSerialDevice,
  checkToken,
} from '../doctor/checks.js';
import { checkDataFiles } from '../doctor/data-files-check.js';
import { checkSecretFileModes } from '../doctor/secret-files-check.js';
import { cliLogger } from '../peripherals.js';
import { formatProblems } from '../report.js';

function table(rows: readonly CheckRow[]): string {
  const width = Math.max(...rows.map((row) => row.check.length), 5) + 2;
  const lines = [`${'CHECK'.padEnd(width)}STATUS  DETAIL`];
  for (const row of rows) {
    lines.push(
      `${row.check.padEnd(width)}${row.status.padEnd(8)}${row.code === undefined ? '' : `${row.code}: `}${row.detail}`,
    );
    if (row.causeCode !== undefined) lines.push(`${''.padEnd(width + 8)}cause: ${row.causeCode}`);
    if (row.hint !== undefined) lines.push(`${''.padEnd(width + 8)}hint: ${row.hint}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Card reader, PIN pad, token, broker (TCP/TLS), broker session and HQ config. A running agent is
 * asked over its operator socket (it holds the ports and the broker session); otherwise doctor
 * opens the devices and an MQTT session of its own.
 */
async function deviceAndLinkRows(
  config: DeviceConfig,
  deps: Parameters<Command['run']>[2],
  nowMs: number,
): Promise<CheckRow[]> {
  const logger = cliLogger(config);
  const agent = await probeRunningAgent(config, doctorBrokerTimeoutMs);
  if (agent.kind === 'running') {
    const s = agent.status;
    return [
      {
        check: 'agent',
        status: 'PASS',
        detail: `running (${config.operatorApi.socketPath}): link ${s.link}, outbox ${s.outboxDepth} row(s), last seq ${s.lastEventSeq}; asked it instead of opening the ports`,
      },
      agentDeviceRow('card reader', config.serial.cardReader, agent.peripherals.cardReader),
      agentDeviceRow('pin pad', config.serial.pinPad, agent.peripherals.pinPad),
      await checkToken(config, logger),
      await checkBroker(config),
      ...agentLinkRows(s),
    ];
  }
  if (agent.kind === 'unreachable') {
    const held = 'not checked: a running agent may hold it';
    return [
      {
        check: 'agent',
        status: 'FAIL',
        code: 'AGENT_DOCTOR_AGENT_UNREACHABLE',
        detail: `${config.operatorApi.socketPath} exists but the agent could not be asked: ${agent.detail}`,
        hint: 'run doctor as the service user (sudo -u bianmin kiosk doctor) so operatorApi.tokenFile is readable; if no agent runs, remove the stale socket',
      },
      { check: 'card reader', status: 'SKIP', detail: held },
      { check: 'pin pad', status: 'SKIP', detail: held },
      await checkToken(config, logger),
      await checkBroker(config),
      { check: 'broker session', status: 'SKIP', detail: held },
      { check: 'hq config', status: 'SKIP', detail: held },
    ];
  }
  const rows: CheckRow[] = [
    await checkSerialDevice('card reader', config.serial.cardReader, () =>
      deps.peripherals.cardReader(config),
    ),
    await checkSerialDevice('pin pad', config.serial.pinPad, () => deps.peripherals.pinPad(config)),
    await checkToken(config, logger),
  ];
  const broker = await checkBroker(config);
  rows.push(broker);
  if (broker.status === 'PASS') rows.push(...(await checkBrokerSession(config, { nowMs })));
  else {
    rows.push({ check: 'broker session', status: 'SKIP', detail: 'broker not reachable' });
    rows.push({ check: 'hq config', status: 'SKIP', detail: 'broker not reachable' });
  }
  return rows;
}

/** The calendar the agent would load (config/calendar.ts, the same folder rule). */
function calendarRow(nowMs: number): CheckRow {
  const dir = calendarDirOf(process.env);
  return checkCalendar(dir, loadCalendar(dir), nowMs);
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the whole kiosk and print a PASS/WARN/FAIL table',
  usage: 'doctor [--config FILE] [--json]',
  details:
    'Checks: config, secret files (token PIN, bearer token, keys, broker password: mode 0600 and\n' +
    "owned by the user doctor runs as: the agent's start-up check), data files (the journal: no\n" +
    'access for group/others, one owner), card reader and PIN pad (identify + heartbeat, serial\n' +
    'number as recorded at provisioning; asked through the running agent when there is one), token\n' +
    '(sign + verify a test digest), broker (TCP connect; TLS handshake when configured), broker\n' +
    'session (a real MQTT session with the configured credentials: CONNACK accepted) and hq config\n' +
    '(the retained HQ-signed config verifies; from the running agent when there is one), clock,\n' +
    'disk space of the journal\n' +
    'directory against the reserve, journal integrity (SQLite integrity_check, hash chain, outbox and\n' +
    'counters against the journal; SKIP when there is no journal yet), and the clock drift against HQ\n' +
    'the agent last measured. Exit 1 when any check FAILs.',
  flags: { ...commonFlags, ...configFlag },
  async run(parsed, io, deps) {
    const json = parsed.values.json === true;
    const file = configPathOf(parsed, io);
    const report = loadConfigFile(file);
    const rows: CheckRow[] = [];
    rows.push(
      report.problems.length === 0
        ? { check: 'config', status: 'PASS', detail: file }
        : {
            check: 'config',
            status: 'FAIL',
            code: 'AGENT_DOCTOR_CONFIG_INVALID',
            detail: `${file}: ${report.problems.length} problem(s)\n${formatProblems(report.problems)}`,
            hint: `run kiosk config check ${file}`,
          },
    );
    // Path problems (a device missing) still let the other checks run and name their own failures.
    const config = report.raw === undefined ? null : validateStructure(report.raw).config;
    if (config === null) {
      for (const check of [
        'secret files',
        'data files',
        'card reader',
        'pin pad',
        'token',
        'broker',
        'broker session',
        'hq config',
        'clock drift',
        'disk',
        'journal',
      ]) {
        rows.push({ check, status: 'SKIP', detail: 'config unusable' });
      }
      rows.push(checkClock(io.nowMs(), deps.buildDateMs));
      rows.push(calendarRow(io.nowMs()));
    } else {
      // The agent's own start-up check (config/secret-files.ts), as the user doctor runs as.
      rows.push(checkSecretFileModes(config, process.getuid?.() ?? 0));
      rows.push(checkDataFiles(config.journal.path));
      rows.push(...(await deviceAndLinkRows(config, deps, io.nowMs())));
      rows.push(checkClock(io.nowMs(), deps.buildDateMs));
      rows.push(checkClockDrift(config.journal.path, io.nowMs(), config.hq.clockSkewMsMax));
      rows.push(checkDisk(config.journal.path, deps.bytesFree, config.journal.diskReserveBytes));
      rows.push(checkJournal(config.journal.path, deps.journal));
      rows.push(calendarRow(io.nowMs()));
    }
    const failed = rows.filter((row) => row.status === 'FAIL');
    if (json) {
      const problems = failed.map((row) => ({ code: row.code!, key: row.check, message: row.detail }));
      io.out(
        `${JSON.stringify({ ok: failed.length === 0, command: 'doctor', config: file, checks: rows, problems }, null, 2)}\n`,
      );
    } else {
      io.out(table(rows));
      io.out(
        failed.length === 0
          ? 'kiosk doctor: all checks passed\n'
          : `kiosk doctor: ${failed.length} check(s) FAILED\n`,
      );
    }
    return failed.length === 0 ? 0 : 1;
  },
};
