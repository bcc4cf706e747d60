// The fleet's `cluster` topology (issue 14): a 3-node nats-server cluster (scripts/nats/cluster.ts)
// with an MQTT listener per node for the kiosks (each starts on its own node and rotates on a
// lost connection or a failed connect, as the agent's mqtt.urls do), the kiosks' up traffic in the
// R3 stream BIANMIN_UP partitioned by station, and HQ's gateways on broker kind nats: partitions
// owned through PostgreSQL advisory locks, a JetStream durable consumer per partition, the
// downlink through the MQTT listeners. kill -9 / restart of a node go through the harness.
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { startNatsCluster, upSubjectRoot } from '../nats/cluster.js';
import { processCpuMs } from './gateways.js';
import type { Topology } from './topology.js';

/** Partitions of the up stream's subject mapping: more than gateways, so a takeover splits work. */
export const clusterPartitions = 4;
const clusterNodes = 3;

export async function startClusterTopology(stationIds: readonly string[]): Promise<Topology> {
  if (!(stationIds.length >= 1)) throw new Error('assert: at least one station');
  const passwords = new Map(stationIds.map((id) => [id, randomBytes(12).toString('hex')]));
  const cluster = await startNatsCluster({
    nodes: clusterNodes,
    partitions: clusterPartitions,
    stations: stationIds.map((id) => ({ id, password: passwords.get(id)! })),
    // NATS MQTT's per-subscription consumers R1: at R3 every kiosk's QoS 1 subscription is a raft
    // group, and 500 kiosks' SUBSCRIBEs were refused (SUBACK 0x80) on 2 cores. Its own streams stay
    // R3: a kiosk's QoS 1 PUBLISH is stored in $MQTT_msgs before the PUBACK, and at R1 on the
    // killed node every kiosk's publish timed out until the node came back. A consumer lost with
    // its node is re-made by the kiosk (kiosk.ts: unsubscribe + subscribe when acks stall). The
    // up stream, where the money events live until HQ committed them, is R3.
    mqttStreamReplicas: 3,
    mqttConsumerReplicas: 1,
  });
  // CPU of killed incarnations, read just before each kill (a dead process's /proc entry is gone).
  let deadCpuMs = 0;
  const pids = (): number[] => Array.from({ length: clusterNodes }, (_, index) => cluster.pid(index) ?? 0);
  return {
    kind: 'cluster',
    brokerUrls: cluster.mqttUrls,
    brokerPids: pids,
    brokerCpuMs: () => deadCpuMs + pids().reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0),
    stationPassword: (stationId) => {
      const password = passwords.get(stationId);
      if (password === undefined) throw new Error(`assert: ${stationId} is a station of the run`);
      return password;
    },
    gatewayLink: (index) => ({
      brokerUrl: cluster.mqttUrls[index % cluster.mqttUrls.length]!,
      mqttUsername: cluster.hq.user,
      mqttPassword: cluster.hq.password,
      clientId: `hq-gateway-${index + 1}`,
      nats: { natsUrls: cluster.natsUrls, mqttUrls: cluster.mqttUrls, partitions: clusterPartitions },
    }),
    // A plain NATS subscriber (HQ's user) on the mapped event subjects: what the kiosks publish
    // reaches it through the same mapping the stream captures (bianmin.up.<p>.<station>.event).
    rawSubscriber: async (onEvent) => {
      const nc = await connect({
        servers: [...cluster.natsUrls],
        user: cluster.hq.user,
        pass: cluster.hq.password,
        name: 'fleet-raw-subscriber',
      });
      const subscription = nc.subscribe(`${upSubjectRoot}.*.*.event`, {
        callback: () => onEvent(),
      });
      await nc.flush();
      return {
        close: async () => {
          subscription.unsubscribe();
          await nc.close();
        },
      };
    },
    killBroker: async (index) => {
      deadCpuMs += processCpuMs(cluster.pid(index)) ?? 0;
      await cluster.kill(index);
      return true;
    },
    restartBroker: (index) => cluster.restart(index),
    stop: () => cluster.stop(),
  };
}
