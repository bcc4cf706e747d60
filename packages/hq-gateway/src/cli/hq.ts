#!/usr/bin/env node
// The `hq` CLI for HQ operators. Every command has --help and --json and, when it cannot run,
// exits non-zero listing every problem at once with its stable code (R21): 2 for usage problems,
// 1 for anything else. Config: --config FILE or the HQ_CONFIG environment variable.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { type BankAccountSeed, BankSimulator } from '../adapters/bank-sim/bank-sim.js';
import { generateHqKeyPem, readHqKey } from '../adapters/crypto/hq-key.js';
import { SqliteStore } from '../adapters/sqlite/sqlite-store.js';
import { shanghaiDate } from '../adapters/wire/codec.js';
import { auditStation } from '../app/audit.js';
import { HqOperations } from '../app/operations.js';
import {
  cliMqttOptions,
  type HqConfig,
  mqttTlsFiles,
  readCardKeySecret,
  readHqConfig,
  readSecret,
} from '../config.js';
import { HqError, type HqProblem } from '../errors.js';
import { createLedgerMirror, loadCalendarYears, startGateway } from '../main.js';
import { systemClock } from '../ports/clock.js';
import type { Publisher } from '../ports/publisher.js';
import { dailyReport, statusReport } from './reports.js';

interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Record<string, { type: 'string' | 'boolean'; help: string }>;
  readonly positionals: number;
  run(args: ParsedArgs, io: Io): Promise<unknown>;
}

interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
  readonly json: boolean;
}

const common = {
  help: { type: 'boolean', help: 'show this help' },
  json: { type: 'boolean', help: 'print the result (or the problems) as JSON' },
} as const;
const configFlag = { config: { type: 'string', help: 'HQ config file (default: $HQ_CONFIG)' } } as const;

function usageError(problems: HqProblem[]): HqError {
  return new HqError('HQ_CLI_USAGE', 'bad command line', { problems });
}

/** Open the configured store for one read-only command, and close it whatever happens. */
async function withStore<T>(args: ParsedArgs, work: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path: loadConfig(args).dbPath });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function loadConfig(args: ParsedArgs): HqConfig {
  const path = (args.values.config as string | undefined) ?? process.env.HQ_CONFIG;
  if (path === undefined) {
    throw usageError([
      { code: 'HQ_CLI_USAGE', field: '--config', message: '--config FILE (or HQ_CONFIG) is required' },
    ]);
  }
  return readHqConfig(path);
}

function readTpk(config: HqConfig): Uint8Array {
  const hex = readSecret(config.tpkFile, 'HQ_TPK_HEX');
  if (hex === undefined || !/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new HqError('HQ_CONFIG_INVALID', 'the test TPK must be 32 hex digits (tpkFile or HQ_TPK_HEX)', {
      problems: [{ code: 'HQ_CONFIG_INVALID', field: 'tpkFile', message: 'tpkFile: 32 hex digits required' }],
    });
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function readBankAccounts(config: HqConfig): BankAccountSeed[] | undefined {
  if (config.bankAccountsFile === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(config.bankAccountsFile, 'utf8')) as BankAccountSeed[];
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read ${config.bankAccountsFile}`, { cause: error });
  }
}

/** Operations against the store, publishing through a short-lived MQTT connection when asked. */
async function withOperations<T>(
  config: HqConfig,
  publish: boolean,
  work: (operations: HqOperations, store: SqliteStore) => Promise<T>,
): Promise<T> {
  const store = new SqliteStore({ path: config.dbPath });
  const hqKey = readHqKey(config.hqKeyFile);
  let client: mqtt.MqttClient | undefined;
  try {
    let publisher: Publisher | undefined;
    if (publish) {
      try {
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
      const connected = client;
      publisher = {
        async publish(topic, payload, options) {
          await connected.publishAsync(topic, Buffer.from(payload), {
            qos: options.qos,
            retain: options.retain,
          });
        },
      };
    }
    const calendarYears = loadCalendarYears(config.calendarDir);
    const operations = new HqOperations({
      store,
      hqKey,
      clock: systemClock,
      ...(publisher === undefined ? {} : { publisher }),
      quotaOf: async (stationId) => {
        // HQ's quota view: the ledger mirror rebuilt from this station's stored events.
        const station = await store.getStation(stationId);
        const mirror = createLedgerMirror(calendarYears);
        if (station !== undefined) mirror.registerStation(station);
        for (const event of await store.eventsOfStation(stationId)) mirror.apply(event);
        const throughSeq =
          (await store.loadSeqStates()).find((s) => s.stationId === stationId)?.ackedSeq ?? 0;
        return { quotaFen: mirror.quotaFenAvailable(stationId), throughSeq };
      },
    });
    return await work(operations, store);
  } finally {
    if (client !== undefined) await client.endAsync();
    await store.close();
  }
}

function stationFlag(args: ParsedArgs, problems: HqProblem[]): string {
  const station = args.values.station;
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

const commands: CommandSpec[] = [
  {
    name: 'serve',
    summary: 'run the HQ gateway: ingest, authorisation, acks (until SIGTERM/SIGINT)',
    usage: 'hq serve --config FILE',
    flags: { ...configFlag },
    positionals: 0,
    async run(args, io) {
      const config = loadConfig(args);
      const log = pino(
        {
          level: config.logLevel ?? 'info',
          redact: ['pan', 'pin', 'pinBlock', '*.pan', '*.pinBlock', 'privateKey', 'password'],
        },
        pino.destination(2),
      );
      const password = readSecret(config.mqttPasswordFile, 'HQ_MQTT_PASSWORD');
      const bankAccounts = readBankAccounts(config);
      const cardKeySecret = readCardKeySecret(config);
      const mqttTls = mqttTlsFiles(config);
      const gateway = await startGateway({
        ...(mqttTls === undefined ? {} : { mqttTls }),
        dbPath: config.dbPath,
        brokerUrl: config.brokerUrl,
        clientId: config.clientId,
        hqKeyPem: readFileSync(config.hqKeyFile, 'utf8'),
        tpk: readTpk(config),
        calendarDir: config.calendarDir,
        log,
        ...(config.mqttUsername === undefined ? {} : { mqttUsername: config.mqttUsername }),
        ...(password === undefined ? {} : { mqttPassword: password }),
        ...(config.sharedGroup === undefined ? {} : { sharedGroup: config.sharedGroup }),
        ...(config.verifyWorkers === undefined ? {} : { verifyWorkers: config.verifyWorkers }),
        ...(config.verifyEverySignature === undefined
          ? {}
          : { verifyEverySignature: config.verifyEverySignature }),
        ...(bankAccounts === undefined ? {} : { bankAccounts }),
        ...(cardKeySecret === undefined ? {} : { cardKeySecret }),
        ...(config.stationSilenceMsMax === undefined
          ? {}
          : { stationSilenceMsMax: config.stationSilenceMsMax }),
      });
      gateway.pipeline.on('fatal', () => {
        process.exitCode = 1;
        void gateway.stop().finally(() => process.exit(1));
      });
      io.err(`hq: serving (stations: ${gateway.pipeline.stationIds().length}, store: ${config.dbPath})\n`);
      if (!args.json) io.out('ready\n');
      else io.out(`${JSON.stringify({ ok: true, command: 'serve', ready: true })}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await gateway.stop();
      return { stopped: true, counters: gateway.pipeline.counters };
    },
  },
  {
    name: 'station enrol',
    summary: "bind a kiosk's public key to its station from its enrolment request (kiosk provision)",
    usage: 'hq station enrol FILE --config FILE',
    flags: { ...configFlag },
    positionals: 1,
    async run(args) {
      const file = args.positionals[0]!;
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        const code = error instanceof SyntaxError ? 'HQ_ENROLMENT_INVALID' : 'HQ_FILE_UNREADABLE';
        throw new HqError(code, `cannot read the enrolment request ${file}`, {
          cause: error,
          problems: [{ code, field: 'FILE', message: `${file}: ${(error as Error).message}` }],
        });
      }
      const config = loadConfig(args);
      return await withOperations(config, false, async (operations) => {
        const { outcome, station } = await operations.enrol(json);
        return { outcome, stationId: station.stationId, keyId: station.keyId, orgCode: station.orgCode };
      });
    },
  },
  {
    name: 'config send',
    summary: "sign the station's config (fee schedule, quota, service hours, limits) and publish it retained",
    usage: 'hq config send --station ID --config FILE',
    flags: { ...configFlag, station: { type: 'string', help: 'station id' } },
    positionals: 0,
    async run(args) {
      const problems: HqProblem[] = [];
      const stationId = stationFlag(args, problems);
      if (problems.length > 0) throw usageError(problems);
      const config = loadConfig(args);
      return await withOperations(config, true, (operations) => operations.sendConfig(stationId));
    },
  },
  {
    name: 'quota purchase',
    summary: 'record a quota purchase (R3: at least 50000 fen) and send the new config',
    usage: 'hq quota purchase --station ID --fen N --config FILE',
    flags: {
      ...configFlag,
      station: { type: 'string', help: 'station id' },
      fen: { type: 'string', help: 'amount in fen (integer, >= 50000)' },
    },
    positionals: 0,
    async run(args) {
      const problems: HqProblem[] = [];
      const stationId = stationFlag(args, problems);
      const fenText = args.values.fen;
      if (typeof fenText !== 'string' || !/^\d{1,15}$/.test(fenText)) {
        problems.push({ code: 'HQ_CLI_USAGE', field: '--fen', message: '--fen N is required (whole fen)' });
      }
      if (problems.length > 0) throw usageError(problems);
      const config = loadConfig(args);
      return await withOperations(config, true, (operations) =>
        operations.purchaseQuota(stationId, Number(fenText)),
      );
    },
  },
  {
    name: 'status',
    summary: 'stations (online, last seen, peripherals, outbox, ack point), quarantine, gaps, discrepancies',
    usage: 'hq status --config FILE',
    flags: { ...configFlag },
    positionals: 0,
    async run(args, io) {
      return await withStore(args, async (store) => {
        const report = await statusReport(store);
        if (!args.json) io.out(report.text);
        return report.data;
      });
    },
  },
  {
    name: 'report daily',
    summary: 'per-station totals of a business day and its reconciliation result (R7, R8)',
    usage: 'hq report daily [--date YYYY-MM-DD] --config FILE',
    flags: { ...configFlag, date: { type: 'string', help: 'business date (default: today, Asia/Shanghai)' } },
    positionals: 0,
    async run(args, io) {
      const date = typeof args.values.date === 'string' ? args.values.date : shanghaiDate(Date.now());
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        throw usageError([{ code: 'HQ_CLI_USAGE', field: '--date', message: '--date must be YYYY-MM-DD' }]);
      }
      return await withStore(args, async (store) => {
        const report = await dailyReport(store, date);
        if (!args.json) io.out(report.text);
        return report.data;
      });
    },
  },
  {
    name: 'audit signatures',
    summary: "re-check every stored event's own signature and every chain link (offline, read-only)",
    usage: 'hq audit signatures [--station ID] --config FILE',
    flags: { ...configFlag, station: { type: 'string', help: 'one station only (default: all)' } },
    positionals: 0,
    async run(args, io) {
      return await withStore(args, async (store) => {
        const only = typeof args.values.station === 'string' ? args.values.station : undefined;
        const stations = (await store.listStations()).filter(
          (s) => only === undefined || s.stationId === only,
        );
        if (only !== undefined && stations.length === 0) {
          throw usageError([
            { code: 'HQ_CLI_USAGE', field: '--station', message: `no station ${only} is enrolled` },
          ]);
        }
        const audits = [];
        for (const station of stations) {
          audits.push(
            auditStation(
              station.stationId,
              station.publicKeyPem,
              await store.eventsOfStation(station.stationId),
            ),
          );
        }
        const lines = audits.map(
          (a) =>
            `${a.stationId.padEnd(12)} events ${String(a.eventsChecked).padStart(7)}  signatures invalid ${a.signaturesInvalid.length}  ` +
            `links checked ${a.linksChecked}, broken ${a.linksBroken.length}, unlinked ${a.unlinked}`,
        );
        if (!args.json) io.out(`${lines.join('\n')}\n`);
        const problems: HqProblem[] = [];
        for (const a of audits) {
          for (const bad of a.signaturesInvalid) {
            problems.push({
              code: 'HQ_AUDIT_SIGNATURE_INVALID',
              field: `${a.stationId}#${bad.seq}`,
              message: `event ${bad.eventId}: its own signature or stored hash does not verify`,
            });
          }
          for (const bad of a.linksBroken) {
            problems.push({
              code: 'HQ_DISCREPANCY_CHAIN_BROKEN',
              field: `${a.stationId}#${bad.seq}`,
              message: `event ${bad.eventId} links to an envelope other than the stored seq ${bad.seq - 1}`,
            });
          }
        }
        if (problems.length > 0)
          throw new HqError('HQ_AUDIT_SIGNATURE_INVALID', 'the audit found problems', { problems });
        return { stations: audits };
      });
    },
  },
  {
    name: 'key generate',
    summary: 'write a new HQ P-256 signing key (PEM) and print its public key for the kiosks to pin',
    usage: 'hq key generate --out FILE',
    flags: { out: { type: 'string', help: 'where to write the private key (mode 0600)' } },
    positionals: 0,
    async run(args, io) {
      const out = args.values.out;
      if (typeof out !== 'string') {
        throw usageError([{ code: 'HQ_CLI_USAGE', field: '--out', message: '--out FILE is required' }]);
      }
      const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
      writeFileSync(out, privateKeyPem, { mode: 0o600, flag: 'wx' });
      const key = readHqKey(out);
      if (!args.json) io.out(publicKeyPem);
      return { keyFile: out, keyId: key.keyId, publicKeyPem };
    },
  },
  {
    name: 'bank seed',
    summary:
      'create or reset bank simulator accounts from a JSON list [{ pan, pin, balanceFen, dailyLimitFen }]',
    usage: 'hq bank seed FILE --config FILE',
    flags: { ...configFlag },
    positionals: 1,
    async run(args) {
      const config = loadConfig(args);
      const file = args.positionals[0]!;
      let accounts: BankAccountSeed[];
      try {
        accounts = JSON.parse(readFileSync(file, 'utf8')) as BankAccountSeed[];
      } catch (error) {
        throw new HqError('HQ_FILE_UNREADABLE', `cannot read ${file}`, { cause: error });
      }
      const store = new SqliteStore({ path: config.dbPath });
      try {
        new BankSimulator(store.db, readTpk(config)).seedAccounts(accounts);
        return { accounts: accounts.length };
      } finally {
        await store.close();
      }
    },
  },
];

function helpText(spec?: CommandSpec): string {
  if (spec === undefined) {
    const lines = commands.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`);
    return `hq: the HQ gateway CLI\n\nUsage: hq <command> [--help] [--json]\n\nCommands:\n${lines.join('\n')}\n`;
  }
  const flags = Object.entries({ ...spec.flags, ...common }).map(
    ([name, f]) => `  --${name.padEnd(10)} ${f.help}`,
  );
  return `${spec.summary}\n\nUsage: ${spec.usage} [--json]\n\nFlags:\n${flags.join('\n')}\n`;
}

export async function runHq(argv: readonly string[], io: Io): Promise<number> {
  const wantsJson = argv.includes('--json');
  const words = argv.filter((a) => !a.startsWith('-'));
  const spec =
    commands.find((c) => c.name === `${words[0]} ${words[1]}`) ?? commands.find((c) => c.name === words[0]);
  if (spec === undefined) {
    if (argv.length === 0 || argv.includes('--help')) {
      io.out(helpText());
      return argv.length === 0 ? 2 : 0;
    }
    return report(
      io,
      wantsJson,
      'hq',
      usageError([
        { code: 'HQ_CLI_USAGE', field: 'command', message: `unknown command: ${words.join(' ')}` },
      ]),
    );
  }
  const rest = argv.slice(argv.indexOf(spec.name.split(' ').at(-1)!) + 1);
  const options = Object.fromEntries(
    Object.entries({ ...spec.flags, ...common }).map(([name, f]) => [name, { type: f.type }]),
  );
  const parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: false });
  const problems: HqProblem[] = [];
  for (const [name, value] of Object.entries(parsed.values)) {
    const flag =
      (spec.flags as Record<string, { type: string }>)[name] ??
      (common as Record<string, { type: string }>)[name];
    if (flag === undefined)
      problems.push({ code: 'HQ_CLI_USAGE', field: `--${name}`, message: `unknown flag --${name}` });
    else if (flag.type === 'string' && typeof value !== 'string') {
      problems.push({ code: 'HQ_CLI_USAGE', field: `--${name}`, message: `--${name} needs a value` });
    }
  }
  if (parsed.values.help === true) {
    io.out(helpText(spec));
    return 0;
  }
  if (parsed.positionals.length !== spec.positionals) {
    problems.push({
      code: 'HQ_CLI_USAGE',
      field: 'arguments',
      message: `expected ${spec.positionals} argument(s): ${spec.usage}`,
    });
  }
  if (problems.length > 0) return report(io, wantsJson, spec.name, usageError(problems));
  try {
    const result = await spec.run(
      { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals, json: wantsJson },
      io,
    );
    if (wantsJson) io.out(`${JSON.stringify({ ok: true, command: spec.name, result })}\n`);
    else if (
      spec.name !== 'status' &&
      spec.name !== 'report daily' &&
      spec.name !== 'key generate' &&
      spec.name !== 'serve'
    ) {
      io.out(`${spec.name}: ok\n${JSON.stringify(result, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    return report(io, wantsJson, spec.name, error);
  }
}

function report(io: Io, json: boolean, command: string, error: unknown): number {
  const problems: HqProblem[] =
    error instanceof HqError
      ? [...error.problems]
      : [{ code: 'HQ_STORE_FAILED', message: error instanceof Error ? error.message : String(error) }];
  const exitCode = error instanceof HqError && error.code === 'HQ_CLI_USAGE' ? 2 : 1;
  if (json) io.out(`${JSON.stringify({ ok: false, command, problems })}\n`);
  else {
    io.err(`hq ${command}: ${problems.length} problem(s)\n`);
    for (const p of problems)
      io.err(`  ${p.code}${p.field === undefined ? '' : ` [${p.field}]`}: ${p.message}\n`);
  }
  return exitCode;
}

const invokedDirectly = process.argv[1] !== undefined && /hq(\.ts|\.js)?$/.test(process.argv[1]);
if (invokedDirectly) {
  runHq(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`hq: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
