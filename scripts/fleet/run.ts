// The fleet run (issue 14): N simulated kiosks in a few swarm processes, real MQTT sessions to the
// topology's broker nodes, HQ's gateways as their own processes on one PostgreSQL database of the
// run's own; a compressed business day; with `kills`, kill -9 of a broker node (when the topology
// has one to lose), then of a gateway, then both restarted, each kill's recovery timed (the first
// event first published after the kill that HQ committed and acknowledged); at the end the
// exactly-once check (check.ts) and the raw-pipe baseline with the same bytes.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateHqKeyPem } from '../../packages/hq-gateway/src/adapters/crypto/hq-key.js';
import { createTestDatabase } from '../../packages/hq-gateway/test/store-contract/factories.js';
import { startHq } from '../demo/lib/hq.js';
import { type CheckResult, checkExactlyOnce } from './check.js';
import { Gateways, processRssBytes } from './gateways.js';
import type { KioskReport } from './kiosk.js';
import {
  drainWaitMsMax,
  processReadyMsMax,
  stationsMax,
  stationsPerSwarmMax,
  swarmProcessesMax,
} from './limits.js';
import type { FromSwarm, StationSetup, ToSwarm } from './protocol.js';
import { startTopology, type Topology, type TopologyKind } from './topology.js';

const swarmEntry = fileURLToPath(new URL('./swarm-child.ts', import.meta.url));

export interface FleetOptions {
  readonly stations: number;
  readonly gateways: number;
  readonly topology: TopologyKind;
  readonly seed: number;
  readonly kills: boolean;
  /** Customer transactions per station in the day. Default 20. */
  readonly transactionCount: number;
  /** The compressed day's length (ms). */
  readonly dayMs: number;
  readonly offlineShare: number;
  readonly authWaitMs: number;
  /** Measure the raw pipe (same bytes, plain subscriber) after the check. */
  readonly raw: boolean;
  readonly log: (line: string) => void;
}

export interface Recovery {
  readonly what: string;
  readonly killedAtMs: number;
  /** ms from the kill to the first event HQ committed and acknowledged after it; null: never. */
  readonly firstCommitMs: number | null;
  /** ms from the kill to the first commit of an event a kiosk first sent after the kill; null: never. */
  readonly recoveredMs: number | null;
}

export interface FleetResult {
  readonly options: Omit<FleetOptions, 'log'>;
  readonly setupMs: number;
  readonly runMs: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  /** Best 2-second window of acknowledged events/s (the catch-up after a kill is HQ at full speed). */
  readonly peakEventsPerSecond: number;
  readonly rawEventsPerSecond: number | null;
  readonly recoveries: readonly Recovery[];
  readonly gatewayCpuUsPerEvent: number;
  /** Each gateway's CPU (all its incarnations) per event of the run (with nats, the owners work). */
  readonly gatewayCpuUsPerEventEach: readonly number[];
  /** Events the gateways' pipelines stored per commit batch (their own counters). */
  readonly eventsPerBatch: number;
  /** Longest stretch (ms) in which no ack progressed while events were outstanding. */
  readonly ackPauseMsMax: number;
  readonly brokerCpuUsPerEvent: number;
  /**
   * The connect storm at the day's start (every kiosk connects at once): how long until the last
   * one was connected and subscribed, and the broker processes' resident memory it added per kiosk
   * (read when the last one was in; null when a kill came first or some never connected).
   */
  readonly connectStorm: { readonly seconds: number; readonly brokerRssBytesPerKiosk: number } | null;
  /** PostgreSQL transactions committed in the database during the run, and events per commit. */
  readonly commits: number;
  readonly eventsPerCommit: number;
  readonly gatewayCounters: ReturnType<Gateways['counters']>;
  readonly check: CheckResult;
  readonly load: readonly [number, number];
  readonly cores: number;
}

interface Swarm {
  readonly child: ChildProcess;
  readonly stations: number;
  progress: Extract<FromSwarm, { op: 'progress' }> | undefined;
}

function stationIdOf(index: number): string {
  return `F${String(index + 1).padStart(6, '0')}`;
}

function waitForMessage<T extends FromSwarm['op']>(
  child: ChildProcess,
  op: T,
  timeoutMs: number,
): Promise<Extract<FromSwarm, { op: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`swarm: no ${op} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: FromSwarm): void => {
      if (message.op !== op) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as Extract<FromSwarm, { op: T }>);
    };
    child.on('message', onMessage);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`swarm exited (${code ?? signal}) before ${op}`));
    });
  });
}

async function xactCommit(url: string, name: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = await client.query<{ n: string }>(
      'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    return Number(row.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  if (!(options.stations >= 1 && options.stations <= stationsMax))
    throw new Error(`--stations 1..${stationsMax}`);
  const log = options.log;
  const setupStartMs = Date.now();
  const loadBefore = loadavg()[0] ?? 0;
  const stationIds = Array.from({ length: options.stations }, (_, index) => stationIdOf(index));
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-fleet-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const swarms: Swarm[] = [];
  try {
    const topology: Topology = await startTopology(options.topology, stationIds);
    cleanups.push(() => topology.stop());
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    log(`topology ${topology.kind}: ${topology.brokerUrls.length} broker node(s); database ${database.name}`);
    const { privateKeyPem } = generateHqKeyPem();
    const hqKeyPemFile = join(dir, 'hq-key.pem');
    writeFileSync(hqKeyPemFile, privateKeyPem, { mode: 0o600 });
    const tpk = randomBytes(16);
    const bankDbPath = join(dir, 'bank.sqlite');

    // Swarms: make keys, plan and seal each station's day.
    const swarmCount = Math.min(
      swarmProcessesMax,
      Math.max(2, Math.ceil(options.stations / stationsPerSwarmMax)),
      options.stations,
    );
    for (let index = 0; index < swarmCount; index += 1) {
      const mine = stationIds
        .map((id, stationIndex) => ({ id, index: stationIndex, password: topology.stationPassword(id) }))
        .filter((_, stationIndex) => stationIndex % swarmCount === index);
      const child = fork(swarmEntry, [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const swarm: Swarm = { child, stations: mine.length, progress: undefined };
      child.on('message', (message: FromSwarm) => {
        if (message.op === 'progress') swarm.progress = message;
      });
      swarms.push(swarm);
      const init: ToSwarm = {
        op: 'init',
        swarmIndex: index,
        stations: mine,
        seed: options.seed,
        transactionCount: options.transactionCount,
        dayMs: options.dayMs,
        offlineShare: options.offlineShare,
        authWaitMs: options.authWaitMs,
        tpkHex: tpk.toString('hex'),
        brokerUrls: topology.brokerUrls,
      };
      child.send(init);
    }
    const setups: StationSetup[] = (
      await Promise.all(swarms.map((swarm) => waitForMessage(swarm.child, 'ready', 30 * 60_000)))
    ).flatMap((ready) => ready.stations);
    log(`${setups.length} stations keyed, planned and sealed in ${swarmCount} swarm processes`);

    // HQ before the day: each station enrolled, its quota purchase recorded (R3), its card at the bank.
    const setupHq = await startHq({
      dbPath: '',
      store: { kind: 'postgres', url: database.url },
      bankDbPath,
      brokerUrl: topology.gatewayLink(0).brokerUrl,
      mqttUsername: topology.gatewayLink(0).mqttUsername,
      mqttPassword: topology.gatewayLink(0).mqttPassword,
      clientId: `${topology.gatewayLink(0).clientId}-setup`,
      ...(topology.gatewayLink(0).nats === undefined ? {} : { nats: topology.gatewayLink(0).nats }),
      hqKeyPem: privateKeyPem,
      tpk,
      clock: { nowMs: () => Date.now() },
      bankAccounts: setups.map((s) => ({
        pan: s.pan,
        pin: s.pin,
        balanceFen: 100_000_000,
        dailyLimitFen: 10_000_000,
      })),
      authorisationTimeoutMs: options.authWaitMs,
      resendOnStart: false,
    });
    try {
      for (let from = 0; from < setups.length; from += 50) {
        await Promise.all(
          setups.slice(from, from + 50).map(async (s) => {
            await setupHq.operations.enrol(s.enrolment);
            await setupHq.operations.purchaseQuota(s.stationId, s.purchaseFen, s.purchaseId);
          }),
        );
      }
    } finally {
      await setupHq.stop();
    }
    log(`HQ: ${setups.length} stations enrolled with their quota purchases`);

    const gateways = new Gateways(
      {
        databaseUrl: database.url,
        bankDbPath,
        hqKeyPemFile,
        tpkHex: tpk.toString('hex'),
        authorisationTimeoutMs: options.authWaitMs,
        countersEveryMs: 500,
      },
      topology,
      options.gateways,
    );
    cleanups.push(() => gateways.stopAll());
    for (let index = 0; index < gateways.count; index += 1) await gateways.start(index);
    log(`${gateways.count} gateway process(es) up`);
    const setupMs = Date.now() - setupStartMs;

    // The day.
    const commitsBefore = await xactCommit(database.url, database.name);
    const gatewayCpuBefore = gateways.cpuMsEach();
    const brokerCpuBefore = topology.brokerCpuMs();
    const brokerRssBefore = brokerRssBytes(topology);
    let connectStorm: FleetResult['connectStorm'] = null;
    const dayStartMs = Date.now() + 200;
    for (const swarm of swarms) swarm.child.send({ op: 'go', dayStartMs } satisfies ToSwarm);
    const drained = Promise.all(swarms.map((swarm) => waitForMessage(swarm.child, 'drained', 60 * 60_000)));
    const timeline: [number, number][] = [];
    const journaledTimeline: number[] = [];
    const sampler = setInterval(() => {
      const acked = swarms.reduce((sum, swarm) => sum + (swarm.progress?.acked ?? 0), 0);
      const journaled = swarms.reduce((sum, swarm) => sum + (swarm.progress?.journaled ?? 0), 0);
      timeline.push([Date.now(), acked]);
      journaledTimeline.push(journaled);
      const connected = swarms.reduce((sum, swarm) => sum + (swarm.progress?.connected ?? 0), 0);
      // Before the first kill (a third of the day in, or half without --kills' node kill): later, a
      // reconnect would count as a first connect's time and the memory would hold the backlog.
      const firstKillAtMs = dayStartMs + options.dayMs / 3;
      if (connectStorm === null && connected === options.stations && Date.now() < firstKillAtMs) {
        const lastMs = Math.max(...swarms.map((swarm) => swarm.progress?.lastConnectedAtMs ?? 0));
        connectStorm = {
          seconds: (lastMs - dayStartMs) / 1000,
          brokerRssBytesPerKiosk: (brokerRssBytes(topology) - brokerRssBefore) / options.stations,
        };
        log(
          `  connect storm: ${options.stations} kiosks connected and subscribed in ${connectStorm.seconds.toFixed(1)} s; broker memory +${Math.round(connectStorm.brokerRssBytesPerKiosk)} bytes per kiosk`,
        );
      }
      if (timeline.length % 10 === 0) {
        const daysDone = swarms.reduce((sum, swarm) => sum + (swarm.progress?.daysDone ?? 0), 0);
        log(
          `  t+${Math.round((Date.now() - dayStartMs) / 1000)}s journaled ${journaled}, acked ${acked}, days done ${daysDone}/${options.stations}`,
        );
      }
    }, 500);
    const recoveries: Recovery[] = [];
    if (options.kills)
      await killsDuringDay({ topology, gateways, swarms, dayStartMs, options, recoveries, log });
    const reports: KioskReport[] = (await drained).flatMap((message) => message.reports);
    clearInterval(sampler);
    const runMs = Date.now() - dayStartMs;
    const gatewayCpuMsEach = gateways.cpuMsEach().map((ms, index) => ms - (gatewayCpuBefore[index] ?? 0));
    const gatewayCpuMs = gatewayCpuMsEach.reduce((sum, ms) => sum + ms, 0);
    const brokerCpuMs = topology.brokerCpuMs() - brokerCpuBefore;
    const commits = (await xactCommit(database.url, database.name)) - commitsBefore;
    const gatewayCounters = gateways.counters();
    log(`day over in ${(runMs / 1000).toFixed(1)} s; checking PostgreSQL`);
    const check = await checkExactlyOnce(database.url, reports);
    const events = check.journaled;

    let rawEventsPerSecond: number | null = null;
    if (options.raw) {
      await gateways.stopAll();
      rawEventsPerSecond = await measureRaw(topology, swarms, events);
      log(`raw pipe: ${Math.round(rawEventsPerSecond)} events/s`);
    }
    return {
      options: { ...options, log: undefined } as unknown as Omit<FleetOptions, 'log'>,
      setupMs,
      runMs,
      events,
      eventsPerSecond: (events / runMs) * 1000,
      peakEventsPerSecond: peakRate(timeline, 2_000),
      rawEventsPerSecond,
      recoveries,
      gatewayCpuUsPerEvent: (gatewayCpuMs * 1000) / Math.max(1, events),
      gatewayCpuUsPerEventEach: gatewayCpuMsEach.map((ms) => (ms * 1000) / Math.max(1, events)),
      eventsPerBatch: gatewayCounters.stored / Math.max(1, gatewayCounters.batches),
      ackPauseMsMax: ackPauseMs(timeline, journaledTimeline),
      brokerCpuUsPerEvent: (brokerCpuMs * 1000) / Math.max(1, events),
      connectStorm,
      commits,
      eventsPerCommit: events / Math.max(1, commits),
      gatewayCounters,
      check,
      load: [loadBefore, loadavg()[0] ?? 0],
      cores: availableParallelism(),
    };
  } finally {
    for (const swarm of swarms) if (swarm.child.connected) swarm.child.send({ op: 'stop' } satisfies ToSwarm);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resident memory of every live broker process (bytes). */
function brokerRssBytes(topology: Topology): number {
  return topology.brokerPids().reduce((sum, pid) => sum + processRssBytes(pid), 0);
}

/** The longest time acks stood still (samples of cumulative acked) while journaled > acked. */
export function ackPauseMs(
  timeline: readonly (readonly [number, number])[],
  journaled: readonly number[],
): number {
  if (!(timeline.length === journaled.length)) throw new Error('assert: one journaled sample per ack sample');
  let longest = 0;
  let since = -1;
  for (let index = 1; index < timeline.length; index += 1) {
    const stuck = timeline[index]![1] === timeline[index - 1]![1] && journaled[index]! > timeline[index]![1];
    if (!stuck) {
      since = -1;
      continue;
    }
    if (since === -1) since = index - 1;
    longest = Math.max(longest, timeline[index]![0] - timeline[since]![0]);
  }
  return longest;
}

/** Events/s over the best window of `windowMs` in a (time, cumulative count) timeline. */
export function peakRate(timeline: readonly (readonly [number, number])[], windowMs: number): number {
  let best = 0;
  let from = 0;
  for (let to = 0; to < timeline.length; to += 1) {
    while (from < to && timeline[to]![0] - timeline[from]![0] > windowMs) from += 1;
    const spanMs = timeline[to]![0] - timeline[from]![0];
    if (spanMs >= windowMs / 2)
      best = Math.max(best, ((timeline[to]![1] - timeline[from]![1]) / spanMs) * 1000);
  }
  return best;
}

interface KillContext {
  readonly topology: Topology;
  readonly gateways: Gateways;
  readonly swarms: readonly Swarm[];
  readonly dayStartMs: number;
  readonly options: FleetOptions;
  readonly recoveries: Recovery[];
  readonly log: (line: string) => void;
}

/** Ask the swarms for the first post-`atMs` event acknowledged; resolves with its time or null. */
function recoveryAfter(
  swarms: readonly Swarm[],
  id: string,
  atMs: number,
  waitMs: number,
  kind: 'any' | 'new',
): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), waitMs);
    const listeners: [ChildProcess, (message: FromSwarm) => void][] = [];
    function finish(value: number | null): void {
      clearTimeout(timer);
      for (const [child, listener] of listeners) child.off('message', listener);
      resolve(value);
    }
    for (const swarm of swarms) {
      const listener = (message: FromSwarm): void => {
        if (message.op === 'recovered' && message.id === id) finish(message.atMs);
      };
      listeners.push([swarm.child, listener]);
      swarm.child.on('message', listener);
      swarm.child.send({ op: 'mark', id, atMs, kind } satisfies ToSwarm);
    }
  });
}

async function timeRecovery(
  swarms: readonly Swarm[],
  what: string,
  killedAtMs: number,
  waitMs: number,
): Promise<Recovery> {
  const [anyAt, newAt] = await Promise.all([
    recoveryAfter(swarms, `${what}/any`, killedAtMs, waitMs, 'any'),
    recoveryAfter(swarms, `${what}/new`, killedAtMs, waitMs, 'new'),
  ]);
  return {
    what,
    killedAtMs,
    firstCommitMs: anyAt === null ? null : anyAt - killedAtMs,
    recoveredMs: newAt === null ? null : newAt - killedAtMs,
  };
}

async function sleepUntil(atMs: number): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

async function killsDuringDay(context: KillContext): Promise<void> {
  const { topology, gateways, swarms, dayStartMs, options, recoveries, log } = context;
  const recoveryWaitMs = processReadyMsMax * 2;
  // 1. A broker node, at a third of the day: the kiosks on it reconnect to the others.
  await sleepUntil(dayStartMs + options.dayMs / 3);
  const brokerKilledAtMs = Date.now();
  const brokerKilled = await topology.killBroker(0);
  if (brokerKilled) {
    log('kill -9 broker node 1');
    recoveries.push(await timeRecovery(swarms, 'broker node 1 (kill -9)', brokerKilledAtMs, recoveryWaitMs));
  }
  // 2. A gateway: two thirds in after a node kill, else at half the day. With one gateway there is
  // no surviving path: it restarts at once. With several, gateway 1 (started first; it owns its
  // share of the partitions, docs/decisions/hq-nats-partition-ownership.md) dies and the others take
  // its partitions over; back, it gets its share again from them.
  await sleepUntil(dayStartMs + (brokerKilled ? (options.dayMs * 2) / 3 : options.dayMs * 0.5));
  const gatewayKilledAtMs = Date.now();
  await gateways.kill(0);
  log('kill -9 gateway 1');
  const recovered = timeRecovery(swarms, 'gateway 1 (kill -9)', gatewayKilledAtMs, recoveryWaitMs);
  if (gateways.count === 1) {
    await gateways.start(0);
    log(
      `gateway 1 restarted and ready ${((Date.now() - gatewayKilledAtMs) / 1000).toFixed(1)} s after the kill`,
    );
  }
  recoveries.push(await recovered);
  // 3. Both back (a multi-node topology and several gateways ran on without them).
  if (gateways.count > 1) await gateways.start(0);
  if (topology.brokerUrls.length > 1) await topology.restartBroker(0);
  log('killed processes restarted');
}

/**
 * The raw pipe: the same envelopes, each station's own connection, to the topology's plain
 * subscriber. Only the message flow is timed: every publisher is connected first ('raw' ->
 * 'raw-connected'), the clock starts at 'raw-go' and stops at the last message received.
 */
async function measureRaw(topology: Topology, swarms: readonly Swarm[], total: number): Promise<number> {
  if (!(total >= 1)) throw new Error('assert: a raw pipe needs events');
  let received = 0;
  let lastAtMs = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const subscription = await topology.rawSubscriber(() => {
    received += 1;
    lastAtMs = performance.now();
    if (received === total) done();
  });
  try {
    const connected = swarms.map((swarm) =>
      waitForMessage(swarm.child, 'raw-connected', processReadyMsMax * 5),
    );
    for (const swarm of swarms) swarm.child.send({ op: 'raw' } satisfies ToSwarm);
    await Promise.all(connected);
    const startMs = performance.now();
    for (const swarm of swarms) swarm.child.send({ op: 'raw-go' } satisfies ToSwarm);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainWaitMsMax);
      }),
    ]);
    clearTimeout(timer);
    if (received < total) throw new Error(`raw pipe: ${received} of ${total} events reached the subscriber`);
    return (total / (lastAtMs - startMs)) * 1000;
  } finally {
    await subscription.close();
  }
}
