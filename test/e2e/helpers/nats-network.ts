// A demo network of real kiosk agents on the 3-node NATS cluster (issue 14's e2e tests): the cluster
// with each station's broker password, a PostgreSQL database of the test's own, the kiosks started
// and enrolled with their opening quotas by a set-up HQ over MQTT, which is then stopped: the test
// starts its own gateway(s) on broker kind nats. Every part is torn down with the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createTestDatabase } from '../../../packages/hq-gateway/test/store-contract/factories.js';
import { Cleanup } from '../../../scripts/demo/lib/cleanup.js';
import { DemoClock, shanghaiTime } from '../../../scripts/demo/lib/demo-clock.js';
import { startNetwork } from '../../../scripts/demo/lib/network.js';
import { type NatsCluster, startNatsCluster } from '../../../scripts/nats/cluster.js';
import { businessDate } from './e2e.js';

export interface NatsNetworkOptions {
  readonly stationIds: readonly string[];
  readonly partitions: number;
  /** The seeded source of the passwords and of the network's own randomness. */
  readonly random: () => number;
  /** Folder name prefix under the OS temp dir. */
  readonly dirPrefix: string;
  /** NATS MQTT's per-subscription consumer replicas (the harness's default when absent). */
  readonly mqttConsumerReplicas?: number;
}

export async function startNatsNetwork(t: Test, options: NatsNetworkOptions) {
  const { stationIds, partitions, random } = options;
  const passwords = new Map(stationIds.map((id) => [id, `pw-${id}-${Math.floor(random() * 1e9)}`]));
  const cluster: NatsCluster = await startNatsCluster({
    partitions,
    stations: stationIds.map((id) => ({ id, password: passwords.get(id)! })),
    ...(options.mqttConsumerReplicas === undefined
      ? {}
      : { mqttConsumerReplicas: options.mqttConsumerReplicas }),
  });
  t.teardown(() => cluster.stop());
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const cleanup = new Cleanup();
  const dataDir = mkdtempSync(join(tmpdir(), options.dirPrefix));
  t.teardown(async () => {
    await cleanup.cleanup();
    if (process.env.E2E_KEEP === undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  const logDir = process.env.BIANMIN_LOG_DIR ?? join(dataDir, 'logs');
  const clock = new DemoClock();
  await clock.set(shanghaiTime(businessDate, 9, 0));
  const network = await startNetwork({
    stationIds: [...stationIds],
    dataDir,
    logDir,
    random,
    broker: {
      url: cluster.mqttUrls[0]!,
      urls: cluster.mqttUrls,
      password: (user) => (user === cluster.hq.user ? cluster.hq.password : passwords.get(user)!),
      hqUser: cluster.hq.user,
    },
    clock,
    cleanup,
    hqClientId: 'hq-setup',
    authorisationTimeoutMs: 3_000,
    openingQuotaFen: 100_000_000,
    hqStore: { kind: 'postgres', url: database.url },
  });
  // Enrolment and opening quotas done over MQTT; from here HQ is the test's NATS gateway(s).
  await network.stopHq();
  const nats = { natsUrls: cluster.natsUrls, mqttUrls: cluster.mqttUrls, partitions };
  return { cluster, database, network, cleanup, dataDir, logDir, nats };
}
