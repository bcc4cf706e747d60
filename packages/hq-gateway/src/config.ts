// The HQ config file (JSON), checked at the edge: every unknown key, bad type and missing value
// reported at once with its field (R21), as HQ_CONFIG_INVALID. Paths are resolved against the
// config file's folder. Secrets (MQTT password, TPK, card-key secret) come from files or the
// environment, never from a command-line argument.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadMqttTls, type MqttTlsFiles, type MqttTlsOptions } from './adapters/mqtt/tls.js';
import { CardKeySecret, cardKeySecretSizeMin } from './app/card-key.js';
import { checkReleases, type ReleasesConfig, resolveReleases } from './config-releases.js';
import { checkServiceHours, type ServiceHoursConfig } from './config-service-hours.js';
import { HqError, type HqProblem } from './errors.js';
import { natsPartitionsMax, stationSilenceMsMaxMax, stationSilenceMsMaxMin } from './limits.js';

/**
 * Where HQ keeps its store: an embedded SQLite file (the default, for the demo and a laptop) or
 * PostgreSQL (production; several HQ processes may share one database).
 */
export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface NatsTransport {
  readonly natsUrls: readonly string[];
  readonly mqttUrls: readonly string[];
  readonly partitions: number;
}

export type BrokerConfig = { readonly kind: 'mqtt' } | ({ readonly kind: 'nats' } & NatsTransport);

export interface HqConfig {
  /**
   * SQLite database file of the HQ store (and the bank simulator's tables): the short form of
   * `store: { kind: 'sqlite', path }`. Give dbPath or store, not both.
   */
  readonly dbPath?: string;
  /** The store, as given or made from dbPath (always set after checkHqConfig). */
  readonly store: StoreConfig;
  /**
   * SQLite file of the bank simulator when the store is PostgreSQL (the simulator keeps its holds in
   * SQLite). Absent: in memory (holds are forgotten at restart).
   */
  readonly bankDbPath?: string;
  readonly brokerUrl: string;
  /**
   * Issue 14: broker kind. Absent or { kind: 'mqtt' }: the MQTT link to brokerUrl (unchanged).
   * { kind: 'nats', natsUrls, mqttUrls, partitions }: a NATS cluster (JetStream up traffic by owned
   * partition, downlink through its MQTT listeners; user/password as mqttUsername/mqttPasswordFile);
   * needs the PostgreSQL store. brokerUrl stays the `hq` command line's MQTT URL (one node's).
   */
  readonly broker?: BrokerConfig;
  readonly mqttUsername?: string;
  /** File holding the MQTT password (or env HQ_MQTT_PASSWORD). */
  readonly mqttPasswordFile?: string;
  /**
   * The MQTT user of the `hq` command line's short-lived connections (configs, commands). The
   * production broker binds client ids to user names, so the CLI must not log in as the gateway's
   * user: it would take over the gateway's persistent session. Absent: mqttUsername.
   */
  readonly mqttCliUsername?: string;
  /** File holding the CLI user's password (or env HQ_MQTT_CLI_PASSWORD). */
  readonly mqttCliPasswordFile?: string;
  /** PEM of the CA that signed the broker's certificate; required with an mqtts:// brokerUrl. */
  readonly mqttCaFile?: string;
  /** PEM client certificate HQ presents to the broker (with mqttKeyFile). */
  readonly mqttCertFile?: string;
  /** PEM private key of mqttCertFile. */
  readonly mqttKeyFile?: string;
  /** Name the broker's certificate is checked against, when brokerUrl's host is not it. */
  readonly mqttServerName?: string;
  readonly clientId: string;
  readonly sharedGroup?: string;
  /** PEM P-256 private key that signs HQ -> kiosk messages. */
  readonly hqKeyFile: string;
  /** File holding the bank simulator's test TPK as 32 hex digits (or env HQ_TPK_HEX). */
  readonly tpkFile?: string;
  /**
   * File holding HQ's card-key secret as hex, at least 32 bytes (or env HQ_CARD_KEY_SECRET_HEX):
   * keys the per-card R5 tally key. Absent: derived from the HQ key (docs/decisions/hq-card-key-hmac.md).
   */
  readonly cardKeySecretFile?: string;
  /** Folder of the working-day calendars (data/calendar). */
  readonly calendarDir: string;
  /** Signature-verification worker threads; 0 = verify inline. */
  readonly verifyWorkers?: number;
  /**
   * Check every event's own signature at ingest instead of one per run of hash-linked events
   * (docs/protocol.md "Chained events"). Default false.
   */
  readonly verifyEverySignature?: boolean;
  /** JSON list of bank simulator accounts to seed: [{ pan, pin, balanceFen, dailyLimitFen }]. */
  readonly bankAccountsFile?: string;
  readonly logLevel?: string;
  /** Silence window (ms) after which an online station is marked offline; default 3 telemetry periods. */
  readonly stationSilenceMsMax?: number;
  /** The HTTP API (issue 11), served by the gateway process; absent: off. */
  readonly http?: { readonly listen: string };
  /** Where the gateway POSTs new alerts (JSON), with retries; absent: alerts are kept, not sent. */
  readonly alertWebhookUrl?: string;
  /** Issue 13: how kiosks reach the HTTP API (the offers' fetch URL), e.g. https://hq.example.cn. */
  readonly releasesBaseUrl?: string;
  /** R20: the network's opening, closing and maintenance hours (config-service-hours.ts). */
  readonly serviceHours?: ServiceHoursConfig;
  /** Issue 13: the OTA release store `hq serve` offers from (config-releases.ts). */
  readonly releases?: ReleasesConfig;
}

const known: Record<keyof HqConfig, 'string' | 'number' | 'boolean' | 'object'> = {
  dbPath: 'string',
  store: 'object',
  bankDbPath: 'string',
  brokerUrl: 'string',
  broker: 'object',
  mqttUsername: 'string',
  mqttPasswordFile: 'string',
  mqttCliUsername: 'string',
  mqttCliPasswordFile: 'string',
  mqttCaFile: 'string',
  mqttCertFile: 'string',
  mqttKeyFile: 'string',
  mqttServerName: 'string',
  clientId: 'string',
  sharedGroup: 'string',
  hqKeyFile: 'string',
  tpkFile: 'string',
  cardKeySecretFile: 'string',
  calendarDir: 'string',
  verifyWorkers: 'number',
  verifyEverySignature: 'boolean',
  bankAccountsFile: 'string',
  logLevel: 'string',
  stationSilenceMsMax: 'number',
  http: 'object',
  alertWebhookUrl: 'string',
  releasesBaseUrl: 'string',
  serviceHours: 'object',
  releases: 'object',
};
const required: ReadonlyArray<keyof HqConfig> = ['brokerUrl', 'clientId', 'hqKeyFile', 'calendarDir'];
const pathKeys: ReadonlyArray<keyof HqConfig> = [
  'dbPath',
  'bankDbPath',
  'mqttPasswordFile',
  'mqttCliPasswordFile',
  'mqttCaFile',
  'mqttCertFile',
  'mqttKeyFile',
  'hqKeyFile',
  'tpkFile',
  'cardKeySecretFile',
  'calendarDir',
  'bankAccountsFile',
];

export function checkHqConfig(value: unknown, baseDir: string): HqConfig {
  const problems: HqProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ code: 'HQ_CONFIG_INVALID', field, message: `${field}: ${message}` });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem('(root)', 'must be a JSON object');
    throw new HqError('HQ_CONFIG_INVALID', 'the HQ config is invalid', { problems });
  }
  const record = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(record)) {
    const type = known[key as keyof HqConfig];
    if (type === undefined) problem(key, 'unknown key');
    else if (typeof item !== type || item === null || Array.isArray(item)) problem(key, `must be a ${type}`);
  }
  const storeProblems = checkStore(record);
  for (const key of required) if (record[key] === undefined) problem(key, 'is required');
  const workers = record.verifyWorkers;
  if (typeof workers === 'number' && !(Number.isSafeInteger(workers) && workers >= 0 && workers <= 16)) {
    problem('verifyWorkers', 'must be a whole number 0..16');
  }
  const silenceMs = record.stationSilenceMsMax;
  if (
    typeof silenceMs === 'number' &&
    !(
      Number.isSafeInteger(silenceMs) &&
      silenceMs >= stationSilenceMsMaxMin &&
      silenceMs <= stationSilenceMsMaxMax
    )
  ) {
    problem(
      'stationSilenceMsMax',
      `must be a whole number of ms, ${stationSilenceMsMaxMin}..${stationSilenceMsMaxMax}`,
    );
  }
  if (typeof record.brokerUrl === 'string' && !/^(mqtt|mqtts|tcp|ws|wss):\/\//.test(record.brokerUrl)) {
    problem('brokerUrl', 'must be an mqtt:// or mqtts:// URL');
  }
  checkMqttTls(record, problem);
  checkBroker(record, problem);
  problems.push(...storeProblems);
  if (problems.length > 0) {
    // An unknown store kind is its own code (the config is otherwise read as usual).
    const code = problems.some((p) => p.code === 'HQ_STORE_KIND_UNKNOWN')
      ? 'HQ_STORE_KIND_UNKNOWN'
      : 'HQ_CONFIG_INVALID';
    throw new HqError(code, 'the HQ config is invalid', { problems });
  }
  checkHttp(record, problem);
  checkServiceHours(record.serviceHours, problem);
  checkReleases(record.releases, problem);
  if (problems.length > 0) throw new HqError('HQ_CONFIG_INVALID', 'the HQ config is invalid', { problems });
  const out: Record<string, unknown> = { ...record };
  for (const key of pathKeys) {
    if (typeof out[key] === 'string') out[key] = resolve(baseDir, out[key] as string);
  }
  if (record.releases !== undefined)
    out.releases = resolveReleases(record.releases as ReleasesConfig, baseDir);
  const store = record.store as Record<string, unknown> | undefined;
  if (store === undefined) out.store = { kind: 'sqlite', path: out.dbPath };
  else if (store.kind === 'sqlite') {
    out.store = { kind: 'sqlite', path: resolve(baseDir, String(store.path)) };
    out.dbPath = (out.store as { path: string }).path;
  } else out.store = { kind: 'postgres', url: String(store.url) };
  return out as unknown as HqConfig;
}

/** `store` (or the short `dbPath`): exactly one, of a known kind, with its one field. */
function checkStore(record: Record<string, unknown>): HqProblem[] {
  const problems: HqProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ code: 'HQ_CONFIG_INVALID', field, message: `${field}: ${message}` });
  };
  const store = record.store;
  if (store === undefined) {
    if (record.dbPath === undefined) problem('store', 'is required (or dbPath, the SQLite file)');
    return problems;
  }
  if (typeof store !== 'object' || store === null || Array.isArray(store)) return problems;
  if (record.dbPath !== undefined) problem('dbPath', 'give store or dbPath, not both');
  const fields = store as Record<string, unknown>;
  const kind = fields.kind;
  if (kind === 'sqlite' || kind === 'postgres') {
    const field = kind === 'sqlite' ? 'path' : 'url';
    for (const key of Object.keys(fields)) {
      if (key !== 'kind' && key !== field) problem(`store.${key}`, `unknown key for a ${kind} store`);
    }
    if (typeof fields[field] !== 'string' || fields[field] === '')
      problem(`store.${field}`, 'must be a non-empty string');
    else if (kind === 'postgres' && !/^postgres(ql)?:\/\//.test(String(fields.url))) {
      problem('store.url', 'must be a postgres:// URL');
    }
    return problems;
  }
  const message = `store.kind: must be 'sqlite' or 'postgres' (got ${JSON.stringify(kind ?? null)})`;
  problems.push({ code: 'HQ_STORE_KIND_UNKNOWN', field: 'store.kind', message });
  return problems;
}

/**
 * brokerUrl and the TLS keys agree: mqtts:// needs mqttCaFile (the network's own CA), TLS files with
 * a plain URL would be silently unused, a certificate comes with its key, a server name is a DNS name.
 */
function checkMqttTls(
  record: Record<string, unknown>,
  problem: (field: string, message: string) => void,
): void {
  const url = record.brokerUrl;
  if (typeof url !== 'string') return;
  const secure = /^(mqtts|wss):\/\//.test(url);
  const anyTls = ['mqttCaFile', 'mqttCertFile', 'mqttKeyFile', 'mqttServerName'].some(
    (key) => record[key] !== undefined,
  );
  if (secure && record.mqttCaFile === undefined) {
    problem(
      'mqttCaFile',
      'is required with an mqtts:// brokerUrl (the CA that signed the broker certificate)',
    );
  }
  if (!secure && anyTls)
    problem('brokerUrl', 'must be mqtts:// when mqttCaFile/mqttCertFile/mqttKeyFile are set');
  if ((record.mqttCertFile === undefined) !== (record.mqttKeyFile === undefined)) {
    problem(
      record.mqttCertFile === undefined ? 'mqttCertFile' : 'mqttKeyFile',
      'mqttCertFile and mqttKeyFile go together',
    );
  }
  const name = record.mqttServerName;
  if (typeof name === 'string' && !/^[A-Za-z0-9.-]{1,253}$/.test(name)) {
    problem('mqttServerName', 'must be a DNS name (letters, digits, dots, dashes)');
  }
}

/** The store for people and logs: the SQLite path, or the PostgreSQL URL without its password. */
export function storeLabel(store: StoreConfig): string {
  if (store.kind === 'sqlite') return store.path;
  return store.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:[secret]@');
}

/** `http: { listen: 'host:port' }` and `alertWebhookUrl` (an http(s) URL). */
function checkHttp(record: Record<string, unknown>, problem: (field: string, message: string) => void): void {
  const http = record.http;
  if (http !== undefined) {
    if (typeof http !== 'object' || http === null || Array.isArray(http))
      problem('http', 'must be an object');
    else {
      const entries = Object.entries(http as Record<string, unknown>);
      for (const [key] of entries) if (key !== 'listen') problem(`http.${key}`, 'unknown key');
      const listen = (http as Record<string, unknown>).listen;
      if (typeof listen !== 'string' || !/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/.test(listen))
        problem('http.listen', "must be 'host:port', e.g. '127.0.0.1:8080'");
    }
  }
  const hook = record.alertWebhookUrl;
  if (typeof hook === 'string' && !/^https?:\/\/\S+$/.test(hook))
    problem('alertWebhookUrl', 'must be an http(s) URL');
  const releasesBaseUrl = record.releasesBaseUrl;
  if (typeof releasesBaseUrl === 'string' && !/^https?:\/\/\S+$/.test(releasesBaseUrl))
    problem('releasesBaseUrl', 'must be an http(s) URL');
}

/** The TLS files of the config, for the MQTT link and the CLI's connections; undefined without TLS. */
export function mqttTlsFiles(config: HqConfig): MqttTlsFiles | undefined {
  if (config.mqttCaFile === undefined) return undefined;
  return {
    caFile: config.mqttCaFile,
    ...(config.mqttCertFile === undefined ? {} : { certFile: config.mqttCertFile }),
    ...(config.mqttKeyFile === undefined ? {} : { keyFile: config.mqttKeyFile }),
    ...(config.mqttServerName === undefined ? {} : { serverName: config.mqttServerName }),
  };
}

/**
 * mqtt.js options of the `hq` command line's short-lived connection: its own user when the config
 * names one (mqttCliUsername; password from mqttCliPasswordFile or env HQ_MQTT_CLI_PASSWORD), else
 * the gateway's, and the TLS files.
 */
export function cliMqttOptions(
  config: HqConfig,
): Partial<MqttTlsOptions> & { readonly username?: string; readonly password?: string } {
  const ownUser = config.mqttCliUsername !== undefined;
  const username = ownUser ? config.mqttCliUsername : config.mqttUsername;
  const password = ownUser
    ? readSecret(config.mqttCliPasswordFile, 'HQ_MQTT_CLI_PASSWORD')
    : readSecret(config.mqttPasswordFile, 'HQ_MQTT_PASSWORD');
  const tls = mqttTlsFiles(config);
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : loadMqttTls(tls)),
  };
}

export function readHqConfig(path: string): HqConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read the HQ config ${path}`, {
      cause: error,
      details: { path },
      problems: [{ code: 'HQ_FILE_UNREADABLE', field: 'config', message: `cannot read ${path}` }],
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HqError('HQ_CONFIG_INVALID', `${path} is not JSON`, {
      cause: error,
      problems: [{ code: 'HQ_CONFIG_INVALID', field: '(root)', message: 'not valid JSON' }],
    });
  }
  return checkHqConfig(json, dirname(resolve(path)));
}

/** Read a small secret from a file (trimmed) or an environment variable. */
export function readSecret(file: string | undefined, envName: string): string | undefined {
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new HqError('HQ_FILE_UNREADABLE', `cannot read the secret file ${file}`, { cause: error });
    }
  }
  return process.env[envName];
}

/**
 * HQ's card-key secret from `cardKeySecretFile` or env HQ_CARD_KEY_SECRET_HEX (hex, >= 32 bytes),
 * wrapped at once so it never prints; undefined when neither is set (the gateway then derives one).
 */
export function readCardKeySecret(config: HqConfig): CardKeySecret | undefined {
  const hex = readSecret(config.cardKeySecretFile, 'HQ_CARD_KEY_SECRET_HEX');
  if (hex === undefined) return undefined;
  if (!(/^([0-9a-fA-F]{2})+$/.test(hex) && hex.length >= cardKeySecretSizeMin * 2)) {
    const message = `cardKeySecretFile: at least ${cardKeySecretSizeMin * 2} hex digits required`;
    throw new HqError('HQ_CONFIG_INVALID', `the card-key secret must be hex, ${message}`, {
      problems: [{ code: 'HQ_CONFIG_INVALID', field: 'cardKeySecretFile', message }],
    });
  }
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  const secret = CardKeySecret.fromSecretBytes(bytes);
  bytes.fill(0);
  return secret;
}

/** `broker`: absent, { kind: 'mqtt' }, or { kind: 'nats', natsUrls, mqttUrls, partitions } with the PostgreSQL store. */
function checkBroker(
  record: Record<string, unknown>,
  problem: (field: string, message: string) => void,
): void {
  const broker = record.broker as Record<string, unknown> | undefined;
  if (broker === undefined || typeof broker !== 'object' || broker === null) return;
  if (broker.kind === 'mqtt') return;
  if (broker.kind !== 'nats') {
    problem('broker.kind', "must be 'mqtt' or 'nats'");
    return;
  }
  for (const [field, scheme] of [
    ['natsUrls', /^nats:\/\//],
    ['mqttUrls', /^mqtts?:\/\//],
  ] as const) {
    const urls = broker[field];
    if (
      !Array.isArray(urls) ||
      urls.length === 0 ||
      !urls.every((url) => typeof url === 'string' && scheme.test(url))
    ) {
      problem(
        `broker.${field}`,
        `must be a non-empty list of ${field === 'natsUrls' ? 'nats://' : 'mqtt://'} URLs`,
      );
    }
  }
  const partitions = broker.partitions;
  if (
    !(
      typeof partitions === 'number' &&
      Number.isSafeInteger(partitions) &&
      partitions >= 1 &&
      partitions <= natsPartitionsMax
    )
  ) {
    problem('broker.partitions', `must be a whole number 1..${natsPartitionsMax} (the cluster's mapping)`);
  }
  const store = record.store as Record<string, unknown> | undefined;
  if (store?.kind !== 'postgres')
    problem('broker', "kind 'nats' needs store { kind: 'postgres' } (partition locks)");
}
