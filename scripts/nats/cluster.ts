// A 3-node nats-server cluster on loopback for tests, the fleet simulator and the demo (issue 14):
// JetStream with the kiosks' up traffic in one R3 stream, partitioned by station through a
// deterministic subject mapping, an MQTT 3.1.1 listener on every node for the kiosks, one user per
// station whose permissions are its own subtree, and an HQ user. Readiness is awaited by polling
// each node's /healthz and by retrying the stream creation, never by a fixed sleep.
//
// API (import from scripts/nats/cluster.ts):
//
//   const cluster = await startNatsCluster({
//     nodes: 3,                         // default 3
//     partitions: 4,                    // default 4; stream subjects bianmin.up.<p>.<station>.<channel>
//     stations: [{ id: 'S1', password: 'pw' }],
//     hq: { user: 'hq', password: '...' },   // optional; a random password by default
//     dir: '/tmp/x',                    // optional; a fresh temp dir by default (removed by stop())
//   });
//   cluster.mqttUrls     // ['mqtt://127.0.0.1:P1', ...]  one per node: kiosks connect here
//   cluster.natsUrls     // ['nats://127.0.0.1:Q1', ...]  one per node: gateways connect here
//   cluster.hq           // { user, password } of the HQ user (all subjects)
//   cluster.streamName   // 'BIANMIN_UP'
//   cluster.partitionOf('S1')          // the partition nats-server maps S1 to (FNV-1a, as the server)
//   cluster.partitionSubject(p)        // 'bianmin.up.<p>.>' (a durable consumer's filter)
//   await cluster.kill(i)     // SIGKILL node i (0-based), wait for its exit
//   await cluster.restart(i)  // start node i again on the same ports and store; waits for /healthz
//   await cluster.stop()      // SIGKILL every node, remove the dir (when it made it)
//   cluster.pid(i)            // node i's process id, undefined while down
//
// MQTT topic bianmin/v1/st/S1/up/event is NATS subject bianmin.v1.st.S1.up.event; the mapping
// turns it into bianmin.up.<partition>.S1.event before JetStream stores it. Down topics are not
// mapped: the gateway publishes bianmin/v1/st/S1/down/ack through MQTT (QoS 1, retain as the
// channel says), which reaches the kiosk's MQTT subscription on whichever node it is connected to.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, RetentionPolicy, StorageType } from 'nats';
import {
  partitionFilter,
  partitionOfStation,
  upStreamName,
  upSubjectRoot,
} from '../../packages/hq-gateway/src/adapters/nats/partition.js';

export { partitionFilter, partitionOfStation, upStreamName, upSubjectRoot };

export interface StationCredential {
  readonly id: string;
  readonly password: string;
}

export interface NatsClusterOptions {
  /** Node count; default 3 (JetStream R3 needs 3). */
  readonly nodes?: number;
  /** Partition count of the up stream's subject mapping; default 4. */
  readonly partitions?: number;
  readonly stations: readonly StationCredential[];
  /** HQ's user (publish and subscribe everywhere in the account); default user `hq`, random password. */
  readonly hq?: { readonly user: string; readonly password: string };
  /** Working dir (configs, stores, logs); default a fresh temp dir removed by stop(). */
  readonly dir?: string;
  /** The nats-server binary; default `nats-server` on PATH. */
  readonly binary?: string;
  /** Replicas of the up stream; default min(3, nodes). */
  readonly replicas?: number;
  /**
   * Replicas of NATS MQTT's own streams (sessions, QoS 1 messages, retained messages: the mqtt
   * block's stream_replicas); default min(3, nodes).
   */
  readonly mqttStreamReplicas?: number;
  /**
   * Replicas of NATS MQTT's consumers, one per QoS 1 subscription (consumer_replicas); default
   * min(3, nodes). The fleet (500+ kiosks) runs 1: as R3 raft groups, 500 kiosks' SUBSCRIBEs were
   * refused (SUBACK 0x80) on 2 cores.
   */
  readonly mqttConsumerReplicas?: number;
}

export interface NatsCluster {
  readonly mqttUrls: readonly string[];
  readonly natsUrls: readonly string[];
  readonly monitorUrls: readonly string[];
  readonly hq: { readonly user: string; readonly password: string };
  readonly partitions: number;
  readonly streamName: string;
  readonly dir: string;
  partitionOf(stationId: string): number;
  partitionSubject(partition: number): string;
  kill(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
  pid(index: number): number | undefined;
  running(index: number): boolean;
}

const clusterName = 'bianmin';
const account = 'BIANMIN';
/** A restarted node reports healthy once its JetStream assets caught up: seconds, more under load. */
const healthWaitMsMax = 90_000;
const readyRetryMs = 25;
const streamAttemptsMax = 200;
const exitWaitMsMax = 10_000;
const partitionsMax = 1024;
/** Up stream limits: a week of traffic at most, 1 GiB per replica on the test machine. */
const streamAgeMs = 7 * 24 * 3600 * 1000;
const streamBytesMax = 1024 * 1024 * 1024;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

interface NodePorts {
  readonly client: number;
  readonly cluster: number;
  readonly mqtt: number;
  readonly monitor: number;
}

/** A quoted string for the nats-server config (JSON string syntax is accepted). */
function q(value: string): string {
  return JSON.stringify(value);
}

const stationIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

function usersBlock(
  stations: readonly StationCredential[],
  hq: { user: string; password: string },
  partitions: number,
): string {
  const lines = [`      { user: ${q(hq.user)}, password: ${q(hq.password)} }`];
  for (const station of stations) {
    if (!stationIdPattern.test(station.id)) throw new Error(`bad station id ${JSON.stringify(station.id)}`);
    // A station publishes only its own up subtree and reads only its own down subtree. nats-server
    // checks publish permissions on the MAPPED subject, so the grant is the station's own partition
    // subject (bianmin.up.<p>.<id>.>), never another partition or station. An MQTT `down/#`
    // subscription is two NATS subscriptions (`down` and `down.>`). NATS MQTT delivers a QoS 1
    // subscription through a JetStream consumer whose deliveries go to $MQTT.sub.<nuid>.
    const own = `${upSubjectRoot}.${partitionOfStation(station.id, partitions)}.${station.id}.>`;
    const down = `bianmin.v1.st.${station.id}.down`;
    lines.push(
      `      { user: ${q(station.id)}, password: ${q(station.password)}, permissions: {` +
        ` publish: { allow: [${q(`bianmin.v1.st.${station.id}.up.>`)}, ${q(own)}] },` +
        ` subscribe: { allow: [${q(down)}, ${q(`${down}.>`)}, "$MQTT.sub.>"] } } }`,
    );
  }
  return lines.join(',\n');
}

function nodeConfig(
  index: number,
  all: readonly NodePorts[],
  dir: string,
  partitions: number,
  users: string,
  mqttReplicas: { readonly streams: number; readonly consumers: number },
): string {
  const me = all[index]!;
  const routes = all
    .filter((_, other) => other !== index)
    .map((ports) => `nats-route://127.0.0.1:${ports.cluster}`);
  return [
    '# rendered by scripts/nats/cluster.ts',
    `server_name: n${index + 1}`,
    `listen: 127.0.0.1:${me.client}`,
    `http: 127.0.0.1:${me.monitor}`,
    `jetstream { store_dir: ${q(join(dir, `n${index + 1}`, 'js'))}, max_memory_store: 64MB, max_file_store: 2GB }`,
    `cluster { name: ${clusterName}, listen: 127.0.0.1:${me.cluster}, routes: [${routes.map(q).join(', ')}] }`,
    // MQTT 3.1.1 for the kiosks; ack_wait is how long a kiosk has to PUBACK a QoS 1 delivery.
    // stream_replicas: NATS MQTT keeps sessions, QoS 1 messages and retained messages in its own
    // streams; with 3 they survive a node like the up stream does. A kiosk's QoS 1 PUBLISH is
    // stored in $MQTT_msgs before its PUBACK: at R1 on a killed node every kiosk's publish timed
    // out until the node came back.
    `mqtt { listen: 127.0.0.1:${me.mqtt}, ack_wait: "30s", max_ack_pending: 1024, stream_replicas: ${mqttReplicas.streams}, consumer_replicas: ${mqttReplicas.consumers} }`,
    'accounts {',
    `  ${account}: {`,
    '    jetstream: enabled',
    // Station S lands on partition fnv1a(S) % P: one partition's events keep their per-station order.
    `    mappings: { "bianmin.v1.st.*.up.*": "${upSubjectRoot}.{{partition(${partitions},1)}}.{{wildcard(1)}}.{{wildcard(2)}}" }`,
    '    users: [',
    users,
    '    ]',
    '  }',
    '}',
    '',
  ].join('\n');
}

async function httpOk(url: string): Promise<boolean> {
  return await new Promise((resolve) => {
    const request = httpGet(url, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.setTimeout(1000, () => {
      request.destroy();
      resolve(false);
    });
  });
}

/** GET a node's monitoring endpoint as JSON; undefined on any failure or after `timeoutMs`. */
export async function httpJson(url: string, timeoutMs = 1000): Promise<Record<string, unknown> | undefined> {
  return await new Promise((resolve) => {
    const request = httpGet(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on('error', () => resolve(undefined));
    request.setTimeout(timeoutMs, () => {
      request.destroy();
      resolve(undefined);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const nodeCount = options.nodes ?? 3;
  const partitions = options.partitions ?? 4;
  const replicas = options.replicas ?? Math.min(3, nodeCount);
  if (!(Number.isSafeInteger(nodeCount) && nodeCount >= 1 && nodeCount <= 9))
    throw new Error('nodes is 1..9');
  if (!(Number.isSafeInteger(partitions) && partitions >= 1 && partitions <= partitionsMax)) {
    throw new Error(`partitions is 1..${partitionsMax}`);
  }
  if (replicas > nodeCount) throw new Error('replicas cannot exceed nodes');
  const mqttReplicas = {
    streams: options.mqttStreamReplicas ?? Math.min(3, nodeCount),
    consumers: options.mqttConsumerReplicas ?? Math.min(3, nodeCount),
  };
  for (const count of [mqttReplicas.streams, mqttReplicas.consumers]) {
    if (!(Number.isSafeInteger(count) && count >= 1 && count <= nodeCount))
      throw new Error('mqttStreamReplicas and mqttConsumerReplicas are 1..nodes');
  }
  const binary = options.binary ?? 'nats-server';
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bianmin-nats-'));
  const hq = options.hq ?? { user: 'hq', password: `hq-${Math.random().toString(36).slice(2)}` };
  const ports: NodePorts[] = [];
  for (let index = 0; index < nodeCount; index += 1) {
    ports.push({
      client: await freePort(),
      cluster: await freePort(),
      mqtt: await freePort(),
      monitor: await freePort(),
    });
  }
  const users = usersBlock(options.stations, hq, partitions);
  const configFiles: string[] = [];
  for (let index = 0; index < nodeCount; index += 1) {
    const nodeDir = join(dir, `n${index + 1}`);
    mkdirSync(nodeDir, { recursive: true });
    const file = join(nodeDir, 'nats.conf');
    // Passwords are in the file: owner-only.
    writeFileSync(file, nodeConfig(index, ports, dir, partitions, users, mqttReplicas), { mode: 0o600 });
    configFiles.push(file);
  }
  const children: (ChildProcess | undefined)[] = new Array(nodeCount).fill(undefined);
  const monitorUrls = ports.map((p) => `http://127.0.0.1:${p.monitor}`);

  function spawnNode(index: number): void {
    const logFile = join(dir, `n${index + 1}`, 'nats.log');
    const child = spawn(binary, ['-c', configFiles[index]!, '-l', logFile], { stdio: 'ignore' });
    child.on('error', () => {
      // A missing binary: readiness fails below with the path in the message.
    });
    children[index] = child;
  }

  async function waitHealthy(index: number): Promise<void> {
    const deadlineMs = Date.now() + healthWaitMsMax;
    while (Date.now() < deadlineMs) {
      const child = children[index];
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`nats-server n${index + 1} exited (see ${join(dir, `n${index + 1}`, 'nats.log')})`);
      }
      if (await httpOk(`${monitorUrls[index]}/healthz`)) return;
      await delay(readyRetryMs);
    }
    throw new Error(`nats-server n${index + 1} not healthy (see ${join(dir, `n${index + 1}`, 'nats.log')})`);
  }

  /**
   * A restarted node is back when it has its routes and is a current replica of the up stream.
   * Not /healthz: on nats-server 2.9.10 it can stay failing for minutes on an MQTT session's
   * consumer that was moved while the node was down ("consumer ... is not current"), although
   * the node serves MQTT and JetStream.
   */
  async function waitRejoined(index: number): Promise<void> {
    const name = `n${index + 1}`;
    const deadlineMs = Date.now() + healthWaitMsMax;
    const nc = await connect({
      servers: ports.map((p) => `nats://127.0.0.1:${p.client}`),
      user: hq.user,
      pass: hq.password,
    });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5000 });
      while (Date.now() < deadlineMs) {
        const child = children[index];
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`nats-server ${name} exited (see ${join(dir, name, 'nats.log')})`);
        }
        const routes = await httpJson(`${monitorUrls[index]}/routez`);
        const routeCount = typeof routes?.num_routes === 'number' ? routes.num_routes : 0;
        if (routeCount >= nodeCount - 1) {
          const info = await jsm.streams.info(upStreamName).catch(() => undefined);
          const cluster = info?.cluster;
          const current =
            cluster?.leader === name || (cluster?.replicas ?? []).some((r) => r.name === name && r.current);
          if (current) return;
        }
        await delay(readyRetryMs * 4);
      }
    } finally {
      await nc.close();
    }
    throw new Error(`nats-server ${name} did not rejoin (see ${join(dir, name, 'nats.log')})`);
  }

  async function waitExit(index: number, signal: NodeJS.Signals): Promise<void> {
    const child = children[index];
    if (child === undefined) return;
    children[index] = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, exitWaitMsMax);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  async function stopAll(): Promise<void> {
    for (let index = 0; index < nodeCount; index += 1) await waitExit(index, 'SIGKILL');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }

  try {
    for (let index = 0; index < nodeCount; index += 1) spawnNode(index);
    for (let index = 0; index < nodeCount; index += 1) await waitHealthy(index);
    const nc = await connect({
      servers: ports.map((p) => `nats://127.0.0.1:${p.client}`),
      user: hq.user,
      pass: hq.password,
    });
    try {
      await ensureUpStream(nc, replicas);
    } finally {
      await nc.close();
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    mqttUrls: ports.map((p) => `mqtt://127.0.0.1:${p.mqtt}`),
    natsUrls: ports.map((p) => `nats://127.0.0.1:${p.client}`),
    monitorUrls,
    hq,
    partitions,
    streamName: upStreamName,
    dir,
    partitionOf: (stationId) => partitionOfStation(stationId, partitions),
    partitionSubject: partitionFilter,
    async kill(index) {
      assertIndex(index, nodeCount);
      await waitExit(index, 'SIGKILL');
    },
    async restart(index) {
      assertIndex(index, nodeCount);
      await waitExit(index, 'SIGKILL');
      spawnNode(index);
      await waitRejoined(index);
    },
    stop: stopAll,
    pid: (index) => children[index]?.pid,
    running: (index) => {
      const child = children[index];
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
  };
}

function assertIndex(index: number, nodeCount: number): void {
  if (!(Number.isSafeInteger(index) && index >= 0 && index < nodeCount)) {
    throw new Error(`node index is 0..${nodeCount - 1}`);
  }
}

/**
 * Creates the up stream (R3, file storage, a week's retention) once the JetStream meta group has
 * a leader: the first attempts fail with "JetStream system temporarily unavailable", so retry.
 */
async function ensureUpStream(nc: NatsConnection, replicas: number): Promise<void> {
  const jsm = await nc.jetstreamManager({ timeout: 5000 });
  let lastError: unknown;
  for (let attempt = 0; attempt < streamAttemptsMax; attempt += 1) {
    try {
      await jsm.streams.add({
        name: upStreamName,
        subjects: [`${upSubjectRoot}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        num_replicas: replicas,
        max_age: streamAgeMs * 1_000_000,
        max_bytes: streamBytesMax,
      });
      return;
    } catch (error) {
      lastError = error;
      if (String(error).includes('already in use')) return;
      await delay(readyRetryMs * 4);
    }
  }
  throw new Error(`cannot create stream ${upStreamName}`, { cause: lastError });
}
