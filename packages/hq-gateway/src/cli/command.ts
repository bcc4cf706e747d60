// The shape of one `hq` command and what the commands share: the config (--config or
// $HQ_CONFIG), the store opened for one command, the operations with a short-lived MQTT
// publisher, and the checks of common flags. Commands throw HqError with every problem (R21);
// run.ts prints them in the shared style (@bianmin/cli-kit).

import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { CliOutput, FlagSpecs, Parsed } from '@bianmin/cli-kit';
import mqtt from 'mqtt';
import type { BankAccountSeed } from '../adapters/bank-sim/bank-sim.js';
import { readHqKey } from '../adapters/crypto/hq-key.js';
import { AuditLog } from '../app/audit-log.js';
import { HqOperations } from '../app/operations.js';
import { stationQuotaView } from '../app/quota-view.js';
import { networkBlockFor } from '../app/station-control.js';
import { cliMqttOptions, type HqConfig, readHqConfig, readSecret } from '../config.js';
import { stationDefaultsOf } from '../config-service-hours.js';
import { HqError, type HqProblem } from '../errors.js';
import { loadCalendarYears, type OpenedStore, openHqStore } from '../main.js';
import { systemClock } from '../ports/clock.js';
import type { IntegrityStore } from '../ports/integrity-store.js';
import type { OpsStore } from '../ports/ops-store.js';
import type { Publisher } from '../ports/publisher.js';
import type { Store } from '../ports/store.js';

/** What a command gives back: `data` for --json (under `result`), `text` for people. */
export interface CommandResult {
  readonly data: unknown;
  readonly text: string;
}

export interface HqCommand {
  /** e.g. "station enrol" */
  readonly name: string;
  readonly summary: string;
  /** Usage line, e.g. "hq quota purchase --station ID --fen N --config FILE". */
  readonly usage: string;
  readonly flags: FlagSpecs;
  /** Positional arguments the command takes, exactly. */
  readonly positionals: number;
  run(parsed: Parsed, io: CliOutput, json: boolean): Promise<CommandResult>;
}

/** The usual text of a command that returns a record: "<name>: ok" and the record. */
export function okText(name: string, data: unknown): string {
  return `${name}: ok\n${JSON.stringify(data, null, 2)}\n`;
}

export const configFlag = {
  config: { type: 'string', valueName: 'FILE', description: 'HQ config file (default: $HQ_CONFIG)' },
} as const satisfies FlagSpecs;

export function usageError(problems: HqProblem[]): HqError {
  return new HqError('HQ_CLI_USAGE', 'bad command line', { problems });
}

export function loadConfig(parsed: Parsed): HqConfig {
  const path = (parsed.values.config as string | undefined) ?? process.env.HQ_CONFIG;
  if (path === undefined) {
    throw usageError([
      { code: 'HQ_CLI_USAGE', field: '--config', message: '--config FILE (or HQ_CONFIG) is required' },
    ]);
  }
  return readHqConfig(path);
}

/**
 * Open the configured store for one command, and close it whatever happens. `opened` carries the
 * other HQ ports on the same database (ops, reality, operations, facts).
 */
export async function withStore<T>(
  parsed: Parsed,
  work: (store: Store, opened: OpenedStore) => Promise<T>,
): Promise<T> {
  const opened = await openHqStore(loadConfig(parsed).store);
  try {
    return await work(opened.store, opened);
  } finally {
    await opened.close();
  }
}

export function readTpk(config: HqConfig): Uint8Array {
  const hex = readSecret(config.tpkFile, 'HQ_TPK_HEX');
  if (hex === undefined || !/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new HqError('HQ_CONFIG_INVALID', 'the test TPK must be 32 hex digits (tpkFile or HQ_TPK_HEX)', {
      problems: [{ code: 'HQ_CONFIG_INVALID', field: 'tpkFile', message: 'tpkFile: 32 hex digits required' }],
    });
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function readBankAccountsFile(file: string): BankAccountSeed[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BankAccountSeed[];
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read ${file}`, { cause: error });
  }
}

export function stationFlag(parsed: Parsed, problems: HqProblem[]): string {
  const station = parsed.values.station;
  if (typeof station !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(station)) {
    problems.push({
      code: 'HQ_CLI_USAGE',
      field: '--station',
      message: '--station ID is required (1..32 of [A-Za-z0-9_-])',
    });
    return '';
  }
  return station;
}

/** An MQTT connection for one command's publishes (configs), closed by the caller. */
async function connectPublisher(
  config: HqConfig,
): Promise<{ publisher: Publisher; client: mqtt.MqttClient }> {
  let client: mqtt.MqttClient;
  try {
    // The CLI's own broker user and TLS files (cliMqttOptions): with client id bound to the user
    // name (deploy/mosquitto/), logging in as the gateway's user would take over its session.
    client = await mqtt.connectAsync(config.brokerUrl, {
      protocolVersion: 4,
      clientId: `${config.clientId}-cli-${process.pid}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...cliMqttOptions(config),
    });
  } catch (error) {
    throw new HqError('HQ_MQTT_FAILED', `cannot connect to ${config.brokerUrl}`, { cause: error });
  }
  const publisher: Publisher = {
    async publish(topic, payload, options) {
      await client.publishAsync(topic, Buffer.from(payload), { qos: options.qos, retain: options.retain });
    },
  };
  return { publisher, client };
}

/** Operations against the store, publishing through a short-lived MQTT connection when asked. */
export async function withOperations<T>(
  config: HqConfig,
  publish: boolean,
  work: (
    operations: HqOperations,
    store: Store,
    integrity: IntegrityStore,
    opened: OpenedStore,
  ) => Promise<T>,
): Promise<T> {
  const hqKey = readHqKey(config.hqKeyFile);
  const opened = await openHqStore(config.store);
  const store = opened.store;
  let client: mqtt.MqttClient | undefined;
  try {
    let publisher: Publisher | undefined;
    if (publish) ({ publisher, client } = await connectPublisher(config));
    const calendarYears = loadCalendarYears(config.calendarDir);
    const integrity = opened.integrity;
    const operations = new HqOperations({
      store,
      hqKey,
      clock: systemClock,
      defaults: stationDefaultsOf(config.serviceHours),
      ...(publisher === undefined ? {} : { publisher }),
      // HQ's quota view: the ledger mirror rebuilt from this station's stored events, judged as at
      // ingest (a forged purchase is not signed into a config; app/quota-view.ts).
      quotaOf: (stationId) => stationQuotaView(store, integrity, calendarYears, stationId),
      integrity,
      // R4: no quota purchase for a station whose lifecycle exists and is not open.
      networkBlock: (stationId) => networkBlockFor(opened.operations, stationId),
    });
    return await work(operations, store, integrity, opened);
  } finally {
    if (client !== undefined) await client.endAsync();
    await opened.close();
  }
}

/** Who runs a CLI command, as the audit log names them: 'cli:<operating-system user>'. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? 'unknown'}`;
  }
}

/** Append a CLI write to the audit log (issue 11), as the API does for its writes. */
export async function auditCli(
  ops: OpsStore,
  action: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await new AuditLog(ops, systemClock).record({ userName: cliActor(), role: 'cli' }, action, target, detail);
}
