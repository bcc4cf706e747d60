// The kiosk agent process: reads the device config (src/config), opens the journal, the UK key
// (PKCS#11), the serial card reader and PIN pad, starts the agent (MQTT link, recovery, daily
// close) and the local operator API; stops cleanly on SIGTERM/SIGINT (a signed Death is published
// before the broker connection closes). A SIGKILL is fine too: the journal makes the restart safe.
//
// Secrets are files named in the device config, never values in it (docs/operations.md):
//   operatorApi.tokenFile         the operator credential for the local API (>= 16 characters), required
//   station.cardTokenKeyFile      the card-token HMAC key (hex, >= 16 bytes), required
//   mqtt.passwordFile             the station's broker password (user name = station id), optional
//   serial.pinPad.tpkKeyId        key id of the TPK loaded into the PIN pad (default TPK1)
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { fingerprint, publicKeySpkiDer } from '@bianmin/wire';
import { OperatorApi } from './adapters/operator-api/server.js';
import { Pkcs11Signer } from './adapters/pkcs11/pkcs11-signer.js';
import { KioskDb } from './adapters/sqlite/kiosk-db.js';
import { isWriteFailure } from './adapters/sqlite/records.js';
import { cgroupMemoryLimitBytes } from './adapters/system/cgroup-memory.js';
import { createServiceNotifier } from './adapters/systemd/socat-notifier.js';
import { KioskAgent, systemClock } from './agent.js';
import { Supervisor } from './app/supervisor.js';
import { serialPeripherals } from './cli/peripherals.js';
import { loadAgentConfig } from './config/agent-config.js';
import { calendarDirOf } from './config/calendar.js';
import { brokerUrlsOf, tpkKeyIdDefault } from './config/schema.js';
import { signerOptionsOf } from './config/signer-options.js';
import { memoryBudgetFor } from './domain/health/memory-pressure.js';
import { backoffDelayMs } from './domain/outbox/backoff.js';
import {
  brokerLoopReport,
  type LoopLimits,
  serialLoopReport,
  watchdogMsFromEnv,
} from './domain/supervision/watchdog.js';
import {
  diskReserveBytesDefault,
  linkBackoffMsMax,
  linkConnectTimeoutMs,
  memoryHeapPercentHigh,
  memoryHeapPercentLow,
  memoryRssBytesHigh,
  memoryRssBytesLow,
  operatorTokenFileBytesMax,
  serialOpeningMsMax,
  unitMemoryMaxBytes,
  walCheckpointBackoffMsInitial,
  walCheckpointBackoffMsMax,
  watchdogGraceMs,
} from './limits.js';
import { createLogger } from './logging.js';
import { otaWiringOf } from './ota-wiring.js';

function readSmallFile(path: string): string {
  return readFileSync(path, 'utf8').slice(0, operatorTokenFileBytesMax).trim();
}

/** Free bytes for an unprivileged writer on the journal's file system (telemetry). */
function diskFreeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** The agent's own memory (issue 13): RSS from the kernel, used heap against V8's limit. */
function processMemory() {
  const heap = getHeapStatistics();
  return {
    rssBytes: process.memoryUsage.rss(),
    heapUsedBytes: heap.used_heap_size,
    heapLimitBytes: heap.heap_size_limit,
  };
}

/**
 * Opens the journal read-write; while the disk is too full even for that (SQLite cannot create
 * its -shm/-wal files), waits and tries again instead of exiting, so a full disk never becomes a
 * crash loop under the service manager (issue 9). Other errors are thrown as before.
 */
async function openJournalWhenWritable(
  path: string,
  logger: ReturnType<typeof createLogger>,
): Promise<KioskDb> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return new KioskDb({ path });
    } catch (error) {
      if (!isWriteFailure(error) && (error as { code?: unknown }).code !== 'SQLITE_CANTOPEN') throw error;
      const delayMs = backoffDelayMs(
        { backoffMsInitial: walCheckpointBackoffMsInitial, backoffMsMax: walCheckpointBackoffMsMax },
        attempt,
        Math.random(),
      );
      logger.error(
        {
          code: 'AGENT_STORE_WRITE_FAILED',
          sqliteCode: String((error as { code?: unknown }).code),
          attempt,
          delayMs,
        },
        'journal cannot be opened for writing (disk full?); waiting for space',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** How long each loop's transient states may last before the watchdog stops (limits.ts). */
const loopLimits: LoopLimits = {
  graceMs: watchdogGraceMs,
  brokerConnectTimeoutMs: linkConnectTimeoutMs,
  brokerBackoffMsMax: linkBackoffMsMax,
  serialOpeningMsMax,
};

export async function runAgentProcess(configPath: string): Promise<void> {
  // Everything the agent creates (journal and its WAL, log files, the operator socket) is the
  // service user's alone: owner read/write, nothing for group or others.
  process.umask(0o077);
  // The same loader `kiosk config check` reports (config/agent-config.ts): one source of truth.
  const report = loadAgentConfig(configPath, process.getuid?.() ?? 0);
  if (report.config === null || report.problems.length > 0) {
    process.stderr.write(`${JSON.stringify(report.problems)}\n`);
    process.exitCode = 1;
    return;
  }
  const config = report.config;
  const operatorTokenFile = config.operatorApi.tokenFile!;
  const cardTokenKeyFile = config.station.cardTokenKeyFile!;
  // Under systemd (JOURNAL_STREAM set) or without log.dir the lines go to stdout (journald); else to log.dir.
  const logger = createLogger({
    name: 'kiosk-agent',
    level: config.log.level,
    ...(process.env.JOURNAL_STREAM === undefined && config.log.dir !== undefined
      ? { dir: config.log.dir }
      : {}),
    fd: 1,
  });
  // Told to systemd from here on (Type=notify): READY only once every part below is up.
  let signerOpen = false;
  let agent: KioskAgent | null = null;
  const notifier = createServiceNotifier(process.env, logger);
  const supervisor = new Supervisor({
    clock: systemClock,
    notifier,
    logger,
    watchdogMs: watchdogMsFromEnv(process.env.WATCHDOG_USEC, process.env.WATCHDOG_PID, process.pid),
    parts: () => ({
      journal: agent !== null,
      token: signerOpen,
      peripherals: cardReader.linkState.kind === 'open' && pinPad.linkState.kind === 'open',
      link: agent?.link().state().kind === 'online',
    }),
    loops: () => [
      serialLoopReport('card-reader', cardReader.linkState, loopLimits),
      serialLoopReport('pin-pad', pinPad.linkState, loopLimits),
      ...(agent === null ? [] : [brokerLoopReport(agent.link().state(), loopLimits)]),
    ],
  });
  const signer = new Pkcs11Signer(signerOptionsOf(config, logger));
  signer.open();
  const publicKey = await signer.publicKey();
  signerOpen = true;
  const hqPem = readFileSync(config.hq.configPublicKeyPath, 'utf8');
  const peripherals = serialPeripherals(() => logger);
  const cardReader = peripherals.cardReader(config);
  const pinPad = peripherals.pinPad(config);
  cardReader.start();
  pinPad.start();
  supervisor.start();
  const db = await openJournalWhenWritable(config.journal.path, logger);
  agent = await KioskAgent.open({
    stationId: config.station.id,
    keyId: publicKey.fingerprintSha256Hex,
    db,
    signer,
    cardReader,
    pinPad,
    clock: systemClock,
    logger,
    hqPublicKeys: [{ keyId: fingerprint(publicKeySpkiDer(hqPem)), publicKey: hqPem }],
    // A release bundle's launcher names its own calendar (bin/kiosk-agent); a checkout uses data/calendar.
    calendarDir: calendarDirOf(process.env),
    cardTokenKey: Buffer.from(readSmallFile(cardTokenKeyFile), 'hex'),
    tpkKeyId: config.serial.pinPad.tpkKeyId ?? tpkKeyIdDefault,
    mqtt: {
      brokerUrl: brokerUrlsOf(config.mqtt)[0]!,
      brokerUrls: brokerUrlsOf(config.mqtt),
      ...(config.mqtt.passwordFile === undefined
        ? {}
        : { username: config.station.id, password: readSmallFile(config.mqtt.passwordFile) }),
      ...(config.mqtt.tls === undefined ? {} : { tls: config.mqtt.tls }),
    },
    diskFreeBytes: () => diskFreeBytes(dirname(config.journal.path)),
    memorySample: processMemory,
    // The RSS marks scale with the cgroup's limit (systemd MemoryMax); none: the heap marks only.
    memoryBudget: memoryBudgetFor(cgroupMemoryLimitBytes(), {
      unitMemoryMaxBytes,
      rssBytesHigh: memoryRssBytesHigh,
      rssBytesLow: memoryRssBytesLow,
      heapPercentHigh: memoryHeapPercentHigh,
      heapPercentLow: memoryHeapPercentLow,
    }),
    ...(config.journal.diskReserveBytes === undefined
      ? {}
      : { diskReserveBytes: config.journal.diskReserveBytes }),
    ...(config.hq.clockSkewMsMax === undefined ? {} : { clockSkewMsMax: config.hq.clockSkewMsMax }),
    // Issue 13: over-the-air updates when the config names the release folders and key.
    ...(config.ota === undefined
      ? {}
      : {
          ota: otaWiringOf({
            ota: config.ota,
            clock: systemClock,
            serviceManager: notifier,
            journal: db,
            link: () => agent?.link(),
            peripherals: () => agent?.peripherals(),
            recordedSerials: {
              ...(config.serial.cardReader.serialNumber === undefined
                ? {}
                : { cardReader: config.serial.cardReader.serialNumber }),
              ...(config.serial.pinPad.serialNumber === undefined
                ? {}
                : { pinPad: config.serial.pinPad.serialNumber }),
            },
            diskFreeBytes: () => diskFreeBytes(dirname(config.journal.path)),
            diskReserveBytes: config.journal.diskReserveBytes ?? diskReserveBytesDefault,
            signer,
            stationId: config.station.id,
            fetchUrlOf: (offer) => agent?.ota()?.fetchUrlOf(offer.rolloutId),
          }),
        }),
  });
  const api = new OperatorApi({
    listen: { kind: 'unix', socketPath: config.operatorApi.socketPath },
    token: readSmallFile(operatorTokenFile),
    operator: agent,
    logger,
  });
  await api.listen();
  const running = agent;
  running.start();
  logger.info({ stationId: config.station.id }, 'kiosk agent running');
  const shutdown = async () => {
    await supervisor.stop();
    await api.close();
    await running.stop();
    await cardReader.stop();
    await pinPad.stop();
    await signer.close();
    db.close();
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const configPath = process.argv[2] ?? process.env.BIANMIN_CONFIG ?? '/etc/bianmin/kiosk.json';
  runAgentProcess(configPath).catch((error: unknown) => {
    process.stderr.write(
      `kiosk agent failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
