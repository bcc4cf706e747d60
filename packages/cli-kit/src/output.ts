// The one output style of both CLIs: human text by default (results on stdout, problems on
// stderr), one JSON document on one line on stdout with --json, `--version` as "<cli> <version>".
// Exit codes: 0 ok, 1 problems found, 2 usage error. JSON: { ok, command, problems, ...data }.
import type { CliProblem } from './args.js';

export const exitOk = 0;
export const exitProblems = 1;
export const exitUsage = 2;

/** Where a command writes; injected so tests run commands in-process with captured output. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export function formatProblems(problems: readonly CliProblem[]): string {
  return problems
    .map(
      (problem) => `  ${problem.code}  ${problem.field === '' ? '' : `${problem.field}: `}${problem.message}`,
    )
    .join('\n');
}

/** Print every problem (text on stderr, or JSON on stdout) and return `exitCode`. */
export function printProblems(
  io: CliOutput,
  target: { readonly cli: string; readonly command: string; readonly json: boolean },
  problems: readonly CliProblem[],
  exitCode: number,
  extra: Readonly<Record<string, unknown>> = {},
): number {
  if (problems.length === 0) throw new Error('printProblems needs at least one problem');
  if (exitCode === exitOk) throw new Error('printProblems: problems never exit 0');
  if (target.json) {
    io.out(`${JSON.stringify({ ok: false, command: target.command, problems, ...extra })}\n`);
  } else {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    io.err(`${target.cli} ${target.command}: ${count}\n${formatProblems(problems)}\n`);
  }
  return exitCode;
}

/** Print a result: `data` as JSON with --json, else `text` (nothing when text is empty). */
export function printResult(
  io: CliOutput,
  target: { readonly command: string; readonly json: boolean },
  data: Readonly<Record<string, unknown>>,
  text: string,
): number {
  if (target.json)
    io.out(`${JSON.stringify({ ok: true, command: target.command, problems: [], ...data })}\n`);
  else if (text.length > 0) io.out(text.endsWith('\n') ? text : `${text}\n`);
  return exitOk;
}

/** `<cli> --version`. */
export function printVersion(io: CliOutput, cli: string, version: string, json: boolean): number {
  if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`version ${version} is not semver`);
  if (json) io.out(`${JSON.stringify({ ok: true, command: 'version', problems: [], name: cli, version })}\n`);
  else io.out(`${cli} ${version}\n`);
  return exitOk;
}
