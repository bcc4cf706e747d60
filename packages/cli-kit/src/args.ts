// Flag parsing for every command of both CLIs: node:util parseArgs, strict. Before the strict
// pass, a tolerant pass over parseArgs' tokens collects EVERY flag problem (unknown flag, missing
// value, value on a boolean) so the operator sees all of them at once (R21), each under the
// calling CLI's own usage code (AGENT_CLI_BAD_FLAG, HQ_CLI_USAGE).
import { parseArgs } from 'node:util';

/** One problem with a command line or a command's input: a stable code, the field at fault. */
export interface CliProblem {
  readonly code: string;
  /** The flag, argument or field at fault ('' when none). */
  readonly field: string;
  readonly message: string;
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown in help as the value's name, e.g. FILE. */
  readonly valueName?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Flags every command of both CLIs takes. */
export const commonFlags = {
  help: { type: 'boolean', description: 'show this help' },
  json: { type: 'boolean', description: 'print the result (or the problems) as one JSON document' },
} as const satisfies FlagSpecs;

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Parse `argv` against `specs`; every problem at once under `usageCode`, or the parsed flags. */
export function parseFlags(
  argv: readonly string[],
  specs: FlagSpecs,
  usageCode: string,
): { parsed: Parsed | null; problems: CliProblem[] } {
  if (usageCode.length === 0) throw new Error('parseFlags: a usage code is required');
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }]),
  );
  const problems: CliProblem[] = [];
  const loose = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of loose.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    const field = token.rawName;
    if (spec === undefined) problems.push({ code: usageCode, field, message: `unknown flag ${field}` });
    else if (spec.type === 'string' && token.value === undefined)
      problems.push({ code: usageCode, field, message: `${field} needs a value` });
    else if (spec.type === 'boolean' && token.value !== undefined)
      problems.push({ code: usageCode, field, message: `${field} takes no value` });
  }
  if (problems.length > 0) return { parsed: null, problems };
  try {
    const strict = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return {
      parsed: { values: strict.values as Parsed['values'], positionals: strict.positionals },
      problems,
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERR_PARSE_ARGS';
    return {
      parsed: null,
      problems: [{ code: usageCode, field: '', message: `${code}: ${(error as Error).message}` }],
    };
  }
}

/** The flags as help lines, one per flag. */
export function flagHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = spec.type === 'string' ? `--${name} ${spec.valueName ?? 'VALUE'}` : `--${name}`;
    return `  ${left.padEnd(28)} ${spec.description}`;
  });
  return rows.join('\n');
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The command named by the first words of `argv` (e.g. "station enrol", "release rollout start"),
 * and the arguments after it; null when none matches. Longer names win over shorter ones.
 */
export function findCommand<C extends { readonly name: string }>(
  commands: readonly C[],
  argv: readonly string[],
): { command: C; rest: string[] } | null {
  // The longest name whose words open argv wins ('release rollout create' before a 'release').
  let found: { command: C; rest: string[] } | null = null;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (!words.every((word, index) => argv[index] === word)) continue;
    if (found === null || words.length > found.command.name.split(' ').length)
      found = { command, rest: argv.slice(words.length) };
  }
  return found;
}
