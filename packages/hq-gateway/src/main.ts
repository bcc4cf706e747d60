// Wiring: the one place (with src/cli/) that reads config and puts adapters together.
// `startGateway(options)` runs HQ in-process: the store (SQLite by default, or PostgreSQL:
// openHqStore), bank simulator, verification worker pool, ledger mirror, ingest pipeline and the
// MQTT link. The demo embeds it next to an aedes
// broker; `hq serve` runs it from a config file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CalendarYear, createWorkingCalendar, parseCalendarYear } from '@bianmin/core-ledger';
import { PayloadType } from '@bianmin/wire';
import Database from 'better-sqlite3';
import { type BankAccountSeed, BankSimulator } from './adapters/bank-sim/bank-sim.js';
import { hqKeyFromPem, type LoadedHqKey } from './adapters/crypto/hq-key.js';
import { VerifyPool } from './adapters/crypto/verify-pool.js';
import type { ApiDeps, ReleaseApiConfig } from './adapters/http/deps.js';
import { createApiMetrics } from './adapters/http/metrics.js';
import { listenApi } from './adapters/http/server.js';
import { fetchWebhook } from './adapters/http/webhook-client.js';
import { MqttLink } from './adapters/mqtt/mqtt-link.js';
import type { MqttTlsFiles } from './adapters/mqtt/tls.js';
import { NatsLink } from './adapters/nats/nats-link.js';
import { partitionOfStation } from './adapters/nats/partition.js';
import { PostgresLoginAttempts } from './adapters/postgres/login-attempts.js';
import { PostgresNetworkFacts } from './adapters/postgres/network-facts.js';
import { PostgresOperationsStore } from './adapters/postgres/operations-store.js';
import { PostgresOpsStore } from './adapters/postgres/ops-store.js';
import { PostgresStore } from './adapters/postgres/postgres-store.js';
import { PostgresRealityStore } from './adapters/postgres/reality-store.js';
import { PostgresStationKeys } from './adapters/postgres/station-keys.js';
import { PostgresStationViewStore } from './adapters/postgres/station-view-store.js';
import { PostgresUnitOfWork } from './adapters/postgres/unit-of-work.js';
import { ReleasePacks } from './adapters/release/release-packs.js';
import { SqliteIntegrityStore } from './adapters/sqlite/integrity-store.js';
import { SqliteNetworkFacts } from './adapters/sqlite/network-facts.js';
import { SqliteOperationsStore } from './adapters/sqlite/operations-store.js';
import { SqliteOpsStore } from './adapters/sqlite/ops-store.js';
import { SqliteRealityStore } from './adapters/sqlite/reality-store.js';
import { SqliteStore } from './adapters/sqlite/sqlite-store.js';
import { SqliteStationKeys } from './adapters/sqlite/station-keys.js';
import { SqliteStationViewStore } from './adapters/sqlite/station-view-store.js';
import { AlertService } from './app/alerts.js';
import { AuditLog } from './app/audit-log.js';
import type { CardKeySecret } from './app/card-key.js';
import { Downlink } from './app/ingest/downlink.js';
import { IngestPipeline } from './app/ingest-pipeline.js';
import { createLedgerMirror } from './app/ledger-mirror-factory.js';
import { LoginLimiter, MemoryLoginAttempts } from './app/login-limiter.js';
import type { NetworkDeps } from './app/network/deps.js';
import { HqOperations, type StationDefaults, stationDefaults } from './app/operations.js';
import type { ScryptCost } from './app/passwords.js';
import { quotaSource } from './app/quota-view.js';
import { RolloutDispatcher } from './app/rollout-dispatch.js';
import {
  noReleaseCatalog,
  type ReleaseCatalog,
  type RolloutWireDeps,
  rolloutIngest,
} from './app/rollout-wire.js';
import { networkBlockFor, StationControl, StationControlSync } from './app/station-control.js';
import { StationViews } from './app/station-views.js';
import { UserService } from './app/users.js';
import { checkKeyResult, recordKeySent } from './app/working-key-check.js';
import { WorkingKeyRotation } from './app/working-key-rotation.js';
import type { NatsTransport, StoreConfig } from './config.js';
import { consoleDirOption } from './console-dir.js';
import type { StationBounds } from './domain/containment.js';
import { feeSchedulesOf } from './domain/fee-check.js';
import { ProvenanceBook } from './domain/provenance.js';
import { ledgerLimitsOf } from './domain/withdrawal-limits.js';
import { HqError } from './errors.js';
import { ingestQueueMax, otaOfferValidityMs, workingKeyRotationMsDefault } from './limits.js';
import { asClock, type Clock, systemClock, type TimeSource } from './ports/clock.js';
import type { IntegrityStore } from './ports/integrity-store.js';
import { type Log, silentLog } from './ports/log.js';
import type { LoginAttemptStore } from './ports/login-attempts.js';
import type { NetworkFacts } from './ports/network-facts.js';
import type { OperationsStore } from './ports/operations-store.js';
import type { OpsStore } from './ports/ops-store.js';
import type { Publisher } from './ports/publisher.js';
import type { RealityStore } from './ports/reality.js';
import type { StationKeyStore } from './ports/station-keys.js';
import type { StationViewStore } from './ports/station-view-store.js';
import { immediateUnitOfWork, type UnitOfWork } from './ports/unit-of-work.js';
import type { Webhook } from './ports/webhook.js';

/**
 * What the gateway needs of its broker link: MqttLink by default; tests pass an in-memory one
 * (test/helpers/memory-broker.ts). `onMessage` may return a promise: back-pressure.
 */
export interface GatewayLink extends Publisher {
  connect(onMessage: (topic: string, payload: Uint8Array) => Promise<void> | undefined): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** SQLite file of the HQ store (':memory:' for a throw-away run): short for store { kind: 'sqlite' }. */
  readonly dbPath?: string;
  /** The store (default: SQLite at dbPath). PostgreSQL is migrated on start (migrations/postgres/). */
  readonly store?: StoreConfig;
  /** With a PostgreSQL store: the bank simulator's SQLite file (default in memory). */
  readonly bankDbPath?: string;
  /** mqtt://host:port of Mosquitto, aedes or any MQTT 3.1.1 broker. */
  readonly brokerUrl: string;
  /** The broker link; default an MqttLink to brokerUrl (the MQTT options below apply to it). */
  readonly link?: GatewayLink;
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
  /** TLS files of the broker link (required by the production broker: deploy/mosquitto/). */
  readonly mqttTls?: MqttTlsFiles;
  /** Fixed client id of the persistent session. Default "hq-gateway". */
  readonly clientId?: string;
  readonly sharedGroup?: string;
  /**
   * Broker kind 'nats' (issue 14): the up traffic from a NATS cluster's JetStream stream by owned
   * partition (adapters/nats/nats-link.ts), downlink through the cluster's MQTT listeners. Needs the
   * PostgreSQL store (partition locks). Absent: the MQTT link to brokerUrl, unchanged.
   */
  readonly nats?: NatsTransport;
  /** PEM of HQ's P-256 private key (signs acks, authorisation responses, configs, commands). */
  readonly hqKeyPem: string;
  /** The bank simulator's AES-128 TPK (16 bytes): the PIN pads' terminal PIN key. */
  readonly tpk: Uint8Array;
  /** Keys HQ's per-card tally key (HMAC-SHA-256); default: derived from hqKeyPem with HKDF. */
  readonly cardKeySecret?: CardKeySecret;
  /** Working-day calendars; default: every cn-YYYY.json in data/calendar. */
  readonly calendarYears?: readonly CalendarYear[];
  readonly calendarDir?: string;
  /** Verification worker threads; default cores - 1 (at least 1); 0 verifies inline. */
  readonly verifyWorkers?: number;
  /** Commit ingest batches on a worker thread with its own connection. Default true (false in memory). */
  readonly commitOnThread?: boolean;
  /** Check every event's own signature, not one per run of hash-linked events. Default false. */
  readonly verifyEverySignature?: boolean;
  readonly bankAccounts?: readonly BankAccountSeed[];
  readonly stationDefaults?: StationDefaults;
  readonly log?: Log;
  /** Time and timers; a bare time source (`{ nowMs }`) gets the process's timers. */
  readonly clock?: Clock | TimeSource;
  /** After start, ask every station to resend what HQ has not acknowledged. Default true. */
  readonly resendOnStart?: boolean;
  /** Silence window (ms): an online station not heard from for longer goes offline ('silence'). */
  readonly stationSilenceMsMax?: number;
  /** Largest plausible kiosk clock skew (ms); beyond it HQ_DISCREPANCY_CLOCK_SKEW. Default 5 min. */
  readonly clockSkewMsMax?: number;
  /** Per-station bounds (default limits.ts; tests pass smaller ones). */
  readonly stationBounds?: StationBounds;
  /** Serve the HTTP API (issue 11) on 'host:port' (port 0: any free one). Absent: no HTTP. */
  readonly http?: { readonly listen: string };
  /**
   * The built HQ console served under /console/ (issue 12). Default: packages/hq-console/dist when
   * it is built; null: no console; a path without a built console: HQ_CONSOLE_MISSING.
   */
  readonly consoleDir?: string | null;
  /** Where alerts are POSTed (retried with backoff); absent: alerts are kept, not sent. */
  readonly alertWebhookUrl?: string;
  /** A webhook other than fetch to alertWebhookUrl (tests). */
  readonly alertWebhook?: Webhook;
  /** scrypt cost of new passwords (tests pass a cheap one; default limits.ts). */
  readonly passwordCost?: ScryptCost;
  /** Low-quota alert threshold (fen); default limits.ts quotaLowFenDefault. */
  readonly quotaLowFen?: number;
  /**
   * R24: rotate each PIN pad's working key (stations whose TMK the HSM stand-in knows) when its
   * newest TPK is this old (ms); checked hourly. Default 30 days; 0 turns scheduled rotation off.
   */
  readonly workingKeyRotationMs?: number;
  /**
   * Issue 13: the published releases a rollout may offer (manifest hash, pack size, fetch URL).
   * Absent: kiosks' OTA progress is still taken into rollouts, but no offer can be sent.
   */
  readonly releaseCatalog?: ReleaseCatalog;
  /** Release publishing on the HTTP API (issue 13): store, inbox, trusted keys; absent: HQ_RELEASE_NOT_CONFIGURED. */
  readonly releases?: ReleaseApiConfig;
  /**
   * Issue 13: how kiosks reach this gateway's HTTP API (the offers' fetch URL). With `releases`, the
   * API serves each release published into that store as an OTA pack (GET
   * /api/v1/releases/:version/pack, Range) and the same store is the release catalog offers read.
   */
  readonly releasesBaseUrl?: string;
}

export interface Gateway {
  readonly pipeline: IngestPipeline;
  /** Rollouts on the wire (issue 13): sendOffers(gateway.rollouts, await operateRollout(…)). */
  readonly rollouts: RolloutWireDeps;
  readonly operations: HqOperations;
  /** SqliteStore or PostgresStore, as chosen (tests narrow it with instanceof). */
  readonly store: SqliteStore | PostgresStore;
  readonly bank: BankSimulator;
  /** The MqttLink unless GatewayOptions.link gave another. */
  readonly link: GatewayLink;
  readonly hqKey: LoadedHqKey;
  /** Grants, suspensions, quarantine bounds, station alerts (issue 8). */
  readonly integrity: IntegrityStore;
  /** R8 账实相符: each check of a station's day against the bank and the declared cash. */
  readonly reality: RealityStore;
  /** Signature-verification worker threads running (0: inline on the main thread). */
  readonly verifyWorkers: number;
  /** Commit what is pending and wait for background work (tests, demo summaries). */
  flush(): Promise<void>;
  /** Flush, disconnect, stop the workers, close the store. */
  stop(): Promise<void>;
  /** HQ's view of a station's credit quota (fen), from its ledger mirror; 0 for an unknown station. */
  quotaFenAvailable(stationId: string): number;
  /** Users, sessions, audit, alerts, branches (issue 11). */
  readonly ops: OpsStore;
  /** What the HTTP API is built from (the same services the CLI uses). */
  readonly api: ApiDeps;
  /** Picks up station control made by another process (the CLI) on the Clock. */
  readonly controlSync: StationControlSync;
  /** The HTTP API's base URL when `http` was given. */
  readonly httpUrl: string | undefined;
}

/**
 * A store opened for HQ: the Store port and every other HQ port on the same database (SQLite file
 * or PostgreSQL), and the bank simulator's database.
 */
export interface OpenedStore {
  readonly store: SqliteStore | PostgresStore;
  readonly integrity: IntegrityStore;
  /** Users, sessions, audit chain, alerts, station branches, station-control version. */
  readonly ops: OpsStore;
  /** The station network's append-only operations log. */
  readonly operations: OperationsStore;
  /** R8 账实相符 checks. */
  readonly reality: RealityStore;
  /** What the station network reads from ingested events (R10 revenue, R18 fees). */
  readonly facts: NetworkFacts;
  /** The station list and page as store queries (issue 11). */
  readonly views: StationViewStore;
  /** The login limiter's counters: shared by every process on PostgreSQL, in memory on SQLite. */
  readonly loginAttempts: LoginAttemptStore;
  /** A write and its audit row as one transaction on PostgreSQL; two steps on SQLite. */
  readonly unitOfWork: UnitOfWork;
  /** Revoked station keys (forever) and re-enrolment. */
  readonly keys: StationKeyStore;
  /**
   * The bank simulator's SQLite database: the store's own file with SQLite; on PostgreSQL a file of
   * its own (bankDbPath, in memory when unset), the only SQLite HQ opens there.
   */
  readonly bankDb: Database.Database;
  close(): Promise<void>;
}

/**
 * Open the configured store. SQLite: the file (commit thread when asked). PostgreSQL: a pool,
 * migrated to the newest schema first (several processes starting at once is safe: migrate.ts).
 */
export async function openHqStore(
  choice: StoreConfig,
  options: {
    readonly commitOnThread?: boolean;
    readonly bankDbPath?: string;
    readonly migrate?: boolean;
  } = {},
): Promise<OpenedStore> {
  if (choice.kind === 'sqlite') {
    const store = new SqliteStore({
      path: choice.path,
      commitOnThread: choice.path !== ':memory:' && (options.commitOnThread ?? false),
    });
    const ops = new SqliteOpsStore(store.db);
    return {
      store,
      integrity: new SqliteIntegrityStore(store.db),
      ops,
      // After the OpsStore: its tables (station branches) are joined.
      views: new SqliteStationViewStore(store.db),
      loginAttempts: new MemoryLoginAttempts(),
      unitOfWork: immediateUnitOfWork,
      keys: new SqliteStationKeys(store.db),
      operations: new SqliteOperationsStore(store.db),
      reality: new SqliteRealityStore(store.db),
      facts: new SqliteNetworkFacts(store.db),
      bankDb: store.db,
      close: () => store.close(),
    };
  }
  if (choice.kind !== 'postgres') {
    const kind = (choice as { kind?: unknown }).kind;
    throw new HqError('HQ_STORE_KIND_UNKNOWN', `unknown store kind ${String(kind)}`, {
      problems: [
        { code: 'HQ_STORE_KIND_UNKNOWN', field: 'store.kind', message: `unknown store kind ${String(kind)}` },
      ],
    });
  }
  const store = await PostgresStore.open({
    url: choice.url,
    ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
  });
  let bankDb: Database.Database;
  try {
    bankDb = new Database(options.bankDbPath ?? ':memory:');
  } catch (error) {
    await store.close();
    throw new HqError('HQ_STORE_FAILED', `cannot open the bank simulator file ${options.bankDbPath}`, {
      cause: error,
    });
  }
  return {
    store,
    integrity: store.integrity,
    ops: new PostgresOpsStore(store.pool),
    operations: new PostgresOperationsStore(store.pool),
    reality: new PostgresRealityStore(store.pool),
    facts: new PostgresNetworkFacts(store.pool),
    views: new PostgresStationViewStore(store.pool),
    loginAttempts: new PostgresLoginAttempts(store.pool),
    unitOfWork: new PostgresUnitOfWork(store.pool),
    keys: new PostgresStationKeys(store.pool),
    bankDb,
    async close() {
      try {
        await store.close();
      } finally {
        if (bankDb.open) bankDb.close();
      }
    },
  };
}

/** The store of GatewayOptions: `store`, else SQLite at `dbPath`. */
function storeChoice(options: GatewayOptions): StoreConfig {
  if (options.store !== undefined) return options.store;
  if (options.dbPath === undefined) throw new Error('startGateway: dbPath or store is required');
  return { kind: 'sqlite', path: options.dbPath };
}

export const defaultCalendarDir = fileURLToPath(new URL('../../../data/calendar/', import.meta.url));

export function loadCalendarYears(dir: string): CalendarYear[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^cn-\d{4}\.json$/.test(name));
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read the calendar folder ${dir}`, { cause: error });
  }
  return names.map((name) => {
    const parsed = parseCalendarYear(JSON.parse(readFileSync(join(dir, name), 'utf8')));
    if (!parsed.ok) {
      throw new HqError('HQ_CONFIG_INVALID', `calendar ${name} is invalid`, {
        problems: parsed.problems.map((p) => ({
          code: 'HQ_CONFIG_INVALID',
          field: p.field,
          message: p.message,
        })),
      });
    }
    return parsed.value;
  });
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? silentLog;
  const clock = asClock(options.clock ?? systemClock);
  const hqKey = hqKeyFromPem(options.hqKeyPem);
  const calendarYears = options.calendarYears ?? loadCalendarYears(options.calendarDir ?? defaultCalendarDir);
  // Ingest commits on their own thread (adapters/sqlite/commit-thread.ts) unless the store lives
  // in memory (one connection only) or the caller asks otherwise.
  const opened = await openHqStore(storeChoice(options), {
    commitOnThread: options.commitOnThread ?? true,
    ...(options.bankDbPath === undefined ? {} : { bankDbPath: options.bankDbPath }),
  });
  const store = opened.store;
  const bank = new BankSimulator(opened.bankDb, options.tpk);
  if (options.bankAccounts !== undefined) bank.seedAccounts(options.bankAccounts);
  const verifier = new VerifyPool(
    options.verifyWorkers === undefined ? {} : { workers: options.verifyWorkers },
  );
  const natsPartitions = options.nats?.partitions ?? 1;
  const natsLink: NatsLink | undefined =
    options.link !== undefined || options.nats === undefined
      ? undefined
      : new NatsLink({
          natsUrls: options.nats.natsUrls,
          mqttUrls: options.nats.mqttUrls,
          partitions: natsPartitions,
          username: options.mqttUsername ?? 'hq',
          password: options.mqttPassword ?? '',
          clientId: options.clientId ?? 'hq-gateway',
          lockDatabaseUrl: natsLockDatabaseUrl(storeChoice(options)),
          // Called only after connect, when the pipeline below exists: JetStream acks follow the commit.
          commitBarrier: (): Promise<void> => pipeline.flush(),
          // A partition taken over: its stations' state is the store's before any message is handled
          // (the previous owner stored events since this gateway loaded them at its start).
          onPartitionGained: async (partition) => {
            const reloaded = await pipeline.reloadStations(
              (stationId: string) => partitionOfStation(stationId, natsPartitions) === partition,
            );
            // The configs another gateway sent since this one started (issue 9's hold expiry), as
            // at start-up below.
            for (const stationId of reloaded) {
              const config = await store.latestConfig(stationId);
              if (config !== undefined) pipeline.configSent(config);
            }
            log.info({ partition, stations: reloaded.length }, 'partition taken over, stations reloaded');
          },
          onPartitionsLost: (partitions) =>
            log.warn(
              { code: 'HQ_NATS_FAILED', partitions },
              'partitions lost: their stations are left alone',
            ),
          log,
        });
  const link: GatewayLink =
    options.link ??
    natsLink ??
    new MqttLink({
      url: options.brokerUrl,
      clientId: options.clientId ?? 'hq-gateway',
      log,
      ...(options.mqttUsername === undefined ? {} : { username: options.mqttUsername }),
      ...(options.mqttPassword === undefined ? {} : { password: options.mqttPassword }),
      ...(options.sharedGroup === undefined ? {} : { sharedGroup: options.sharedGroup }),
      ...(options.mqttTls === undefined ? {} : { tls: options.mqttTls }),
    });
  const defaults = options.stationDefaults ?? stationDefaults;
  // One source of R5 limits: the ones HQ signs into every station config (operations.sendConfig).
  const withdrawalLimits = ledgerLimitsOf(defaults);
  const feeSchedules = feeSchedulesOf(defaults);
  // What HQ itself recorded (quota purchases, granted authorisations): the mirror judges each
  // kiosk claim against it (issue 8); the pipeline fills it at start-up and as it grants.
  const provenance = new ProvenanceBook();
  const integrity = opened.integrity;
  // R8 checks, users/audit/alerts and the operations log live in the store's own database.
  const reality = opened.reality;
  const ledger = createLedgerMirror(calendarYears, withdrawalLimits, feeSchedules, provenance);
  const releasePacks =
    options.releases === undefined
      ? undefined
      : new ReleasePacks(
          options.releases.releasesDir,
          options.releasesBaseUrl ?? options.releases.packBaseUrl ?? 'https://hq.invalid',
        );
  // Issue 13: rollouts live in the operations log; offers go out sealed with HQ's key on down/cmd.
  const offerDownlink = new Downlink(hqKey, link, clock);
  const rollouts: RolloutWireDeps = {
    store: opened.operations,
    clock,
    log: log.child({ component: 'rollouts' }),
    catalog: options.releaseCatalog ?? releasePacks ?? noReleaseCatalog,
    send: (stationId, command) =>
      offerDownlink.send(stationId, 'cmd', PayloadType.PAYLOAD_TYPE_COMMAND, command),
    offerValidityMs: otaOfferValidityMs,
    offered: new Set<string>(),
  };
  // Rollouts started by the CLI (another process) are followed in the log; only with releases to offer.
  const hasCatalog = options.releaseCatalog !== undefined || releasePacks !== undefined;
  const dispatcher = hasCatalog ? new RolloutDispatcher(rollouts) : undefined;
  // One gateway owns every station; with N on NATS, the partitions this one holds now.
  const ownsStation = (stationId: string): boolean => natsLink?.ownsStation(stationId) ?? true;
  const pipeline: IngestPipeline = new IngestPipeline({
    rollouts: rolloutIngest(rollouts),
    store,
    verifier,
    bank,
    publisher: link,
    clock,
    hqKey,
    ledger,
    log,
    withdrawalFeeFen: defaults.withdrawalFeeFen,
    withdrawalLimits,
    feeSchedules,
    integrity,
    provenance,
    reality: { store: reality, events: store, bank },
    ...(natsLink === undefined ? {} : { ownsStation }),
    ...(options.clockSkewMsMax === undefined ? {} : { clockSkewMsMax: options.clockSkewMsMax }),
    holdExpiryMs: defaults.holdExpiryMs,
    ...(options.stationBounds === undefined ? {} : { stationBounds: options.stationBounds }),
    ...(options.verifyEverySignature === undefined
      ? {}
      : { verifyEverySignature: options.verifyEverySignature }),
    ...(options.stationSilenceMsMax === undefined
      ? {}
      : { stationSilenceMsMax: options.stationSilenceMsMax }),
    ...(options.cardKeySecret === undefined ? {} : { cardKeySecret: options.cardKeySecret }),
  });
  const quotaOf = quotaSource({
    ownsStation,
    owned: (stationId) => ({
      quotaFen: ledger.quotaFenAvailable(stationId),
      throughSeq: pipeline.ackedSeq(stationId),
    }),
    store,
    integrity,
    calendarYears,
  });
  const operations = new HqOperations({
    store,
    hqKey,
    clock,
    publisher: link,
    defaults,
    quotaOf,
    onEnrolled: (station) => pipeline.addStation(station),
    onQuotaPurchased: (purchase) => provenance.purchaseRecorded(purchase),
    integrity,
    onResumed: (stationId) => pipeline.resumeStation(stationId),
    onConfigSent: (config) => pipeline.configSent(config),
    networkBlock: (stationId) => networkBlockFor(opened.operations, stationId),
  });
  const ops = opened.ops;
  // The network's operations log and the ingest facts it reads (commission runs, fee checks) are
  // on the opened store, SQLite or PostgreSQL, as for `hq network …`.
  const network: NetworkDeps = {
    store: opened.operations,
    calendar: createWorkingCalendar(calendarYears),
    clock,
    facts: opened.facts,
  };
  // R4: the lifecycle gate rides on station control (a station not open is declined).
  const controlDeps = {
    store,
    integrity,
    ops,
    clock,
    running: pipeline,
    network,
    unitOfWork: opened.unitOfWork,
    keys: opened.keys,
  };
  const control = new StationControl(controlDeps);
  const controlSync = new StationControlSync(controlDeps, log);
  const webhook =
    options.alertWebhook ??
    (options.alertWebhookUrl === undefined ? undefined : fetchWebhook(options.alertWebhookUrl));
  const alerts = new AlertService({
    ops,
    store,
    // Another gateway's station: its owner judges its quota (this copy stopped moving).
    quotaOf: (stationId) => (ownsStation(stationId) ? ledger.quotaFenAvailable(stationId) : null),
    clock,
    log,
    ...(webhook === undefined ? {} : { webhook }),
    ...(options.quotaLowFen === undefined ? {} : { quotaLowFen: options.quotaLowFen }),
  });
  const api: ApiDeps = {
    store,
    ops,
    users: new UserService(ops, clock, new LoginLimiter(clock, opened.loginAttempts), options.passwordCost),
    audit: new AuditLog(ops, clock, opened.unitOfWork),
    views: new StationViews({ store, views: opened.views, quotaOf, defaults }),
    control,
    operations,
    alerts,
    network,
    clock,
    log,
    metrics: createApiMetrics({ ingest: () => pipeline.counters, openAlerts: () => ops.countOpenAlerts() }),
    ingestAlive: () => pipeline.alive,
    live: pipeline,
    ...(releasePacks === undefined ? {} : { releasePacks }),
    ...consoleDirOption(options.consoleDir),
    ...(options.releases === undefined ? {} : { releases: options.releases }),
    rolloutWire: rollouts,
  };
  let http: Awaited<ReturnType<typeof listenApi>> | undefined;
  try {
    await verifier.ready();
    await store.ready();
    await pipeline.start();
    await controlSync.start();
    if (options.http !== undefined) http = await listenApi(api, options.http.listen);
    // Each station's latest config, so a hold is judged by the expiry that station was told (issue 9).
    for (const station of await store.listStations()) {
      const config = await store.latestConfig(station.stationId);
      if (config !== undefined) pipeline.configSent(config);
    }
    await link.connect((topic, payload) => {
      pipeline.handleMessage(topic, payload);
      return pipeline.queueLength >= ingestQueueMax ? pipeline.waitForRoom() : undefined;
    });
    if (options.resendOnStart ?? true) await pipeline.requestResendAll();
  } catch (error) {
    controlSync.stop();
    await http?.app.close();
    await link.close();
    await verifier.close();
    await opened.close();
    throw error;
  }
  pipeline.startSilenceSweep();
  dispatcher?.start(clock);
  alerts.start();
  const rotationMs = options.workingKeyRotationMs ?? workingKeyRotationMsDefault;
  const rotation =
    rotationMs === 0
      ? undefined
      : new WorkingKeyRotation({
          hsm: bank.workingKeys,
          // R24: each rotated key is recorded as sent, so its KCV answer is checked like a manual load's.
          operations: {
            sendWorkingKey: async (stationId, key, ttlMs) => {
              const sent = await operations.sendWorkingKey(stationId, key, ttlMs);
              await recordKeySent(network.store, stationId, sent, 'system:rotation', clock.nowMs());
              return sent;
            },
          },
          clock,
          log,
          rotationMs,
        });
  rotation?.start();
  const keyCheck = { store: network.store, hsm: bank.workingKeys, alerts, clock, log };
  pipeline.on('command-result', (stationId: string, detail: Record<string, unknown>) => {
    const result = {
      commandId: String(detail.commandId ?? ''),
      outcome: Number(detail.outcome ?? 0),
      detail: String(detail.detail ?? ''),
    };
    checkKeyResult(keyCheck, stationId, result).then(
      (verdict) => pipeline.emit('working-key-checked', stationId, result.commandId, verdict ?? null),
      (error: unknown) =>
        log.error({ code: 'HQ_STORE_FAILED', stationId, err: error }, 'working key check failed'),
    );
  });
  let stopped = false;
  return {
    pipeline,
    rollouts,
    operations,
    store,
    bank,
    link,
    hqKey,
    integrity,
    reality,
    verifyWorkers: verifier.workerCount,
    flush: () => pipeline.flush(),
    quotaFenAvailable: (stationId) => ledger.quotaFenAvailable(stationId),
    ops,
    api,
    controlSync,
    httpUrl: http?.url,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      controlSync.stop();
      await dispatcher?.stop();
      alerts.stop();
      rotation?.stop();
      await http?.app.close();
      // Everything is closed even when the pipeline stopped on a fatal error (close() rethrows it):
      // a commit or verify thread left running would keep the process alive.
      try {
        await pipeline.close();
      } finally {
        await link.close();
        await verifier.close();
        await opened.close();
      }
    },
  };
}

/** The NATS link's partition locks live in the HQ store's PostgreSQL database (issue 14). */
function natsLockDatabaseUrl(store: StoreConfig): string {
  if (store.kind !== 'postgres') {
    throw new HqError('HQ_CONFIG_INVALID', 'broker kind nats needs the PostgreSQL store (partition locks)');
  }
  return store.url;
}
