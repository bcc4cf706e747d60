// What the station-network commands share (issue 11): the operations store on the configured
// store (SQLite file or PostgreSQL), the working calendar from calendarDir, HQ's clock and the ingest facts; the actor
// (the operating-system user, in the role given by --role or $HQ_ROLE, default market); a refusal
// printed as every reason with its stable code (R21, exit 1). Each command is built by
// networkCommand from its flags and one function over the application layer (app/network/).
import { userInfo } from 'node:os';
import type { FlagSpecs, Parsed } from '@bianmin/cli-kit';
import { createWorkingCalendar } from '@bianmin/core-ledger';
import type { Actor, NetworkDeps } from '../../app/network/deps.js';
import { refusalError } from '../../app/network/refusal-error.js';
import type { NetRefusal } from '../../domain/network/refusal.js';
import type { HqProblem } from '../../errors.js';
import { loadCalendarYears, openHqStore } from '../../main.js';
import { systemClock } from '../../ports/clock.js';
import {
  type CommandResult,
  configFlag,
  type HqCommand,
  loadConfig,
  okText,
  usageError,
} from '../command.js';

export const roleFlags = {
  role: {
    type: 'string',
    valueName: 'ROLE',
    description:
      'your department: market, ecommerce, supervision, finance, branch, ... (default $HQ_ROLE or market)',
  },
  branch: { type: 'string', valueName: 'ID', description: 'with --role branch: your branch' },
  reason: { type: 'string', valueName: 'TEXT', description: 'why (recorded with the step)' },
  'idempotency-key': {
    type: 'string',
    valueName: 'KEY',
    description: 'a retried command with the same key is recorded once',
  },
} as const satisfies FlagSpecs;

export interface NetworkContext {
  readonly deps: NetworkDeps;
  readonly actor: Actor;
  readonly parsed: Parsed;
  readonly options: { reason?: string; idempotencyKey?: string };
}

function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** The value of a step: its data, or the refusal thrown with every reason. */
export function unwrap<T extends { ok: boolean }>(result: T | NetRefusal): Exclude<T, NetRefusal> {
  if (!result.ok) throw refusalError(result as NetRefusal);
  return result as Exclude<T, NetRefusal>;
}

/** A string flag that must be present (a problem added when it is not). */
export function required(
  parsed: Parsed,
  flag: string,
  problems: HqProblem[],
  pattern = /^.{1,2000}$/s,
): string {
  const value = parsed.values[flag];
  if (typeof value === 'string' && pattern.test(value)) return value;
  problems.push({
    code: 'HQ_CLI_USAGE',
    field: `--${flag}`,
    message: `--${flag} is required (${String(pattern).slice(1, 40)})`,
  });
  return '';
}

export function numberFlag(parsed: Parsed, flag: string, problems: HqProblem[]): number {
  const text = required(parsed, flag, problems);
  const value = Number(text);
  if (text !== '' && !Number.isFinite(value))
    problems.push({ code: 'HQ_CLI_USAGE', field: `--${flag}`, message: `--${flag} must be a number` });
  return value;
}

export function jsonFlag(parsed: Parsed, flag: string, problems: HqProblem[]): Record<string, unknown> {
  const text = parsed.values[flag];
  if (text === undefined) return {};
  try {
    const value = JSON.parse(String(text)) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push({ code: 'HQ_CLI_USAGE', field: `--${flag}`, message: `--${flag} must be a JSON object` });
  return {};
}

export function networkCommand(spec: {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagSpecs;
  readonly positionals: number;
  /** Check flags first (problems collected), then work. */
  readonly run: (context: NetworkContext, problems: HqProblem[]) => (() => Promise<unknown>) | undefined;
  readonly text?: (data: unknown) => string;
  /**
   * R4: the command may change a station's lifecycle state: after it, the store's station-control
   * version is bumped so a running gateway applies the station's block at its next poll.
   */
  readonly changesStations?: boolean;
}): HqCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `${spec.usage} --config FILE`,
    flags: { ...configFlag, ...roleFlags, ...spec.flags },
    positionals: spec.positionals,
    async run(parsed): Promise<CommandResult> {
      const problems: HqProblem[] = [];
      const role = (parsed.values.role as string | undefined) ?? process.env.HQ_ROLE ?? 'market';
      const branchId = parsed.values.branch as string | undefined;
      const actor: Actor = { name: operatorName(), role, ...(branchId === undefined ? {} : { branchId }) };
      const options = {
        ...(parsed.values.reason === undefined ? {} : { reason: String(parsed.values.reason) }),
        ...(parsed.values['idempotency-key'] === undefined
          ? {}
          : { idempotencyKey: String(parsed.values['idempotency-key']) }),
      };
      const config = loadConfig(parsed);
      // The configured store, SQLite or PostgreSQL (migrated on open): the operations log and the
      // ingest facts live in the same database.
      const opened = await openHqStore(config.store);
      try {
        const deps: NetworkDeps = {
          store: opened.operations,
          calendar: createWorkingCalendar(loadCalendarYears(config.calendarDir)),
          clock: systemClock,
          facts: opened.facts,
        };
        const work = spec.run({ deps, actor, parsed, options }, problems);
        if (problems.length > 0 || work === undefined) throw usageError(problems);
        const data = await work();
        if (spec.changesStations === true) await opened.ops.bumpStationControlVersion();
        return { data, text: spec.text === undefined ? okText(spec.name, data) : spec.text(data) };
      } finally {
        await opened.close();
      }
    },
  };
}
