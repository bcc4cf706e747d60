// The checks of `kiosk doctor`. Each returns one row: PASS / WARN / FAIL / SKIP, a detail, and
// for WARN/FAIL a stable code and a hint telling the technician what to do. No check throws.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { isIP, connect as netConnect } from 'node:net';
import { dirname } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { beijingIsoTime } from '@bianmin/wire';
import { Pkcs11Signer } from '../../adapters/pkcs11/pkcs11-signer.js';
import { openReadOnly } from '../../adapters/sqlite/integrity.js';
import { brokerUrlsOf, type DeviceConfig, type SerialDeviceConfig } from '../../config/schema.js';
import { signerOptionsOf } from '../../config/signer-options.js';
import {
  clockKnownWrong,
  decodeClockVerdict,
  describeOffset,
  META_CLOCK_OFFSET,
} from '../../domain/health/clock-skew.js';
import { type AgentErrorCode, isAgentError } from '../../errors.js';
import {
  clockSampleAgeMsMax,
  clockSkewMsMaxDefault,
  diskReserveBytesDefault,
  doctorBrokerTimeoutMs,
  doctorClockAheadMsMax,
  doctorDiskBytesFreeMin,
  doctorDiskBytesFreeWarn,
} from '../../limits.js';
import type { Logger } from '../../logging.js';
import type { DeviceIdentity } from '../../ports/card-reader.js';
import type { JournalIntegrityCheck } from '../command.js';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckRow {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly code?: AgentErrorCode;
  /** The underlying error code, when one caused the failure (e.g. AGENT_SERIAL_TIMEOUT). */
  readonly causeCode?: string;
  readonly hint?: string;
}

function causeCodeOf(error: unknown): string | undefined {
  if (isAgentError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Identify + heartbeat on one serial device, through the driver (start, whenOpen, stop). */
export async function checkSerialDevice(
  check: string,
  device: SerialDeviceConfig,
  open: () => {
    start(): void;
    stop(): Promise<void>;
    whenOpen(timeoutMs: number): Promise<void>;
    identify(): Promise<DeviceIdentity>;
    heartbeat(): Promise<void>;
  },
): Promise<CheckRow> {
  const driver = open();
  try {
    driver.start();
    await driver.whenOpen(device.commandTimeoutMs);
    const identity = await driver.identify();
    await driver.heartbeat();
    return identityRow(check, device, identity, 'heartbeat ok');
  } catch (error) {
    const causeCode = causeCodeOf(error);
    return {
      check,
      status: 'FAIL',
      code: 'AGENT_DOCTOR_SERIAL_FAILED',
      ...(causeCode === undefined ? {} : { causeCode }),
      detail: `${device.path}: ${messageOf(error)}`,
      hint: `check the cable and power of the device, that ${device.path} exists (ls -l /dev/serial/by-id/), and the baud rate`,
    };
  } finally {
    await driver.stop().catch(() => undefined);
  }
}

/**
 * A device that answered: PASS when it is the one `kiosk provision` recorded (serial.*.serialNumber),
 * FAIL AGENT_DOCTOR_PERIPHERAL_MISMATCH when another device answers on that path (swapped device or
 * cable). A config with none recorded (provisioned before doctor compared, or a hand-written one)
 * passes on identify + heartbeat alone, and the detail says that nothing was compared.
 */
export function identityRow(
  check: string,
  device: SerialDeviceConfig,
  identity: DeviceIdentity,
  how: string,
): CheckRow {
  const detail = `${identity.model} serial ${identity.serialNumber} firmware ${identity.firmwareVersion}; ${how}`;
  if (device.serialNumber === undefined) {
    return {
      check,
      status: 'PASS',
      detail: `${detail}; not compared: no serial number recorded (kiosk provision records it)`,
    };
  }
  if (device.serialNumber !== identity.serialNumber) {
    return {
      check,
      status: 'FAIL',
      code: 'AGENT_DOCTOR_PERIPHERAL_MISMATCH',
      detail: `${device.path}: serial ${identity.serialNumber} answers, provisioning recorded ${device.serialNumber}`,
      hint: `another device is on ${device.path}: check the cables are not swapped between card reader and PIN pad (ls -l /dev/serial/by-id/); a replaced device needs kiosk provision and HQ's approval`,
    };
  }
  return { check, status: 'PASS', detail: `${detail}; the device recorded at provisioning` };
}

const tokenHints: Partial<Record<string, string>> = {
  AGENT_TOKEN_NOT_PRESENT:
    'plug the UK key in (or check token.label / token.serial), then run kiosk doctor again',
  AGENT_TOKEN_MODULE_LOAD_FAILED: 'check token.modulePath points at the PKCS#11 library of this key',
  AGENT_TOKEN_KEY_NOT_FOUND: 'run kiosk provision to create the signing key on this token',
  AGENT_TOKEN_PIN_UNAVAILABLE:
    'check the PIN file (token.userPin.file, mode 0600) or env var (token.userPin.env)',
  AGENT_TOKEN_PIN_REJECTED:
    'the PIN is wrong: fix the PIN file, then reset the retry counter (docs/operations.md "Token PIN")',
  AGENT_TOKEN_PIN_COUNT_LOW:
    'wrong PINs were tried: log in once with the right PIN (docs/operations.md "Token PIN")',
  AGENT_TOKEN_PIN_FINAL_TRY: 'one PIN try left: do NOT guess; see docs/operations.md "Token PIN"',
  AGENT_TOKEN_PIN_LOCKED: 'the token is locked: it needs the SO PIN or a replacement key from HQ',
};

/** Opens the signer, signs a test digest and verifies it with the token's public key. */
export async function checkToken(config: DeviceConfig, logger: Logger): Promise<CheckRow> {
  const signer = new Pkcs11Signer(signerOptionsOf(config, logger, { probe: { enabled: false } }));
  try {
    const message = Buffer.from(`kiosk doctor ${config.station.id}`);
    const digest = createHash('sha256').update(message).digest();
    const signature = await signer.signDigest(digest);
    const publicKey = await signer.publicKey();
    const ok = verify(
      'sha256',
      message,
      { key: createPublicKey(publicKey.pem), dsaEncoding: 'ieee-p1363' },
      signature,
    );
    const state = signer.state();
    const serial = state.kind === 'ready' ? state.tokenSerial : '?';
    if (!ok) {
      return {
        check: 'token',
        status: 'FAIL',
        code: 'AGENT_DOCTOR_TOKEN_FAILED',
        detail: 'the test signature does not verify with the key on the token',
        hint: 'the key pair on the token is inconsistent: re-provision with a new token and re-enrol',
      };
    }
    return {
      check: 'token',
      status: 'PASS',
      detail: `token ${serial}, key "${config.token.keyLabel}" signs; fingerprint ${publicKey.fingerprintSha256Hex.slice(0, 16)}…`,
    };
  } catch (error) {
    const causeCode = causeCodeOf(error);
    return {
      check: 'token',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_TOKEN_FAILED',
      ...(causeCode === undefined ? {} : { causeCode }),
      detail: messageOf(error),
      hint: (causeCode === undefined ? undefined : tokenHints[causeCode]) ?? 'see docs/operations.md "Token"',
    };
  } finally {
    await signer.close();
  }
}

/**
 * Every broker the config names (mqtt.url or each of mqtt.urls), one row: PASS when all answer,
 * WARN when some do (the link rotates to them), FAIL when none does; the detail names each.
 */
export async function checkBroker(
  config: DeviceConfig,
  timeoutMs = doctorBrokerTimeoutMs,
): Promise<CheckRow> {
  const urls = brokerUrlsOf(config.mqtt);
  const rows: CheckRow[] = [];
  for (const url of urls) rows.push(await checkBrokerUrl(config, url, timeoutMs));
  if (rows.length === 1) return rows[0]!;
  const failed = rows.filter((row) => row.status !== 'PASS');
  const detail = rows.map((row, index) => `${urls[index]}: ${row.status} ${row.detail}`).join('; ');
  const first = failed[0];
  if (first === undefined) return { check: 'broker', status: 'PASS', detail };
  return {
    ...first,
    status: failed.length === rows.length ? 'FAIL' : 'WARN',
    detail: `${failed.length} of ${rows.length} brokers failed: ${detail}`,
  };
}

/** TCP connect to one broker; a TLS handshake as well when the URL or the config asks for TLS. */
async function checkBrokerUrl(config: DeviceConfig, brokerUrl: string, timeoutMs: number): Promise<CheckRow> {
  const url = new URL(brokerUrl);
  const useTls = url.protocol === 'mqtts:' || url.protocol === 'tls:' || config.mqtt.tls !== undefined;
  const port = url.port === '' ? (useTls ? 8883 : 1883) : Number(url.port);
  const host = url.hostname;
  const tcp = await new Promise<string | null>((resolve) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(null);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve(messageOf(error));
    });
  });
  if (tcp !== null) {
    return {
      check: 'broker',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_BROKER_UNREACHABLE',
      detail: `${host}:${port}: ${tcp}`,
      hint: 'check the network link, the mqtt.url(s) host and port, and any firewall on the way',
    };
  }
  if (!useTls)
    return { check: 'broker', status: 'PASS', detail: `${host}:${port} accepts TCP (no TLS configured)` };
  const tlsConfig = config.mqtt.tls;
  const tlsError = await new Promise<string | null>((resolve) => {
    let settled = false;
    const done = (value: string | null) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    try {
      const socket = tlsConnect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(tlsConfig === undefined ? {} : { ca: readFileSync(tlsConfig.caPath) }),
        ...(tlsConfig?.certPath === undefined ? {} : { cert: readFileSync(tlsConfig.certPath) }),
        ...(tlsConfig?.keyPath === undefined ? {} : { key: readFileSync(tlsConfig.keyPath) }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        done(`no TLS handshake within ${timeoutMs} ms`);
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.end();
        done(null);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        done(messageOf(error));
      });
    } catch (error) {
      done(messageOf(error));
    }
  });
  if (tlsError !== null) {
    return {
      check: 'broker',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_BROKER_TLS_FAILED',
      detail: `${host}:${port}: ${tlsError}`,
      hint: 'check mqtt.tls.caPath (the HQ CA), the client certificate and key, and the clock (certificates have dates)',
    };
  }
  return { check: 'broker', status: 'PASS', detail: `${host}:${port} TLS handshake ok` };
}

export function checkClock(nowMs: number, buildDateMs: number): CheckRow {
  // Beijing time, as the technician reads the clock on the wall (and the logs).
  const nowIso = beijingIsoTime(nowMs);
  if (nowMs < buildDateMs) {
    return {
      check: 'clock',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_CLOCK_BEHIND',
      detail: `clock says ${nowIso}, before this build (${new Date(buildDateMs).toISOString().slice(0, 10)})`,
      hint: 'set the time (timedatectl set-ntp true, or date -s) and check the RTC battery',
    };
  }
  if (nowMs > buildDateMs + doctorClockAheadMsMax) {
    return {
      check: 'clock',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_CLOCK_AHEAD',
      detail: `clock says ${nowIso}, over 10 years after this build`,
      hint: 'set the time (timedatectl set-ntp true, or date -s)',
    };
  }
  return { check: 'clock', status: 'PASS', detail: nowIso };
}

export function checkDisk(
  journalPath: string,
  bytesFree?: (dir: string) => number,
  reserveBytes: number = diskReserveBytesDefault,
): CheckRow {
  const dir = dirname(journalPath);
  let free: number;
  try {
    free =
      bytesFree?.(dir) ??
      (() => {
        const stats = statfsSync(dir);
        return stats.bavail * stats.bsize;
      })();
  } catch (error) {
    return {
      check: 'disk',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_DISK_LOW',
      detail: `${dir}: ${messageOf(error)}`,
      hint: `create ${dir} (see docs/operations.md "Install")`,
    };
  }
  const freeMiB = Math.floor(free / (1024 * 1024));
  if (free < reserveBytes) {
    return {
      check: 'disk',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_DISK_LOW',
      detail: `${dir}: ${freeMiB} MiB free, below the reserve of ${Math.floor(reserveBytes / (1024 * 1024))} MiB: the agent refuses new business (AGENT_TX_DISK_LOW)`,
      hint: 'free space: rotate and delete old logs in log.dir, remove stray files; never delete kiosk.db, kiosk.db-wal or kiosk.db-shm (docs/operations.md "Full disk")',
    };
  }
  if (free < doctorDiskBytesFreeMin) {
    return {
      check: 'disk',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_DISK_LOW',
      detail: `${dir}: ${freeMiB} MiB free`,
      hint: 'free space: rotate logs in log.dir; never delete the journal',
    };
  }
  if (free < doctorDiskBytesFreeWarn) {
    return {
      check: 'disk',
      status: 'WARN',
      code: 'AGENT_DOCTOR_DISK_LOW',
      detail: `${dir}: ${freeMiB} MiB free`,
      hint: 'free space soon: rotate logs in log.dir',
    };
  }
  return { check: 'disk', status: 'PASS', detail: `${dir}: ${freeMiB} MiB free` };
}

export function checkJournal(journalPath: string, journal: JournalIntegrityCheck): CheckRow {
  let result: ReturnType<JournalIntegrityCheck['check']>;
  try {
    result = journal.check(journalPath);
  } catch (error) {
    result = { status: 'corrupt', detail: messageOf(error) };
  }
  if (result.status === 'missing') return { check: 'journal', status: 'SKIP', detail: 'no journal' };
  if (result.status === 'ok') return { check: 'journal', status: 'PASS', detail: result.detail };
  return {
    check: 'journal',
    status: 'FAIL',
    code: 'AGENT_DOCTOR_JOURNAL_BROKEN',
    detail: result.detail,
    hint: 'never delete it: stop the agent, run kiosk repair (it keeps a copy and rebuilds the outbox and counters from the journal); if repair refuses, call HQ (docs/operations.md "Corrupted journal")',
  };
}

/**
 * The agent's last measured drift against HQ (issue 9), read from the journal database: FAIL
 * beyond the configured skew, WARN when the measurement is old or predates a clock change.
 */
export function checkClockDrift(
  journalPath: string,
  nowMs: number,
  skewMsMax: number = clockSkewMsMaxDefault,
): CheckRow {
  if (!existsSync(journalPath)) return { check: 'clock drift', status: 'SKIP', detail: 'no journal' };
  let stored: string | null;
  try {
    const db = openReadOnly(journalPath);
    try {
      stored = db.getMeta(META_CLOCK_OFFSET);
    } finally {
      db.close();
    }
  } catch (error) {
    return { check: 'clock drift', status: 'SKIP', detail: `journal unreadable: ${messageOf(error)}` };
  }
  const verdict = decodeClockVerdict(stored);
  if (verdict === null)
    return {
      check: 'clock drift',
      status: 'SKIP',
      detail: 'not measured yet (the agent has had no HQ answer)',
    };
  const ageMs = nowMs - verdict.measuredAtMs;
  const measured = `${describeOffset(verdict)} (measured ${Math.round(ageMs / 60_000)} min ago, allowed ${skewMsMax / 1000} s)`;
  if (clockKnownWrong(verdict, skewMsMax)) {
    return {
      check: 'clock drift',
      status: ageMs < 0 || ageMs > clockSampleAgeMsMax ? 'WARN' : 'FAIL',
      code: 'AGENT_DOCTOR_CLOCK_SKEW',
      detail: measured,
      hint:
        ageMs < 0 || ageMs > clockSampleAgeMsMax
          ? 'the clock has changed since (or the measurement is old): restart the agent online and run kiosk doctor again'
          : 'withdrawals are refused (AGENT_TX_CLOCK_SKEW): set the time (timedatectl set-ntp true), check the RTC battery, restart the agent (docs/operations.md "Wrong clock")',
    };
  }
  if (ageMs < 0 || ageMs > clockSampleAgeMsMax)
    return { check: 'clock drift', status: 'SKIP', detail: `stale: ${measured}` };
  return { check: 'clock drift', status: 'PASS', detail: measured };
}
