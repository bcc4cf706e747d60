// Logging for the whole agent: pino, one JSON line per event, a child logger per component, the
// error `code` as a field (STYLE.md "Logging"), in the line format shared with HQ (@bianmin/wire
// log-format.ts: `"time":"2026-12-05T13:17:23.123+08:00"`, `"level":"info"`). Secrets never reach
// a logger: they travel in a `Secret` wrapper whose toJSON / inspect / toString print "[secret]";
// pino `redact` is the second line of defence for field names that must never carry clear values.
//
// Where lines go: when BIANMIN_LOG_DIR is set (tests set it through .taprc, so test/log-scan.test.ts
// can scan every line the suite wrote), each process appends to `<dir>/<name>-<pid>.log`;
// otherwise to the configured log file, or to stderr (fd 2) so stdout stays free for CLI output;
// the agent under systemd (JOURNAL_STREAM set) writes to stdout (fd 1), which journald reads.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { logRedactedFieldNames, logRedactPaths, sharedLogOptions } from '@bianmin/wire';
import { type DestinationStream, destination, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

const SECRET_TEXT = '[secret]';

/** Holds a secret (token PIN, key component, PIN block). Only `reveal()` gives the value back. */
export class Secret<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return SECRET_TEXT;
  }
  toString(): string {
    return SECRET_TEXT;
  }
  [inspect.custom](): string {
    return SECRET_TEXT;
  }
}

/** The redacted field names and paths are the shared ones (@bianmin/wire log-format.ts, also HQ's). */
export const redactedFieldNames = logRedactedFieldNames;
export const redactPaths: readonly string[] = logRedactPaths;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerSetup {
  /** Process name used in the file name and the `name` field, e.g. "kiosk" or "agent". */
  readonly name: string;
  readonly level?: LogLevel;
  /** Directory of log files (device config `log.dir`); BIANMIN_LOG_DIR overrides it. */
  readonly dir?: string;
  /** An explicit destination (tests); overrides dir and BIANMIN_LOG_DIR. */
  readonly stream?: DestinationStream;
  /** Where lines go without a dir: 2 (stderr, the default: CLI output owns stdout) or 1 (the agent under systemd, for journald). */
  readonly fd?: 1 | 2;
}

/** The env var naming a directory where every process writes its log file (used by the test suite). */
export const logDirEnvName = 'BIANMIN_LOG_DIR';

function chooseDestination(setup: LoggerSetup): DestinationStream {
  if (setup.stream !== undefined) return setup.stream;
  const dir = process.env[logDirEnvName] ?? setup.dir;
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true });
    // sync: a crash must not lose the last lines before it (the supervisor restarts us).
    return destination({ dest: join(dir, `${setup.name}-${process.pid}.log`), sync: true, mkdir: true });
  }
  return destination({ fd: setup.fd ?? 2, sync: true });
}

/** The root logger of a process. Components take `logger.child({ component: 'signer' })`. */
export function createLogger(setup: LoggerSetup): Logger {
  if (!/^[a-z0-9-]+$/.test(setup.name)) throw new Error(`assert: bad logger name ${setup.name}`);
  const options: LoggerOptions = {
    name: setup.name,
    level: setup.level ?? 'info',
    // The line format shared with HQ: `time` in Beijing time (+08:00), `level` as its label, redaction.
    ...sharedLogOptions(),
    base: { pid: process.pid },
    // Error objects: keep code and message; the cause chain can hold library text but no secrets.
    serializers: { err: pino.stdSerializers.err },
  };
  return pino(options, chooseDestination(setup));
}

/** Masks a card number for display or logs: first 6, last 4 (R24); the one implementation is @bianmin/wire's. */
export { maskPan } from '@bianmin/wire';
