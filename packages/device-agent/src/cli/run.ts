// The `kiosk` command dispatcher: finds the command, parses its flags (every flag problem at
// once), prints help, and runs it with the injected services. Returns the exit code.
import { readFileSync } from 'node:fs';
import { printVersion } from '@bianmin/cli-kit';
import { checkStoreFull } from '../adapters/sqlite/integrity.js';
import { flagHelp, parseFlags } from './args.js';
import { buildDateMs } from './build-info.js';
import type { CliDeps, Command, JournalIntegrityCheck } from './command.js';
import { configCheckCommand } from './commands/config-check.js';
import { doctorCommand } from './commands/doctor.js';
import { keysLoadCommand } from './commands/keys-load.js';
import { provisionCommand } from './commands/provision.js';
import { repairCommand } from './commands/repair.js';
import { testCommand } from './commands/test-peripheral.js';
import type { CliIo } from './io.js';
import { serialPeripherals } from './peripherals.js';
import { exitOk, exitUsage, reportProblems } from './report.js';
import { txCommand } from './tx.js';

export const commands: readonly Command[] = [
  provisionCommand,
  configCheckCommand,
  doctorCommand,
  repairCommand,
  testCommand,
  keysLoadCommand,
  txCommand,
];

/** The journal's integrity check (adapters/sqlite), seen through doctor's small port. */
export const sqliteJournalCheck: JournalIntegrityCheck = {
  check(path) {
    const result = checkStoreFull(path);
    if (result.status === 'missing') return { status: 'missing' };
    if (result.status === 'ok') {
      return {
        status: 'ok',
        detail: `${result.rowCount} rows, ${result.sqliteCheck} ok, chain intact, outbox ${result.outboxDepth} row(s) and counters match the journal`,
      };
    }
    return { status: 'corrupt', detail: result.detail }; // each problem already starts with its code
  },
};

export function defaultDeps(): CliDeps {
  return { peripherals: serialPeripherals(), journal: sqliteJournalCheck, buildDateMs };
}

/** This package's version (package.json, two folders up from src/cli or dist/cli). */
export function kioskVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}

export function generalHelp(): string {
  const rows = commands.map((command) => `  kiosk ${command.usage}\n      ${command.summary}`);
  return (
    'kiosk: the field technician CLI of the China Post convenience-station kiosk\n\n' +
    `Commands:\n${rows.join('\n')}\n\n` +
    'Every command takes --help and --json; kiosk --version prints the version.\n' +
    'Exit codes: 0 ok, 1 problems found, 2 usage error.\n' +
    'Every problem is listed at once, each with a stable code (docs/errors/device-agent.md).\n' +
    'Guide: docs/operations.md\n'
  );
}

function commandHelp(command: Command): string {
  return `Usage: kiosk ${command.usage}\n\n${command.summary}\n\n${command.details}\n\nFlags:\n${flagHelp(command.flags)}\n`;
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | null {
  const [first, second] = argv;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.length === 1 && first === words[0]) return { command, rest: argv.slice(1) };
    if (words.length === 2 && first === words[0] && second === words[1])
      return { command, rest: argv.slice(2) };
  }
  return null;
}

export async function runKiosk(argv: readonly string[], io: CliIo, deps?: CliDeps): Promise<number> {
  const json = argv.includes('--json');
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(generalHelp());
    return exitOk;
  }
  if (argv[0] === '--version') return printVersion(io, 'kiosk', kioskVersion(), json);
  const found = findCommand(argv);
  if (found === null) {
    const word =
      argv
        .filter((arg) => !arg.startsWith('-'))
        .slice(0, 2)
        .join(' ') || argv[0]!;
    const known = commands.map((command) => command.name).join(', ');
    return reportProblems(
      io,
      'kiosk',
      [
        {
          code: 'AGENT_CLI_UNKNOWN_COMMAND',
          key: word,
          message: `unknown command "${word}" (commands: ${known}; kiosk --help)`,
        },
      ],
      json,
      exitUsage,
    );
  }
  const { command, rest } = found;
  const { parsed, problems } = parseFlags(rest, command.flags);
  if (parsed === null) return reportProblems(io, command.name, problems, json, exitUsage);
  if (parsed.values.help === true) {
    io.out(commandHelp(command));
    return exitOk;
  }
  return await command.run(parsed, io, deps ?? defaultDeps());
}
