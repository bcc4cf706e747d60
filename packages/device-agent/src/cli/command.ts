// The shape of one `kiosk` command and the services commands share (injected, so tests can swap
// the peripherals, the journal check or the clock).
import type { DeviceConfig } from '../config/schema.js';
import type { CardReader } from '../ports/card-reader.js';
import type { PinPad } from '../ports/pin-pad.js';
import type { FlagSpecs, Parsed } from './args.js';
import type { CliIo } from './io.js';

/** Opens the peripherals named in the config (the serial drivers in production). */
export interface PeripheralFactory {
  cardReader(config: DeviceConfig): CardReader;
  pinPad(config: DeviceConfig): PinPad;
}

/** The journal's own integrity check (built with the journal); doctor only reports what it says. */
export type JournalIntegrityResult =
  | { readonly status: 'missing' }
  | { readonly status: 'ok'; readonly detail: string }
  | { readonly status: 'corrupt'; readonly detail: string };

export interface JournalIntegrityCheck {
  check(journalPath: string): JournalIntegrityResult;
}

export interface CliDeps {
  readonly peripherals: PeripheralFactory;
  readonly journal: JournalIntegrityCheck;
  /** The build date: a clock before it is certainly wrong. */
  readonly buildDateMs: number;
  /** Free bytes of a directory's file system; default statfs. Tests inject a full disk. */
  readonly bytesFree?: (dir: string) => number;
}

export interface Command {
  /** e.g. "config check" */
  readonly name: string;
  readonly summary: string;
  /** Usage line after "kiosk ". */
  readonly usage: string;
  /** Extra help text (what it does, what it prints). */
  readonly details: string;
  readonly flags: FlagSpecs;
  run(parsed: Parsed, io: CliIo, deps: CliDeps): Promise<number>;
}

export const defaultConfigPath = '/etc/bianmin/kiosk.json';
export const configEnvName = 'BIANMIN_CONFIG';

export const configFlag = {
  config: {
    type: 'string',
    valueName: 'FILE',
    description: `device config (default $${configEnvName}, else ${defaultConfigPath})`,
  },
} as const;

export function configPathOf(parsed: Parsed, io: CliIo): string {
  const value = parsed.values.config;
  if (typeof value === 'string') return value;
  return io.env[configEnvName] ?? defaultConfigPath;
}
