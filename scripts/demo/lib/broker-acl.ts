// The access rules of the production broker (deploy/mosquitto/acl, make-acl.sh) as a pure function,
// for the demo's embedded aedes broker: a station (user name = station id = client id) publishes
// only on its own five up-topics and subscribes only within its own down-topics; HQ's gateway user
// reads every station's up-topics (plain or shared subscription) and writes every down-topic; the
// HQ command-line user writes down-topics only. Nobody else does anything. Where aedes can do
// better than Mosquitto 2.0.11 it does: a retained message on an up-topic is refused outright.
import { isValidStationId, topicRoot, upChannels, upTopic } from '@bianmin/wire';

export type Role =
  | { readonly kind: 'station'; readonly stationId: string }
  | { readonly kind: 'hq' }
  | { readonly kind: 'hq-cli' };

const root = topicRoot;
/** The largest payload the broker takes: the wire Envelope maximum (Mosquitto's message_size_limit). */
export const payloadBytesMax = 65_536;

/** May `role` publish this topic (with this retain flag and payload size)? */
export function mayPublish(role: Role, topic: string, retain: boolean, sizeBytes: number): boolean {
  if (sizeBytes > payloadBytesMax) return false;
  const levels = topic.split('/');
  const [b, v, st, stationId, direction, channel, ...rest] = levels;
  if (`${b}/${v}/${st}` !== root || stationId === undefined || rest.length > 0 || channel === undefined)
    return false;
  if (!isValidStationId(stationId)) return false;
  switch (role.kind) {
    case 'station':
      return (
        !retain &&
        direction === 'up' &&
        stationId === role.stationId &&
        (upChannels as readonly string[]).includes(channel) &&
        topic === upTopic(stationId, channel as (typeof upChannels)[number])
      );
    case 'hq':
    case 'hq-cli':
      return direction === 'down';
  }
}

/** Does the allowed filter cover every topic `filter` can match? (`+`/`#` aware, MQTT 3.1.1.) */
export function filterCovered(filter: string, allowed: string): boolean {
  const f = filter.split('/');
  const a = allowed.split('/');
  for (let index = 0; index < f.length; index += 1) {
    const allowedLevel = a[index];
    const level = f[index]!;
    if (allowedLevel === undefined) return false;
    if (allowedLevel === '#') return true;
    if (level === '#') return false;
    if (allowedLevel === '+') continue;
    if (level === '+' || level !== allowedLevel) return false;
  }
  return f.length === a.length;
}

/** The filters a role may subscribe within. */
function readable(role: Role): string[] {
  switch (role.kind) {
    case 'station':
      return [`${root}/${role.stationId}/down/#`];
    case 'hq':
      return [`${root}/+/up/#`];
    case 'hq-cli':
      return [];
  }
}

/** May `role` subscribe to `filter` (a `$share/GROUP/` prefix is judged by the filter behind it)? */
export function maySubscribe(role: Role, filter: string): boolean {
  const shared = /^\$share\/[^/#+]+\/(.+)$/.exec(filter);
  const plain = shared === null ? filter : shared[1]!;
  if (plain.startsWith('$')) return false;
  return readable(role).some((allowed) => filterCovered(plain, allowed));
}

/** May a message on `topic` be delivered to `role` (the last check before a byte leaves)? */
export function mayReceive(role: Role, topic: string): boolean {
  return readable(role).some((allowed) => filterCovered(topic, allowed));
}
