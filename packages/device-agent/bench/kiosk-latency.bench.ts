// Kiosk bench (issue 4 (b)-(d)): latency from PIN block received to the authorisation request
// journaled durably and signed (p50/p99), and from a bill-payment request to its signed event
// durable in the outbox; resident memory idle and under load; outbox drain rate through a real
// Mosquitto after an outage of 10,000 events. Baselines in the same run: one bare SQLite
// synchronous=FULL commit and one bare SoftHSM signature (the floor of each path).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import Database from 'better-sqlite3';
import { startMosquitto } from '../../../test/helpers/mosquitto.js';
import { OperatorClient } from '../src/adapters/operator-api/client.js';
import { KioskDb } from '../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent, systemClock } from '../src/agent.js';
import { agentNodeFlags } from '../src/limits.js';
import { TEST_PAN_19 } from '../src/sim/test-cards.js';
import { FakeHq } from '../test/agent/fake-hq.js';
import {
  ALWAYS_OPEN,
  fakeCardReader,
  fakePinPad,
  HqKey,
  MemoryLink,
  silentLogger,
  softHsmSigner,
} from '../test/agent/helpers.js';

/** R5 limits large enough for one test card's many bench withdrawals (the defaults stop at ¥3,000). */
const benchLimits = {
  withdrawalFenMaxPerTransaction: 500_000,
  withdrawalFenMaxPerCardPerDay: 1_000_000_000,
  withdrawalFenMaxPerStationPerDay: 1_000_000_000,
  billPaymentFenMaxPerTransaction: 200_000,
  topupFenMaxPerTransaction: 50_000,
  authorisationTimeoutMs: 5_000,
};

const STATION = 'BENCH01';
const MEMORY_STATION = 'BENCH02';
const withdrawals = Number(process.env.KIOSK_BENCH_WITHDRAWALS ?? 300);
const payments = Number(process.env.KIOSK_BENCH_PAYMENTS ?? 1000);
const drainEvents = Number(process.env.KIOSK_BENCH_DRAIN ?? 10_000);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (ns: bigint) => Number(ns) / 1e6;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const openHours = ALWAYS_OPEN;

const dir = mkdtempSync(join(tmpdir(), 'kiosk-bench-'));

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

/** Runs the agent as its own process (test/agent/kill-child.mjs) and samples its RSS idle and under load. */
async function measureAgentProcess(
  brokerUrl: string,
  mqttPassword: string,
): Promise<{ idle: number; peak: number; operations: number }> {
  const operatorToken = randomBytes(16).toString('hex');
  const socketPath = join(dir, 'mem.sock');
  const args = JSON.stringify({
    stationId: MEMORY_STATION,
    dbPath: join(dir, 'mem.db'),
    socketPath,
    operatorToken,
    brokerUrl,
    mqttPassword,
    tokenLabel: uk.tokenLabel,
    pinFile: uk.pinFile,
    keyId: uk.keyId,
    hqKeyId: hq.keyId,
    hqPublicKeyPem: hq.pinned()[0]!.publicKey,
  });
  const nodeFlags = (process.env.KIOSK_AGENT_NODE_FLAGS ?? agentNodeFlags.join(' '))
    .split(' ')
    .filter((flag) => flag !== '');
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(import.meta.dirname, '../test/agent/kill-child.mjs'), args],
    {
      env: { ...process.env, ...uk.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
      child.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
    });
    const client = new OperatorClient({ kind: 'unix', socketPath }, operatorToken);
    for (;;) {
      const status = (await client.get('/v1/status')).body as { configVersion: number; link: string };
      if (status.configVersion > 0 && status.link === 'online') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = rssOf(child.pid!);
    let peak = idle;
    let operations = 0;
    for (let i = 0; i < 2000; i += 1) {
      await client.post('/v1/bill-payments', {
        billerKind: 'WATER',
        billerCode: 'W',
        accountNumber: 'A',
        amountFen: 100,
      });
      operations += 1;
      if (i % 20 === 0) {
        const started = await client.post('/v1/withdrawals', { amountFen: 10_000 });
        const txId = (started.body.withdrawal as { txId?: string } | undefined)?.txId;
        if (txId !== undefined) await client.post(`/v1/withdrawals/${txId}/confirm-cash`);
        operations += 2;
      }
      if (i % 50 === 0) peak = Math.max(peak, rssOf(child.pid!));
    }
    peak = Math.max(peak, rssOf(child.pid!));
    return { idle, peak, operations };
  } finally {
    child.kill('SIGKILL');
  }
}
const uk = softHsmSigner('BENCH');
const hq = new HqKey();
try {
  // Baselines: one bare fsync'd SQLite commit, one bare token signature.
  const raw = new Database(join(dir, 'baseline.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
  const commitNs: number[] = [];
  const signNs: number[] = [];
  for (let i = 0; i < 300; i += 1) {
    const start = process.hrtime.bigint();
    insert.run(Buffer.alloc(300));
    commitNs.push(ms(process.hrtime.bigint() - start));
    const s2 = process.hrtime.bigint();
    await uk.signer.signDigest(new Uint8Array(32).fill(i % 256));
    signNs.push(ms(process.hrtime.bigint() - s2));
  }
  raw.close();
  commitNs.sort((a, b) => a - b);
  signNs.sort((a, b) => a - b);

  // Agent with an in-memory link that answers every authorisation at once (HQ-signed).
  const db = new KioskDb({ path: join(dir, 'kiosk.db') });
  let link: MemoryLink | undefined;
  let pinAtNs = 0n;
  const latencies: number[] = [];
  const agent = await KioskAgent.open({
    stationId: STATION,
    keyId: uk.keyId,
    db,
    signer: uk.signer,
    cardReader: fakeCardReader(Array.from({ length: withdrawals }, () => TEST_PAN_19)),
    pinPad: fakePinPad(() => {
      pinAtNs = process.hrtime.bigint();
    }),
    clock: systemClock,
    logger: silentLogger,
    hqPublicKeys: hq.pinned(),
    cardTokenKey: new Uint8Array(32).fill(1),
    tpkKeyId: 'TPK1',
    mqtt: { brokerUrl: 'mqtt://unused' },
    autoDailyClose: false,
    makeLink: () => {
      link = new MemoryLink(db);
      return link;
    },
  });
  agent.start();
  const memLink = link!;
  memLink.onDirect = (_topic, payload) => {
    latencies.push(ms(process.hrtime.bigint() - pinAtNs));
    const opened = openVerifiedEnvelope(payload, () => uk.publicKeyPem);
    if (opened.type !== PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST) return;
    const response = hq.seal(STATION, PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: opened.body.requestId,
      transactionId: opened.body.transactionId,
      decision: 1,
      bankReference: 'B',
      bankResponseCode: '00',
      amountFen: Number(opened.body.amountFen),
      feeFen: 100,
      respondedAtMs: Date.now(),
    });
    setImmediate(() => memLink.deliver(downTopic(STATION, 'auth-resp'), response));
  };
  memLink.deliver(
    downTopic(STATION, 'config'),
    hq.config(STATION, {
      quotaFenBalance: 1_000_000_000,
      quotaPurchases: [{ purchaseId: 'P-BIG', amountFen: 1_000_000_000, purchasedAtMs: Date.now() }],
      serviceHours: openHours,
      // One test card withdraws `withdrawals` times: R5 daily limits sized for the bench.
      limits: benchLimits,
    }),
  );
  while (agent.status().configVersion === 0) await new Promise((resolve) => setImmediate(resolve));
  const rssIdle = process.memoryUsage.rss();
  let rssPeak = rssIdle;
  for (let i = 0; i < withdrawals; i += 1) {
    const outcome = await agent.startWithdrawal({ amountFen: 10_000 });
    if (!outcome.ok || outcome.withdrawal.phase !== 'authorised') throw new Error(JSON.stringify(outcome));
    await agent.confirmCash(outcome.withdrawal.txId);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }
  const paymentMs: number[] = [];
  for (let i = 0; i < payments; i += 1) {
    const start = process.hrtime.bigint();
    const outcome = await agent.payBill({
      billerKind: 'WATER',
      billerCode: 'W',
      accountNumber: 'A',
      amountFen: 100,
    });
    paymentMs.push(ms(process.hrtime.bigint() - start));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }
  await agent.stop();
  db.close();
  latencies.sort((a, b) => a - b);
  paymentMs.sort((a, b) => a - b);

  // Drain: 10,000 events stored while the broker is down, then drained through Mosquitto.
  const broker = await startMosquitto({ stationIds: [STATION, MEMORY_STATION] });
  const fakeHq = new FakeHq(broker.url, broker.password('hq'), hq, uk.publicKeyPem);
  let drainPerS = Number.NaN;
  let childRss = { idle: Number.NaN, peak: Number.NaN, operations: 0 };
  let brokerPerS = Number.NaN;
  try {
    await fakeHq.start();
    await fakeHq.publishConfig(
      STATION,
      hq.config(STATION, {
        quotaFenBalance: 1_000_000_000,
        quotaPurchases: [{ purchaseId: 'P-BIG', amountFen: 1_000_000_000, purchasedAtMs: Date.now() }],
        serviceHours: openHours,
      }),
    );
    const db2 = new KioskDb({ path: join(dir, 'drain.db') });
    const agent2 = await KioskAgent.open({
      stationId: STATION,
      keyId: uk.keyId,
      db: db2,
      signer: uk.signer,
      cardReader: fakeCardReader([]),
      pinPad: fakePinPad(),
      clock: systemClock,
      logger: silentLogger,
      hqPublicKeys: hq.pinned(),
      cardTokenKey: new Uint8Array(32).fill(1),
      tpkKeyId: 'TPK1',
      mqtt: {
        brokerUrl: broker.url,
        username: STATION,
        password: broker.password(STATION),
        backoffMsInitial: 50,
        backoffMsMax: 200,
      },
      autoDailyClose: false,
    });
    agent2.start();
    await fakeHq.until(() => fakeHq.contiguousSeq() >= 1);
    await broker.stop();
    for (let i = 0; i < drainEvents; i += 1) {
      await agent2.payBill({ billerKind: 'WATER', billerCode: 'W', accountNumber: 'A', amountFen: 1 });
      if (i % 1000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }
    const head = db2.headSeq();
    await broker.start();
    const start = Date.now();
    await fakeHq.until(() => fakeHq.contiguousSeq() >= head);
    while (db2.depth() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    drainPerS = drainEvents / ((Date.now() - start) / 1000);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    await agent2.stop();
    db2.close();
    // Raw broker floor: the same envelopes published QoS 1 by a bare client, no outbox, no acks.
    const mqtt = (await import('mqtt')).default;
    const rawClient = await mqtt.connectAsync(broker.url, {
      username: STATION,
      password: broker.password(STATION),
      protocolVersion: 4,
    });
    const sample = new Uint8Array(260);
    const before = fakeHq.arrivalSeqs.length;
    const rawStart = Date.now();
    await Promise.all(
      Array.from({ length: 5000 }, () =>
        rawClient.publishAsync(`bianmin/v1/st/${STATION}/up/telemetry`, Buffer.from(sample), { qos: 1 }),
      ),
    );
    brokerPerS = 5000 / ((Date.now() - rawStart) / 1000);
    void before;
    await rawClient.endAsync();
    await fakeHq.stop();
    // A fresh HQ (its seq bookkeeping is per run) and a second station for the agent process.
    const memoryHq = new FakeHq(broker.url, broker.password('hq'), hq, uk.publicKeyPem);
    await memoryHq.start();
    await memoryHq.publishConfig(
      MEMORY_STATION,
      hq.config(MEMORY_STATION, {
        quotaFenBalance: 1_000_000_000,
        quotaPurchases: [{ purchaseId: 'P-BIG', amountFen: 1_000_000_000, purchasedAtMs: Date.now() }],
        serviceHours: openHours,
      }),
    );
    try {
      childRss = await measureAgentProcess(broker.url, broker.password(MEMORY_STATION));
    } finally {
      await memoryHq.stop();
    }
  } finally {
    await fakeHq.stop();
    await broker.close();
  }

  const lines = [
    `kiosk latency, PIN block received -> auth request journaled (fsync) + signed, n=${latencies.length}: p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms (floor p99 <= 20 ms)`,
    `kiosk latency, bill payment -> signed event durable in outbox, n=${paymentMs.length}: p50 ${pct(paymentMs, 50).toFixed(2)} ms, p99 ${pct(paymentMs, 99).toFixed(2)} ms`,
    `baseline: bare SQLite FULL commit p50 ${pct(commitNs, 50).toFixed(2)} ms, p99 ${pct(commitNs, 99).toFixed(2)} ms; bare SoftHSM sign p50 ${pct(signNs, 50).toFixed(2)} ms, p99 ${pct(signNs, 99).toFixed(2)} ms; ratio payment p50 / (commit+sign) p50 = ${(pct(paymentMs, 50) / (pct(commitNs, 50) + pct(signNs, 50))).toFixed(2)}`,
    `kiosk agent process (node ${process.env.KIOSK_AGENT_NODE_FLAGS ?? agentNodeFlags.join(' ')} over dist/, real SQLite + SoftHSM + Mosquitto) RSS: idle ${mb(childRss.idle)} MB, peak under load ${mb(childRss.peak)} MB over ${childRss.operations} operations (floor <= 100 MB)`,
    `bench process RSS (tsx + agent + fake HQ in one process): idle ${mb(rssIdle)} MB, peak ${mb(rssPeak)} MB`,
    `outbox drain after an outage of ${drainEvents} events: ${drainPerS.toFixed(0)} events/s acked end to end; raw broker QoS 1 publish ${brokerPerS.toFixed(0)} msg/s; ratio ${(drainPerS / brokerPerS).toFixed(2)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await uk.close();
  rmSync(dir, { recursive: true, force: true });
}
