// The `hq` command dispatcher: finds the command (one or two words), parses its flags with the
// shared parser (every problem at once, R21), prints help or the version, runs it and prints its
// result or its problems in the shared output style (@bianmin/cli-kit): text by default, one JSON
// line with --json; exit 0 ok, 1 problems, 2 usage. Commands live in commands/<name>.ts.
import { readFileSync } from 'node:fs';
import {
  type CliOutput,
  type CliProblem,
  commonFlags,
  exitOk,
  exitProblems,
  exitUsage,
  findCommand,
  flagHelp,
  parseFlags,
  printProblems,
  printResult,
  printVersion,
} from '@bianmin/cli-kit';
import { HqError } from '../errors.js';
import type { HqCommand } from './command.js';
import { auditSignaturesCommand } from './commands/audit-signatures.js';
import { bankSeedCommand } from './commands/bank-seed.js';
import { configSendCommand } from './commands/config-send.js';
import { keyGenerateCommand } from './commands/key-generate.js';
import { migrateCommand } from './commands/migrate.js';
import {
  networkBranchAddCommand,
  networkListCommand,
  networkOverdueCommand,
  networkProposeCommand,
  networkShowCommand,
  networkStepCommand,
  networkSurveyCommand,
} from './commands/network.js';
import {
  archiveExportCommand,
  commissionRunCommand,
  commissionShowCommand,
  commissionStepCommand,
  complaintShowCommand,
  complaintStepCommand,
  inspectionFeesCommand,
  inspectionRecordCommand,
  repairCloseCommand,
  repairOpenCommand,
  statisticsSubmitCommand,
} from './commands/operations.js';
import { quotaPurchaseCommand } from './commands/quota-purchase.js';
import { releasePublishCommand } from './commands/release-publish.js';
import { reportDailyCommand } from './commands/report-daily.js';
import { reportCommissionCommand, reportStatisticsCommand } from './commands/report-network.js';
import {
  rolloutCancelCommand,
  rolloutCreateCommand,
  rolloutPauseCommand,
  rolloutResumeCommand,
  rolloutShowCommand,
  rolloutStartCommand,
} from './commands/rollout.js';
import { serveCommand } from './commands/serve.js';
import { stationEnrolCommand } from './commands/station-enrol.js';
import { stationResumeCommand } from './commands/station-resume.js';
import { statusCommand } from './commands/status.js';
import { userAddCommand } from './commands/user-add.js';
import { keyLoadCommand, keyTmkCommand } from './commands/working-key.js';

export const commands: readonly HqCommand[] = [
  serveCommand,
  stationEnrolCommand,
  stationResumeCommand,
  configSendCommand,
  quotaPurchaseCommand,
  statusCommand,
  reportDailyCommand,
  auditSignaturesCommand,
  keyGenerateCommand,
  // Issue 13, R24: remote key loading (the bank simulator's HSM stand-in).
  keyTmkCommand,
  keyLoadCommand,
  bankSeedCommand,
  migrateCommand,
  // Issue 11: the station network (cli/commands/network.ts, operations.ts).
  networkBranchAddCommand,
  networkProposeCommand,
  networkSurveyCommand,
  networkStepCommand,
  networkShowCommand,
  networkListCommand,
  networkOverdueCommand,
  inspectionRecordCommand,
  inspectionFeesCommand,
  repairOpenCommand,
  repairCloseCommand,
  complaintStepCommand,
  complaintShowCommand,
  statisticsSubmitCommand,
  commissionRunCommand,
  commissionStepCommand,
  commissionShowCommand,
  archiveExportCommand,
  reportStatisticsCommand,
  reportCommissionCommand,
  userAddCommand,
  // Issue 13: kiosk release bundles.
  releasePublishCommand,
  // Issue 13: release rollouts (cli/commands/rollout.ts).
  rolloutCreateCommand,
  rolloutStartCommand,
  rolloutPauseCommand,
  rolloutResumeCommand,
  rolloutCancelCommand,
  rolloutShowCommand,
];

/** This package's version (package.json, two folders up from src/cli or dist/cli). */
export function hqVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}

function generalHelp(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`);
  return (
    'hq: the HQ gateway CLI\n\nUsage: hq <command> [--help] [--json]\n\n' +
    `Commands:\n${lines.join('\n')}\n\n` +
    'Every command takes --help and --json; hq --version prints the version. Exit codes: 0 ok,\n' +
    '1 problems found, 2 usage error. Every problem is listed at once with its stable code\n' +
    '(docs/errors/hq-gateway.md).\n'
  );
}

function commandHelp(command: HqCommand): string {
  return `${command.summary}\n\nUsage: ${command.usage} [--json]\n\nFlags:\n${flagHelp({ ...command.flags, ...commonFlags })}\n`;
}

function problemsOf(error: unknown): CliProblem[] {
  if (error instanceof HqError)
    return error.problems.map((p) => ({ code: p.code, field: p.field ?? '', message: p.message }));
  // Not one of HQ's own errors: its own code, never a store failure (docs/errors/hq-gateway.md).
  return [
    { code: 'HQ_INTERNAL_ERROR', field: '', message: error instanceof Error ? error.message : String(error) },
  ];
}

export async function runHq(argv: readonly string[], io: CliOutput): Promise<number> {
  const json = argv.includes('--json');
  if (argv[0] === '--version') return printVersion(io, 'hq', hqVersion(), json);
  const found = findCommand(commands, argv);
  if (found === null) {
    if (argv.length === 0 || argv.includes('--help') || argv[0] === 'help') {
      io.out(generalHelp());
      return argv.length === 0 ? exitUsage : exitOk;
    }
    const words = argv.filter((a) => !a.startsWith('-'));
    const problem = {
      code: 'HQ_CLI_USAGE',
      field: 'command',
      message: `unknown command: ${words.join(' ')}`,
    };
    return printProblems(io, { cli: 'hq', command: 'hq', json }, [problem], exitUsage);
  }
  const { command, rest } = found;
  const target = { cli: 'hq', command: command.name, json };
  const { parsed, problems } = parseFlags(rest, { ...command.flags, ...commonFlags }, 'HQ_CLI_USAGE');
  if (parsed?.values.help === true) {
    io.out(commandHelp(command));
    return exitOk;
  }
  if (parsed !== null && parsed.positionals.length !== command.positionals) {
    problems.push({
      code: 'HQ_CLI_USAGE',
      field: 'arguments',
      message: `expected ${command.positionals} argument(s): ${command.usage}`,
    });
  }
  if (parsed === null || problems.length > 0) return printProblems(io, target, problems, exitUsage);
  try {
    const { data, text } = await command.run(parsed, io, json);
    return printResult(io, target, { result: data }, text);
  } catch (error) {
    const exitCode = error instanceof HqError && error.code === 'HQ_CLI_USAGE' ? exitUsage : exitProblems;
    return printProblems(io, target, problemsOf(error), exitCode);
  }
}
