// How every command ends: a list of problems (all of them, R21) or a result, as text or as one
// JSON document on stdout with --json. Exit codes: 0 ok, 1 problems found, 2 usage error.
import type { Problem } from './args.js';
import type { CliIo } from './io.js';

export const exitOk = 0;
export const exitProblems = 1;
export const exitUsage = 2;

export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((problem) => `  ${problem.code}  ${problem.key === '' ? '' : `${problem.key}: `}${problem.message}`)
    .join('\n');
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
  if (problems.length === 0) throw new Error('assert: reportProblems needs at least one problem');
  if (json) {
    io.out(`${JSON.stringify({ ok: false, command, problems, ...extra }, null, 2)}\n`);
  } else {
    io.err(
      `kiosk ${command}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatProblems(problems)}\n`,
    );
  }
  return exitCode;
}

export function reportJson(io: CliIo, command: string, data: Record<string, unknown>): void {
  io.out(`${JSON.stringify({ ok: true, command, problems: [], ...data }, null, 2)}\n`);
}
