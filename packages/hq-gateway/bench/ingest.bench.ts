// HQ ingest throughput (issue 4, bench a): signed events/s from many simulated stations through a
// real Mosquitto, verified (worker pool), stored (SQLite WAL, synchronous=FULL, batched) and
// acknowledged (cumulative acks received back at the stations), as a ratio to the raw broker
// throughput measured in the same run with the same messages (same bytes, same topics, same
// publisher process, a plain QoS 1 subscriber instead of HQ). Floor: 0.5.
// The workload is honest kiosks: each station's first event applies a quota purchase, then bill
// payments consume it with the right quota_fen_after, so the ledger re-check finds nothing (a
// lying-kiosk workload would measure the discrepancy path instead). Each run starts its own
// Mosquitto; BENCH_RUNS runs (default 3) are reported with their median ratio and load averages.
// `--store postgres` (npm run bench ingest -- --store postgres) measures HQ on PostgreSQL too, next
// to SQLite and the raw pipe in the same run (a database of its own per run on BENCH_PG_URL,
// default postgres://postgres@127.0.0.1:5432, dropped after).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startMosquitto } from '../../../test/helpers/mosquitto.js';
import { generateHqKeyPem } from '../src/adapters/crypto/hq-key.js';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import type { StoreConfig } from '../src/config.js';
import { startGateway } from '../src/main.js';
import { SimStation } from '../test/helpers/station-sim.js';
import { createTestDatabase } from '../test/store-contract/factories.js';

type StoreKind = StoreConfig['kind'];
/** The stores HQ is measured on: SQLite always; PostgreSQL too with `--store postgres`. */
const storeKinds: StoreKind[] = (() => {
  const index = process.argv.indexOf('--store');
  const asked = index === -1 ? undefined : process.argv[index + 1];
  if (asked === undefined || asked === 'sqlite') return ['sqlite'];
  if (asked === 'postgres') return ['sqlite', 'postgres'];
  throw new Error(`--store must be sqlite or postgres, not ${asked}`);
})();

const stationCount = Number(process.env.BENCH_STATIONS ?? 50);
const eventsPerStation = Number(process.env.BENCH_EVENTS_PER_STATION ?? 600);
/** Each station's one quota purchase: room for every 1-yuan bill payment, at least the R3 minimum. */
const purchaseFen = Math.max(50_000, 100 * eventsPerStation);
const total = stationCount * eventsPerStation;
const verifyWorkers =
  process.env.BENCH_VERIFY_WORKERS === undefined ? undefined : Number(process.env.BENCH_VERIFY_WORKERS);
const publisherPath = fileURLToPath(new URL('./publisher.ts', import.meta.url));

const runCount = Number(process.env.BENCH_RUNS ?? 3);
/**
 * BENCH_CHAIN=0: the kiosks send no chain links (and HQ checks every signature), as kiosks from
 * before chaining do; the default sends linked events as today's kiosks do.
 */
const chained = process.env.BENCH_CHAIN !== '0';
const verifyEverySignature = !chained;

const chainOption = chained ? {} : { prevEnvelopeSha256: null };
const stationIds = Array.from({ length: stationCount }, (_, index) => `B${String(index).padStart(4, '0')}`);
const children: ChildProcess[] = [];
let broker: Awaited<ReturnType<typeof startMosquitto>>;
let dir = '';

/** CPU time (user + system, ms) of a process from /proc; 0 when it is gone. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return 0;
  }
}

/** CPU ms per thread of this process (tid → [name, ms]), for BENCH_THREADS=1. */
function threadCpuMs(): Map<string, [string, number]> {
  const result = new Map<string, [string, number]>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(tid, [name, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100]);
    } catch {}
  }
  return result;
}

function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

interface CpuSplit {
  readonly publisherMs: number;
  readonly brokerMs: number;
  readonly selfMs: number;
}

function cpuSnapshot(publisher: ChildProcess): CpuSplit {
  return {
    publisherMs: processCpuMs(publisher.pid),
    brokerMs: processCpuMs(broker.pid),
    selfMs: selfCpuMs(),
  };
}

function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return {
    publisherMs: after.publisherMs - before.publisherMs,
    brokerMs: after.brokerMs - before.brokerMs,
    selfMs: after.selfMs - before.selfMs,
  };
}

function cpuLine(name: string, split: CpuSplit): string {
  const perEvent = (ms: number): string => `${((ms * 1000) / total).toFixed(0)} µs`;
  return (
    `${name.padEnd(44)} CPU per event: publisher ${perEvent(split.publisherMs)}, broker ${perEvent(split.brokerMs)}, ` +
    `${name.startsWith('raw') ? 'subscriber' : 'HQ (all threads)'} ${perEvent(split.selfMs)}`
  );
}

interface HqResult {
  readonly store: StoreKind;
  readonly rate: number;
  readonly ratio: number;
}

interface RunResult {
  readonly rawRate: number;
  readonly hq: readonly HqResult[];
  readonly loadBefore: number;
  readonly loadAfter: number;
}

async function main(): Promise<RunResult> {
  const loadBefore = loadavg()[0] ?? 0;
  const stations = stationIds.map((id) => new SimStation(id));
  const records: Buffer[] = [];
  let messageBytes = 0;
  for (let round = 0; round < eventsPerStation; round += 1) {
    for (const station of stations) {
      const event =
        round === 0
          ? station.quotaApplied(`qp-${station.stationId}`, purchaseFen, 1, chainOption)
          : station.billPayment(100, chainOption);
      const id = Buffer.from(station.stationId, 'latin1');
      const header = Buffer.alloc(5 + id.length);
      header.writeUInt8(id.length, 0);
      id.copy(header, 1);
      header.writeUInt32BE(event.bytes.length, 1 + id.length);
      records.push(header, Buffer.from(event.bytes));
      messageBytes += event.bytes.length;
    }
  }
  const eventsFile = join(dir, 'events.bin');
  writeFileSync(eventsFile, Buffer.concat(records));
  const passwordsFile = join(dir, 'passwords.json');
  writeFileSync(
    passwordsFile,
    JSON.stringify(Object.fromEntries(stationIds.map((id) => [id, broker.password(id)]))),
  );
  const meanBytes = Math.round(messageBytes / total);

  // Baseline: the raw broker, same bytes, same topics, a plain QoS 1 subscriber.
  const subscriber = await mqtt.connectAsync(broker.url, {
    protocolVersion: 4,
    username: 'hq',
    password: broker.password('hq'),
    clientId: 'bench-raw',
    clean: true,
  });
  let received = 0;
  let rawDone: () => void = () => undefined;
  const rawFinished = new Promise<void>((resolve) => {
    rawDone = resolve;
  });
  subscriber.on('message', () => {
    received += 1;
    if (received === total) rawDone();
  });
  await subscriber.subscribeAsync('bianmin/v1/st/+/up/#', { qos: 1 });
  const rawPublisher = await startPublisher(eventsFile, passwordsFile, false);
  const rawCpuBefore = cpuSnapshot(rawPublisher);
  const rawStart = performance.now();
  rawPublisher.stdin?.write('go\n');
  await rawFinished;
  const rawMs = performance.now() - rawStart;
  const rawCpu = cpuSince(rawCpuBefore, cpuSnapshot(rawPublisher));
  await subscriber.endAsync();
  rawPublisher.stdin?.end();

  const rawRate = (total / rawMs) * 1000;
  const row = (name: string, rate: number, ms: number) =>
    `${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} msg/s  (${Math.round(ms)} ms)`;
  const lines = [row('raw Mosquitto QoS 1 pub -> sub (baseline)', rawRate, rawMs), cpuLine('raw', rawCpu)];
  const hq: HqResult[] = [];
  let workers = 0;
  for (const kind of storeKinds) {
    const measured = await measureHq(kind, stations, eventsFile, passwordsFile);
    workers = measured.workers;
    const ratio = measured.rate / rawRate;
    hq.push({ store: kind, rate: measured.rate, ratio });
    lines.push(
      row(`HQ on ${kind}: verified + stored + acked`, measured.rate, measured.ms),
      cpuLine(`HQ on ${kind}`, measured.cpu) +
        (measured.databaseMs === undefined
          ? ''
          : `, PostgreSQL backends ${((measured.databaseMs * 1000) / total).toFixed(0)} µs`),
      `  ratio ${ratio.toFixed(2)} to raw (floor 0.50) ${ratio >= 0.5 ? 'OK' : 'BELOW FLOOR'}; ${measured.countersLine}`,
    );
  }
  const loadAfter = loadavg()[0] ?? 0;
  process.stdout.write(
    [
      `HQ ingest: ${total.toLocaleString('en-US')} signed events, ${stationCount} stations, ${meanBytes} bytes each, ` +
        `${availableParallelism()} cores, verify workers ${workers}, load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
      ...lines,
      '',
    ].join('\n'),
  );
  return { rawRate, hq, loadBefore, loadAfter };
}

interface HqMeasurement {
  readonly rate: number;
  readonly ms: number;
  readonly cpu: CpuSplit;
  readonly workers: number;
  readonly countersLine: string;
  /** CPU ms of HQ's PostgreSQL backend processes (their whole life: enrolment included). */
  readonly databaseMs?: number;
}

/** HQ on one store: a fresh store, the stations enrolled, the same events published, all acked. */
async function measureHq(
  kind: StoreKind,
  stations: readonly SimStation[],
  eventsFile: string,
  passwordsFile: string,
): Promise<HqMeasurement> {
  const database = kind === 'postgres' ? await createTestDatabase() : undefined;
  try {
    return await measureHqOn(
      database === undefined
        ? { kind: 'sqlite', path: join(dir, 'hq.sqlite') }
        : { kind: 'postgres', url: database.url },
      stations,
      eventsFile,
      passwordsFile,
    );
  } finally {
    await database?.drop();
  }
}

async function measureHqOn(
  store: StoreConfig,
  stations: readonly SimStation[],
  eventsFile: string,
  passwordsFile: string,
): Promise<HqMeasurement> {
  // HQ: verified, stored, acknowledged.
  const { privateKeyPem } = generateHqKeyPem();
  const gateway = await startGateway({
    store,
    brokerUrl: broker.url,
    mqttUsername: 'hq',
    mqttPassword: broker.password('hq'),
    hqKeyPem: privateKeyPem,
    tpk: new Uint8Array(16),
    resendOnStart: false,
    ...(verifyWorkers === undefined ? {} : { verifyWorkers }),
    verifyEverySignature,
  });
  for (const station of stations) {
    await gateway.operations.enrol(station.enrolmentRequest());
    // HQ records the purchase each station's first event applies (R3: quota only from purchases
    // HQ recorded; otherwise every bill payment is a provenance discrepancy).
    await gateway.operations.purchaseQuota(station.stationId, purchaseFen, `qp-${station.stationId}`);
  }
  const hqPublisher = await startPublisher(eventsFile, passwordsFile, true);
  const acked = waitFor(hqPublisher, 'acked');
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const profiler = profileDir === undefined ? undefined : new Session();
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    if (process.env.BENCH_HEAP_PROFILE) {
      await profiler.post('HeapProfiler.enable');
      await profiler.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
  }
  const hqCpuBefore = cpuSnapshot(hqPublisher);
  const threadsBefore = threadCpuMs();
  const hqStart = performance.now();
  hqPublisher.stdin?.write('go\n');
  const marks: string[] = [];
  const pipeline = gateway.pipeline;
  const onCommitted = (): void => {
    const c = pipeline.counters;
    if (c.stored === total || (c.batches % 10 === 0 && process.env.BENCH_TRACE)) {
      marks.push(`${Math.round(performance.now() - hqStart)}ms received ${c.received} stored ${c.stored}`);
    }
  };
  pipeline.on('committed', onCommitted);
  await acked;
  pipeline.off('committed', onCommitted);
  if (process.env.BENCH_TRACE) process.stdout.write(`${marks.join('\n')}\n`);
  const hqMs = performance.now() - hqStart;
  const hqCpu = cpuSince(hqCpuBefore, cpuSnapshot(hqPublisher));
  if (process.env.BENCH_THREADS) {
    for (const [tid, [name, ms]] of threadCpuMs()) {
      const spent = ms - (threadsBefore.get(tid)?.[1] ?? 0);
      if (spent >= 10)
        process.stdout.write(`  thread ${tid} ${name}: ${((spent * 1000) / total).toFixed(0)} µs/event\n`);
    }
  }
  if (profiler !== undefined && profileDir !== undefined) {
    if (process.env.BENCH_HEAP_PROFILE) {
      const heap = await profiler.post('HeapProfiler.stopSampling');
      writeFileSync(join(profileDir, `hq-heap-${Date.now()}.heapprofile`), JSON.stringify(heap.profile));
    }
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(join(profileDir, `hq-main-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    profiler.disconnect();
  }
  const counters = { ...gateway.pipeline.counters };
  // The PostgreSQL server's share: the backends serving HQ's pool (WAL writer and checkpointer not counted).
  let databaseMs: number | undefined;
  if (gateway.store instanceof PostgresStore) {
    const backends = await gateway.store.pool.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bianmin-hq'",
    );
    databaseMs = backends.rows.reduce((sum: number, row: { pid: number }) => sum + processCpuMs(row.pid), 0);
  }
  const gatewayWorkers = gateway.verifyWorkers;
  hqPublisher.stdin?.end();
  await gateway.stop();

  const hqRate = (total / hqMs) * 1000;
  const countersLine =
    `stored ${counters.stored}, quarantined ${counters.quarantined}, discrepancies ${counters.discrepancies}, ` +
    `batches ${counters.batches}, acks ${counters.acksSent}, signature checks ${counters.signatureChecks} ` +
    `(${chained ? 'chained events' : 'no chain links: every signature checked'}; ` +
    `${counters.authenticatedByLink} events authenticated by a link)`;
  if (counters.stored !== total) throw new Error(`${store.kind}: stored ${counters.stored} of ${total}`);
  if (counters.discrepancies !== 0) throw new Error(`${store.kind}: ${counters.discrepancies} discrepancies`);
  return {
    rate: hqRate,
    ms: hqMs,
    cpu: hqCpu,
    workers: gatewayWorkers,
    countersLine,
    ...(databaseMs === undefined ? {} : { databaseMs }),
  };
}

async function startPublisher(
  eventsFile: string,
  passwordsFile: string,
  waitAcks: boolean,
): Promise<ChildProcess> {
  const args = ['--import', 'tsx', publisherPath, broker.url, eventsFile, passwordsFile];
  if (waitAcks) args.push('--wait-acks');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  await waitFor(child, 'ready');
  return child;
}

function waitFor(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (text.split('\n').includes(line)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`publisher exited (${code}) before "${line}"`)));
  });
}

const results: RunResult[] = [];
for (let run = 1; run <= runCount; run += 1) {
  broker = await startMosquitto({ stationIds });
  dir = mkdtempSync(join(tmpdir(), 'hq-bench-'));
  try {
    process.stdout.write(`run ${run} of ${runCount}\n`);
    results.push(await main());
  } finally {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const loads = results.map((r) => `${r.loadBefore.toFixed(1)}-${r.loadAfter.toFixed(1)}`).join(', ');
const perStore = storeKinds.map((kind) => {
  const of = results.map((r) => r.hq.find((h) => h.store === kind)!);
  return (
    `HQ on ${kind} ${Math.round(median(of.map((h) => h.rate)))} msg/s, ratio ${median(of.map((h) => h.ratio)).toFixed(2)} ` +
    `(runs ${of.map((h) => h.ratio.toFixed(2)).join(', ')})`
  );
});
const pgToSqlite =
  storeKinds.length < 2
    ? ''
    : `; postgres/sqlite ${median(results.map((r) => r.hq[1]!.rate / r.hq[0]!.rate)).toFixed(2)}`;
process.stdout.write(
  `median of ${results.length} runs: raw ${Math.round(median(results.map((r) => r.rawRate)))} msg/s, ` +
    `${perStore.join(', ')}${pgToSqlite}; load ${loads}\n`,
);
