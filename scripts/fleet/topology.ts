// Where the fleet runs: the broker nodes the kiosks connect to and how HQ's gateways reach them.
// `single` is the embedded default (one Mosquitto, one gateway); `cluster` is issue 14's HA set-up
// (a 3-node NATS cluster with MQTT for the kiosks and JetStream for the gateways,
// topology-cluster.ts). The rest of the simulation (swarms, kills, the exactly-once check) sees
// only this interface, so switching is the topology files and gateway-child.ts.
import mqtt from 'mqtt';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import { processCpuMs } from './gateways.js';
import { startClusterTopology } from './topology-cluster.js';

export type TopologyKind = 'single' | 'cluster';

/** How one gateway process reaches the broker (passed to gateway-child.ts). */
export interface GatewayLink {
  /** One MQTT URL (the gateway's MQTT link; with `nats`, the `hq` command line's node). */
  readonly brokerUrl: string;
  /** The broker user (MQTT and, with `nats`, NATS) and its password. */
  readonly mqttUsername: string;
  readonly mqttPassword: string;
  readonly clientId: string;
  /** Broker kind nats (issue 14): JetStream up traffic by owned partition, downlink via MQTT. */
  readonly nats?: {
    readonly natsUrls: readonly string[];
    readonly mqttUrls: readonly string[];
    readonly partitions: number;
  };
}

/** A plain subscriber to every station's up events (the raw-pipe baseline); close() ends it. */
export interface RawSubscription {
  close(): Promise<void>;
}

export interface Topology {
  readonly kind: TopologyKind;
  /** mqtt:// URL of every broker node (kiosks spread across them). */
  readonly brokerUrls: readonly string[];
  /** PIDs of the broker processes (CPU accounting); 0 for a node that is down. */
  brokerPids(): readonly number[];
  /** CPU ms of every broker process so far, killed incarnations included (read before the kill). */
  brokerCpuMs(): number;
  stationPassword(stationId: string): string;
  /** The link of gateway number `index` (0-based). */
  gatewayLink(index: number): GatewayLink;
  /**
   * The raw-pipe baseline's plain subscriber: resolves once subscribed; `onEvent` is called for
   * every station up event (bianmin/v1/st/<id>/up/event) the broker delivers.
   */
  rawSubscriber(onEvent: () => void): Promise<RawSubscription>;
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
    brokerCpuMs: () => processCpuMs(broker.pid) ?? 0,
    stationPassword: (stationId) => broker.password(stationId),
    gatewayLink: (index) => ({
      brokerUrl: broker.url,
      mqttUsername: broker.hqUser,
      mqttPassword: broker.password(broker.hqUser),
      clientId: `hq-gateway-${index + 1}`,
    }),
    rawSubscriber: async (onEvent) => {
      const subscriber = await mqtt.connectAsync(broker.url, {
        protocolVersion: 4,
        clientId: 'fleet-raw-subscriber',
        username: broker.testUser,
        password: broker.password(broker.testUser),
        clean: true,
      });
      subscriber.on('message', () => onEvent());
      await subscriber.subscribeAsync('bianmin/v1/st/+/up/event', { qos: 1 });
      return { close: () => subscriber.endAsync(true) };
    },
    // One broker: losing it stops everything; the single topology's kill is the gateway's only.
    killBroker: async () => false,
    restartBroker: async () => undefined,
    stop: () => broker.close(),
  };
}

export async function startTopology(kind: TopologyKind, stationIds: readonly string[]): Promise<Topology> {
  return kind === 'single' ? startSingleTopology(stationIds) : startClusterTopology(stationIds);
}
