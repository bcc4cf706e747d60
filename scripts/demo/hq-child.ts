// HQ as its own process, for the end-to-end test that kills HQ with SIGKILL mid-ingest: the same
// startGateway the demo runs in-process, on an existing SQLite store (stations enrolled and the
// bank simulator seeded beforehand). Argument: one JSON object (HqChildArgs). Sends {op:'ready'}
// over IPC once subscribed; SIGTERM stops cleanly, SIGKILL is the point of the test.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { type HqSpec, startHq } from './lib/hq.js';

export interface HqChildArgs {
  readonly dbPath: string;
  readonly store?: HqSpec['store'];
  readonly bankDbPath?: string;
  readonly brokerUrl: string;
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
  /** TLS files of HQ's broker link (the production broker's TLS listener), as HqSpec has them. */
  readonly mqttTls?: HqSpec['mqttTls'];
  readonly clientId: string;
  readonly hqKeyPemFile: string;
  readonly tpkHex: string;
  readonly authorisationTimeoutMs: number;
  /** The simulated clock's offset from wall time (the same the kiosks run on). */
  readonly clockOffsetMs: number;
  /** Broker kind nats (issue 14), as `hq serve` takes it from the config's broker block. */
  readonly nats?: HqSpec['nats'];
  /** HQ's pino JSON lines go to this file (appended); default none. */
  readonly logFile?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as HqChildArgs;
const gateway = await startHq({
  dbPath: args.dbPath,
  ...(args.store === undefined ? {} : { store: args.store }),
  ...(args.bankDbPath === undefined ? {} : { bankDbPath: args.bankDbPath }),
  brokerUrl: args.brokerUrl,
  ...(args.mqttUsername === undefined ? {} : { mqttUsername: args.mqttUsername }),
  ...(args.mqttPassword === undefined ? {} : { mqttPassword: args.mqttPassword }),
  ...(args.mqttTls === undefined ? {} : { mqttTls: args.mqttTls }),
  clientId: args.clientId,
  hqKeyPem: readFileSync(args.hqKeyPemFile, 'utf8'),
  tpk: new Uint8Array(Buffer.from(args.tpkHex, 'hex')),
  clock: { nowMs: () => Date.now() + args.clockOffsetMs },
  bankAccounts: [],
  authorisationTimeoutMs: args.authorisationTimeoutMs,
  ...(args.nats === undefined ? {} : { nats: args.nats }),
  ...(args.logFile === undefined
    ? {}
    : { log: pino({ level: 'info' }, pino.destination({ dest: args.logFile, sync: true })) }),
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await gateway.stop().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.send?.({ op: 'ready' });
