// How every `kiosk` command ends, in the one output style of both CLIs (@bianmin/cli-kit
// printProblems / printResult): a list of problems (all of them, R21) or a result, human text by
// default, one JSON document on stdout with --json. Exit codes: 0 ok, 1 problems found, 2 usage.
// The kiosk's problems name their config key (`key`); cli-kit prints the field at fault, so each
// problem is given as both (the JSON keeps `key` for scripts that read it).
import {
  type CliProblem,
  formatProblems as formatCliProblems,
  printProblems,
  printResult,
} from '@bianmin/cli-kit';
import type { Problem } from './args.js';
import type { CliIo } from './io.js';

export { exitOk, exitProblems, exitUsage } from '@bianmin/cli-kit';

function asCliProblems(problems: readonly Problem[]): Array<CliProblem & Problem> {
  return problems.map((problem) => ({ ...problem, field: problem.key }));
}

export function formatProblems(problems: readonly Problem[]): string {
  return formatCliProblems(asCliProblems(problems));
}

/** Prints problems (text to stderr, or JSON to stdout) and returns the exit code. */
export function reportProblems(
  io: CliIo,
  command: string,
  problems: readonly Problem[],
  json: boolean,
  exitCode: number,
  extra: Record<string, unknown> = {},
): number {
  return printProblems(io, { cli: 'kiosk', command, json }, asCliProblems(problems), exitCode, extra);
}

/** A command's result as JSON (--json); the text form is the command's own. */
export function reportJson(io: CliIo, command: string, data: Record<string, unknown>): void {
  printResult(io, { command, json: true }, data, '');
}
