// One HQ gateway as its own process, so the fleet run can kill it with SIGKILL: the real gateway
// (startGateway through the demo's startHq) on the fleet's PostgreSQL database, the bank
// simulator's file seeded beforehand, and its broker link from the topology (MQTT, or broker kind
// nats: the cluster's partitions through JetStream, owned by PostgreSQL advisory locks). Argument: one JSON
// object (GatewayChildArgs). Sends {op:'ready'} over IPC once subscribed (after which it has asked
// every station to resend what it had not acknowledged); SIGTERM stops it cleanly.
import { readFileSync } from 'node:fs';
import { startHq } from '../demo/lib/hq.js';
import type { GatewayLink } from './topology.js';

export interface GatewayChildArgs {
  readonly databaseUrl: string;
  readonly bankDbPath: string;
  readonly link: GatewayLink;
  readonly hqKeyPemFile: string;
  readonly tpkHex: string;
  readonly authorisationTimeoutMs: number;
  /** Counters (events stored, batches) are printed as JSON on stdout every this many ms. */
  readonly countersEveryMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as GatewayChildArgs;
const gateway = await startHq({
  dbPath: '',
  store: { kind: 'postgres', url: args.databaseUrl },
  bankDbPath: args.bankDbPath,
  brokerUrl: args.link.brokerUrl,
  mqttUsername: args.link.mqttUsername,
  mqttPassword: args.link.mqttPassword,
  clientId: args.link.clientId,
  ...(args.link.nats === undefined ? {} : { nats: args.link.nats }),
  hqKeyPem: readFileSync(args.hqKeyPemFile, 'utf8'),
  tpk: new Uint8Array(Buffer.from(args.tpkHex, 'hex')),
  clock: { nowMs: () => Date.now() },
  bankAccounts: [],
  authorisationTimeoutMs: args.authorisationTimeoutMs,
});
const timer = setInterval(() => {
  const c = gateway.pipeline.counters;
  process.send?.({
    op: 'counters',
    stored: c.stored,
    batches: c.batches,
    quarantined: c.quarantined,
    duplicates: c.duplicates,
  });
}, args.countersEveryMs);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await gateway.stop().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.send?.({ op: 'ready' });
