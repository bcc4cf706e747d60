// `kiosk doctor`: is this kiosk fit to work? Config, both serial devices (identify + heartbeat),
// the UK key (sign and verify a test digest), the broker (TCP, TLS when configured), the clock,
// disk space and the journal. A PASS/WARN/FAIL/SKIP table with a hint per failure, or --json.
// Exit 1 when any check FAILs.
import { loadConfigFile } from '../../config/load.js';
import { validateStructure } from '../../config/validate.js';
import { commonFlags } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
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

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the whole kiosk and print a PASS/WARN/FAIL table',
  usage: 'doctor [--config FILE] [--json]',
  details:
    'Checks: config, secret files (token PIN, bearer token, keys, broker password: mode 0600 and\n' +
    "owned by the user doctor runs as: the agent's start-up check), card reader and PIN pad\n" +
    '(identify + heartbeat), token (sign + verify a test\n' +
    'digest), broker (TCP connect; TLS handshake when configured), clock, disk space of the journal\n' +
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
        'card reader',
        'pin pad',
        'token',
        'broker',
        'clock drift',
        'disk',
        'journal',
      ]) {
        rows.push({ check, status: 'SKIP', detail: 'config unusable' });
      }
      rows.push(checkClock(io.nowMs(), deps.buildDateMs));
    } else {
      const logger = cliLogger(config);
      // The agent's own start-up check (config/secret-files.ts), as the user doctor runs as.
      rows.push(checkSecretFileModes(config, process.getuid?.() ?? 0));
      rows.push(
        await checkSerialDevice('card reader', config.serial.cardReader, () =>
          deps.peripherals.cardReader(config),
        ),
      );
      rows.push(
        await checkSerialDevice('pin pad', config.serial.pinPad, () => deps.peripherals.pinPad(config)),
      );
      rows.push(await checkToken(config, logger));
      rows.push(await checkBroker(config));
      rows.push(checkClock(io.nowMs(), deps.buildDateMs));
      rows.push(checkClockDrift(config.journal.path, io.nowMs(), config.hq.clockSkewMsMax));
      rows.push(checkDisk(config.journal.path, deps.bytesFree, config.journal.diskReserveBytes));
      rows.push(checkJournal(config.journal.path, deps.journal));
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
