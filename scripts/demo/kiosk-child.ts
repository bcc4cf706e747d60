// One kiosk agent process for the demo and the end-to-end tests: the real transaction core
// (@bianmin/device-agent's KioskAgent) wired to the real adapters — SQLite journal, the UK key
// through PKCS#11 (its own SoftHSM token: SOFTHSM2_CONF comes in the environment), the serial card
// reader and PIN pad drivers on PTYs, the MQTT link and the operator API on a Unix socket — the
// way src/main.ts wires them, plus a demo clock: wall time shifted by an offset the parent sets
// over the IPC channel, so a whole business day (service hours, R20) runs in seconds while every
// timer still runs in real time.
//
// Argument: one JSON object (KioskChildArgs). IPC from the parent: {op:'clock', offsetMs},
// {op:'dayTotals', id, businessDate}; to the parent: {op:'ready'}, {op:'reply', id, value}.
// SIGKILL at any instant is allowed: the journal makes the restart safe. SIGTERM stops cleanly.
import { readFileSync } from 'node:fs';
import {
  CardReaderDriver,
  type ClockPort,
  createLogger,
  KioskAgent,
  KioskDb,
  OperatorApi,
  PinPadDriver,
  Pkcs11Signer,
  systemClock,
} from '@bianmin/device-agent';
import { fingerprint, publicKeySpkiDer } from '@bianmin/wire';
import { armKillPoint, type KillPoint } from './lib/kill-point.js';

export interface KioskChildArgs {
  readonly stationId: string;
  readonly dbPath: string;
  readonly socketPath: string;
  readonly operatorTokenFile: string;
  readonly brokerUrl: string;
  /** Several brokers (config mqtt.urls, a NATS cluster's MQTT listeners): tried in turn. */
  readonly brokerUrls?: readonly string[];
  readonly mqttUsername?: string;
  readonly mqttPasswordFile?: string;
  /** TLS files of the broker link (config mqtt.tls). */
  readonly mqttTls?: {
    readonly caPath: string;
    readonly certPath: string;
    readonly keyPath: string;
    readonly serverName: string;
  };
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly keyLabel: string;
  readonly userPinFile: string;
  readonly hqPublicKeyPath: string;
  readonly cardReaderPath: string;
  readonly pinPadPath: string;
  readonly cardTokenKeyHex: string;
  readonly tpkKeyId: string;
  readonly logDir: string;
  readonly clockOffsetMs: number;
  /** Reconnect back-off, short so an outage drains within the demo. */
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
  readonly heartbeatMs?: number;
  /** SIGKILL tests: the program point where this process kills itself (lib/kill-point.ts). */
  readonly killAt?: KillPoint;
}

type ParentMessage =
  | { readonly op: 'clock'; readonly id: number; readonly offsetMs: number }
  | { readonly op: 'dayTotals'; readonly id: number; readonly businessDate: string };

const args = JSON.parse(process.argv[2] ?? '{}') as KioskChildArgs;
let offsetMs = args.clockOffsetMs;
/** The system clock shifted by the demo's offset (the parent moves it to cross midnights). */
const clock: ClockPort = { ...systemClock, nowMs: () => systemClock.nowMs() + offsetMs };
const logger = createLogger({
  name: `kiosk-${args.stationId.toLowerCase()}`,
  level: 'info',
  dir: args.logDir,
});
const readTrimmed = (path: string) => readFileSync(path, 'utf8').trim();

const signer = new Pkcs11Signer({
  modulePath: args.modulePath,
  token: { label: args.tokenLabel },
  keyLabel: args.keyLabel,
  pin: { file: args.userPinFile },
  logger,
});
if (signer.open().kind !== 'ready') throw new Error(`the UK key of ${args.stationId} is not ready`);
const publicKey = await signer.publicKey();
const hqPem = readTrimmed(args.hqPublicKeyPath);
const cardReader = new CardReaderDriver({ path: args.cardReaderPath, logger });
const pinPad = new PinPadDriver({ path: args.pinPadPath, logger });
cardReader.start();
pinPad.start();
const db = new KioskDb({ path: args.dbPath });
if (args.killAt !== undefined) armKillPoint(db, signer, args.killAt);
const agent = await KioskAgent.open({
  stationId: args.stationId,
  keyId: publicKey.fingerprintSha256Hex,
  db,
  signer,
  cardReader,
  pinPad,
  clock,
  logger,
  hqPublicKeys: [{ keyId: fingerprint(publicKeySpkiDer(hqPem)), publicKey: hqPem }],
  cardTokenKey: Buffer.from(args.cardTokenKeyHex, 'hex'),
  tpkKeyId: args.tpkKeyId,
  cardWaitMs: 10_000,
  autoDailyClose: false,
  mqtt: {
    brokerUrl: args.brokerUrl,
    ...(args.brokerUrls === undefined ? {} : { brokerUrls: args.brokerUrls }),
    ...(args.mqttUsername === undefined ? {} : { username: args.mqttUsername }),
    ...(args.mqttPasswordFile === undefined ? {} : { password: readTrimmed(args.mqttPasswordFile) }),
    ...(args.mqttTls === undefined ? {} : { tls: args.mqttTls }),
    backoffMsInitial: args.backoffMsInitial,
    backoffMsMax: args.backoffMsMax,
    ...(args.heartbeatMs === undefined ? {} : { heartbeatMs: args.heartbeatMs }),
  },
});
const api = new OperatorApi({
  listen: { kind: 'unix', socketPath: args.socketPath },
  token: readTrimmed(args.operatorTokenFile),
  operator: agent,
  logger,
});
await api.listen();
agent.start();

process.on('message', (message: ParentMessage) => {
  if (message.op === 'clock') {
    offsetMs = message.offsetMs;
    process.send?.({ op: 'reply', id: message.id, value: null });
  }
  if (message.op === 'dayTotals') {
    process.send?.({ op: 'reply', id: message.id, value: agent.dayTotals(message.businessDate) });
  }
});
// The parent went away (crashed or killed): do not linger.
process.on('disconnect', () => void shutdown(0));

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await api.close().catch(() => undefined);
  await agent.stop().catch(() => undefined);
  await cardReader.stop().catch(() => undefined);
  await pinPad.stop().catch(() => undefined);
  await signer.close().catch(() => undefined);
  db.close();
  process.exit(code);
}
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
logger.info({ stationId: args.stationId }, 'demo kiosk agent running');
process.send?.({ op: 'ready' });
