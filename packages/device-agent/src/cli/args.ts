// Flag parsing for every command: node:util parseArgs, strict. Before the strict pass, a tolerant
// pass over parseArgs' tokens collects EVERY flag problem (unknown flag, missing value, value on a
// boolean) so the technician sees all of them at once (R21), each with AGENT_CLI_BAD_FLAG.
import { parseArgs } from 'node:util';
import type { ConfigProblem } from '../config/validate.js';

export type Problem = ConfigProblem;

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown in help as the value's name, e.g. FILE. */
  readonly valueName?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export const commonFlags = {
  help: { type: 'boolean', description: 'show this help' },
  json: { type: 'boolean', description: 'print the result as one JSON document' },
} as const satisfies FlagSpecs;

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export function parseFlags(
  argv: readonly string[],
  specs: FlagSpecs,
): { parsed: Parsed | null; problems: Problem[] } {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }]),
  );
  const problems: Problem[] = [];
  const loose = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of loose.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      problems.push({
        code: 'AGENT_CLI_BAD_FLAG',
        key: token.rawName,
        message: `unknown flag ${token.rawName}`,
      });
    } else if (spec.type === 'string' && token.value === undefined) {
      problems.push({
        code: 'AGENT_CLI_BAD_FLAG',
        key: token.rawName,
        message: `${token.rawName} needs a value`,
      });
    } else if (spec.type === 'boolean' && token.value !== undefined) {
      problems.push({
        code: 'AGENT_CLI_BAD_FLAG',
        key: token.rawName,
        message: `${token.rawName} takes no value`,
      });
    }
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
      problems: [{ code: 'AGENT_CLI_BAD_FLAG', key: '', message: `${code}: ${(error as Error).message}` }],
    };
  }
}

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
