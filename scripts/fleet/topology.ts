// Where the fleet runs: the broker nodes the kiosks connect to and how HQ's gateways reach them.
// `single` is the embedded default (one Mosquitto, one gateway); `cluster` is issue 14's HA set-up
// (a 3-node NATS cluster with MQTT for the kiosks and JetStream for the gateways). The rest of the
// simulation (swarms, kills, the exactly-once check) sees only this interface, so switching is
// this file and gateway-child.ts.
import { startMosquitto } from '../../test/helpers/mosquitto.js';

export type TopologyKind = 'single' | 'cluster';

/** How one gateway process reaches the broker (passed to gateway-child.ts). */
export interface GatewayLink {
  readonly brokerUrl: string;
  readonly mqttUsername: string;
  readonly mqttPassword: string;
  readonly clientId: string;
}

export interface Topology {
  readonly kind: TopologyKind;
  /** mqtt:// URL of every broker node (kiosks spread across them). */
  readonly brokerUrls: readonly string[];
  /** PIDs of the broker processes (CPU accounting); 0 for a node that is down. */
  brokerPids(): readonly number[];
  stationPassword(stationId: string): string;
  /** The link of gateway number `index` (0-based). */
  gatewayLink(index: number): GatewayLink;
  /** A plain subscriber's credentials for the raw-pipe baseline. */
  readonly rawSubscriber: { readonly url: string; readonly username: string; readonly password: string };
  /** kill -9 broker node `index`; false when the topology has no node it can lose. */
  killBroker(index: number): Promise<boolean>;
  restartBroker(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** One Mosquitto (production config, persistent sessions, large queues), started here. */
export async function startSingleTopology(stationIds: readonly string[]): Promise<Topology> {
  const broker = await startMosquitto({ stationIds, queuedMessagesMax: 1_000_000 });
  return {
    kind: 'single',
    brokerUrls: [broker.url],
    brokerPids: () => [broker.pid ?? 0],
    stationPassword: (stationId) => broker.password(stationId),
    gatewayLink: (index) => ({
      brokerUrl: broker.url,
      mqttUsername: broker.hqUser,
      mqttPassword: broker.password(broker.hqUser),
      clientId: `hq-gateway-${index + 1}`,
    }),
    rawSubscriber: { url: broker.url, username: broker.testUser, password: broker.password(broker.testUser) },
    // One broker: losing it stops everything; the single topology's kill is the gateway's only.
    killBroker: async () => false,
    restartBroker: async () => undefined,
    stop: () => broker.close(),
  };
}

export async function startTopology(kind: TopologyKind, stationIds: readonly string[]): Promise<Topology> {
  if (kind === 'single') return startSingleTopology(stationIds);
  throw new Error(
    '--topology cluster needs the NATS cluster harness (scripts/nats/cluster.ts, issue 14) merged',
  );
}
