// Bench helper process: publishes pre-signed events (a file written by ingest.bench.ts) from many
// stations, each over its own MQTT 3.1.1 connection as its own broker user, QoS 1. Protocol on
// stdio: prints "ready" once connected, publishes on "go" (stdin), prints "published" when every
// PUBACK arrived and, with --wait-acks, "acked" once HQ's cumulative acks cover every station.
import { readFileSync } from 'node:fs';
import { openEnvelope, PayloadType } from '@bianmin/wire';
import mqtt, { type MqttClient } from 'mqtt';

const [url, eventsFile, passwordsFile, waitAcks] = process.argv.slice(2);
if (url === undefined || eventsFile === undefined || passwordsFile === undefined) throw new Error('usage');
const passwords = JSON.parse(readFileSync(passwordsFile, 'utf8')) as Record<string, string>;
const data = readFileSync(eventsFile);
const byStation = new Map<string, Buffer[]>();
for (let offset = 0; offset < data.length; ) {
  const idLength = data.readUInt8(offset);
  const stationId = data.toString('latin1', offset + 1, offset + 1 + idLength);
  const size = data.readUInt32BE(offset + 1 + idLength);
  const start = offset + 5 + idLength;
  const list = byStation.get(stationId) ?? [];
  list.push(data.subarray(start, start + size));
  byStation.set(stationId, list);
  offset = start + size;
}
const clients = new Map<string, MqttClient>();
const acked = new Map<string, number>();
let remaining = byStation.size;
for (const stationId of byStation.keys()) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: stationId,
    username: stationId,
    password: passwords[stationId] ?? '',
    clean: true,
    reconnectPeriod: 0,
  });
  clients.set(stationId, client);
  if (waitAcks === '--wait-acks') {
    client.on('message', (_topic, payload) => {
      const opened = openEnvelope(new Uint8Array(payload));
      if (opened.type !== PayloadType.PAYLOAD_TYPE_ACK) return;
      const before = acked.get(stationId) ?? 0;
      const now = Math.max(before, opened.body.handledThroughSeq);
      acked.set(stationId, now);
      const total = byStation.get(stationId)?.length ?? 0;
      if (before < total && now >= total) {
        remaining -= 1;
        if (remaining === 0) process.stdout.write('acked\n');
      }
    });
    await client.subscribeAsync(`bianmin/v1/st/${stationId}/down/ack`, { qos: 1 });
  }
}
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  await Promise.all(
    [...byStation].map(([stationId, events]) => {
      const client = clients.get(stationId)!;
      const topic = `bianmin/v1/st/${stationId}/up/event`;
      return Promise.all(events.map((bytes) => client.publishAsync(topic, bytes, { qos: 1 })));
    }),
  );
  process.stdout.write('published\n');
  if (waitAcks !== '--wait-acks') process.exit(0);
});
process.stdin.on('end', () => process.exit(0));
