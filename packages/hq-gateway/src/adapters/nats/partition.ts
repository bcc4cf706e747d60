// The station → partition function of the NATS cluster's subject mapping (issue 14):
// `partition(P, station)` in nats-server is FNV-1a 32-bit over the token, modulo P
// (server/subject_transform.go). One home: the cluster harness renders the same partition into
// each station's publish permission, and the gateway checks every message's partition with it.
// test/nats/cluster.test.ts keeps it equal to the server's by reading mapped subjects back.
import { natsPartitionsMax } from '../../limits.js';

/** Subject root of the mapped up traffic: bianmin.up.<partition>.<station>.<channel>. */
export const upSubjectRoot = 'bianmin.up';
/** The JetStream stream holding the up traffic (R3). */
export const upStreamName = 'BIANMIN_UP';

export function partitionOfStation(stationId: string, partitions: number): number {
  if (!(Number.isSafeInteger(partitions) && partitions >= 1 && partitions <= natsPartitionsMax)) {
    throw new Error(`assert: partitions is 1..${natsPartitionsMax}`);
  }
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(stationId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** A partition's durable consumer filter: bianmin.up.<p>.> */
export function partitionFilter(partition: number): string {
  if (!(Number.isSafeInteger(partition) && partition >= 0 && partition < natsPartitionsMax)) {
    throw new Error('assert: partition is 0..natsPartitionsMax-1');
  }
  return `${upSubjectRoot}.${partition}.>`;
}

export type UpSubject =
  | { readonly ok: true; readonly partition: number; readonly stationId: string; readonly topic: string }
  | { readonly ok: false; readonly reason: 'shape' };

/** bianmin.up.<p>.<station>.<channel> → the MQTT topic the kiosk published (bianmin/v1/st/<station>/up/<channel>). */
export function parseUpSubject(subject: string): UpSubject {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'bianmin' || parts[1] !== 'up')
    return { ok: false, reason: 'shape' };
  const partition = Number(parts[2]);
  const stationId = parts[3] ?? '';
  if (!Number.isSafeInteger(partition) || partition < 0 || stationId === '')
    return { ok: false, reason: 'shape' };
  return { ok: true, partition, stationId, topic: `bianmin/v1/st/${stationId}/up/${parts[4]}` };
}
