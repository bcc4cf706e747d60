// The MQTT topic tree (docs/protocol.md "Topics"): build and parse topic strings, with the QoS
// and retain flag of each channel. Works on MQTT 3.1.1: nothing here needs MQTT 5 properties.
//
//   bianmin/v1/st/{stationId}/up/{event|auth-req|birth|death|telemetry}   kiosk -> HQ
//   bianmin/v1/st/{stationId}/down/{ack|auth-resp|config|cmd}             HQ -> kiosk
//
// Mosquitto ACL per station user (username = station id):
//   pattern write bianmin/v1/st/%u/up/#
//   pattern read  bianmin/v1/st/%u/down/#

import { WireError } from './errors.js';
import { stationIdCharsMax, topicCharsMax } from './limits.js';

export const topicRoot = 'bianmin/v1/st';

export const upChannels = ['event', 'auth-req', 'birth', 'death', 'telemetry'] as const;
export const downChannels = ['ack', 'auth-resp', 'config', 'cmd'] as const;
export type UpChannel = (typeof upChannels)[number];
export type DownChannel = (typeof downChannels)[number];
export type Channel = UpChannel | DownChannel;
export type Direction = 'up' | 'down';

export type ParsedTopic =
  | { direction: 'up'; stationId: string; channel: UpChannel }
  | { direction: 'down'; stationId: string; channel: DownChannel };

export type QoS = 0 | 1;

/** Publish options per channel. QoS 1 everywhere except telemetry; only config is retained. */
export const channelPublishOptions: Readonly<Record<Channel, { qos: QoS; retain: boolean }>> = {
  event: { qos: 1, retain: false },
  'auth-req': { qos: 1, retain: false },
  birth: { qos: 1, retain: false },
  death: { qos: 1, retain: false },
  telemetry: { qos: 0, retain: false },
  ack: { qos: 1, retain: false },
  'auth-resp': { qos: 1, retain: false },
  config: { qos: 1, retain: true },
  cmd: { qos: 1, retain: false },
};

const stationIdPattern = /^[A-Za-z0-9_-]+$/;

/** True when `stationId` is 1..32 characters of [A-Za-z0-9_-] (no MQTT wildcard or separator). */
export function isValidStationId(stationId: string): boolean {
  return (
    typeof stationId === 'string' &&
    stationId.length >= 1 &&
    stationId.length <= stationIdCharsMax &&
    stationIdPattern.test(stationId)
  );
}

/** Throws WIRE_BAD_STATION_ID unless `stationId` is valid. */
export function assertStationId(stationId: string): void {
  if (!isValidStationId(stationId)) {
    const length = typeof stationId === 'string' ? stationId.length : -1;
    throw new WireError('WIRE_BAD_STATION_ID', 'station id must be 1..32 characters of [A-Za-z0-9_-]', {
      length,
      lengthMax: stationIdCharsMax,
    });
  }
}

/** `bianmin/v1/st/{stationId}/up/{channel}`: a topic the kiosk publishes to. */
export function upTopic(stationId: string, channel: UpChannel): string {
  assertStationId(stationId);
  if (!(upChannels as readonly string[]).includes(channel)) {
    throw new WireError('WIRE_BAD_TOPIC', 'unknown up channel', { channel: String(channel) });
  }
  return `${topicRoot}/${stationId}/up/${channel}`;
}

/** `bianmin/v1/st/{stationId}/down/{channel}`: a topic HQ publishes to. */
export function downTopic(stationId: string, channel: DownChannel): string {
  assertStationId(stationId);
  if (!(downChannels as readonly string[]).includes(channel)) {
    throw new WireError('WIRE_BAD_TOPIC', 'unknown down channel', { channel: String(channel) });
  }
  return `${topicRoot}/${stationId}/down/${channel}`;
}

/** What HQ subscribes to: every station's up channels (`bianmin/v1/st/+/up/#`). */
export const hqSubscription = `${topicRoot}/+/up/#`;

/** What HQ subscribes to with a shared subscription, spreading stations over gateway workers. */
export function hqSharedSubscription(group: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(group)) {
    throw new WireError('WIRE_BAD_TOPIC', 'shared subscription group must be 1..32 of [A-Za-z0-9_-]', {
      length: group.length,
    });
  }
  return `$share/${group}/${hqSubscription}`;
}

/** What a kiosk subscribes to: its own down channels (`bianmin/v1/st/{stationId}/down/#`). */
export function kioskSubscription(stationId: string): string {
  assertStationId(stationId);
  return `${topicRoot}/${stationId}/down/#`;
}

/** Parses a topic of the tree; throws WIRE_BAD_TOPIC (or WIRE_BAD_STATION_ID) otherwise. */
export function parseTopic(topic: string): ParsedTopic {
  if (typeof topic !== 'string' || topic.length > topicCharsMax) {
    throw new WireError('WIRE_BAD_TOPIC', 'topic missing or too long', { lengthMax: topicCharsMax });
  }
  const parts = topic.split('/');
  if (parts.length !== 6 || `${parts[0]}/${parts[1]}/${parts[2]}` !== topicRoot) {
    throw new WireError('WIRE_BAD_TOPIC', 'topic is not bianmin/v1/st/{stationId}/{up|down}/{channel}', {
      levels: parts.length,
    });
  }
  const stationId = parts[3] ?? '';
  const direction = parts[4];
  const channel = parts[5] ?? '';
  assertStationId(stationId);
  if (direction === 'up' && (upChannels as readonly string[]).includes(channel)) {
    return { direction, stationId, channel: channel as UpChannel };
  }
  if (direction === 'down' && (downChannels as readonly string[]).includes(channel)) {
    return { direction, stationId, channel: channel as DownChannel };
  }
  throw new WireError('WIRE_BAD_TOPIC', 'unknown direction or channel', {
    direction: String(direction),
    channel,
  });
}
