// Goal: a kiosk killed with SIGKILL at random points during transactions settles everything on
// restart and its totals equal HQ's: every event stored once, no gap, no withdrawal left hanging,
// every withdrawal HQ approved ends posted, voided or reversed at HQ. Method: 50 kills of a child
// agent process (real SQLite, SoftHSM, Mosquitto, operator API over a Unix socket) while the
// parent drives bill payments and withdrawals through the operator API; a fake HQ approves and
// acks. Kill points are program points drawn from a seeded PRNG (printed; KIOSK_KILL_SEED replays
// it): the child dies by itself at the nth journal write (before or after its commit) or right
// after the nth UK key signature, so no wall-clock delay decides where a kill lands.
// The child runs the built dist/ (build first), so 50 restarts fit in the test timeout.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { OperatorClient } from '../../src/adapters/operator-api/client.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { FakeHq } from './fake-hq.js';
import { ALWAYS_OPEN, HqKey, softHsmSigner } from './helpers.js';

const KILLS = Number(process.env.KIOSK_KILLS ?? 50);
const SEED = Number(process.env.KIOSK_KILL_SEED ?? 20261128);
t.comment(`seed ${SEED}, kills ${KILLS}`);
// 50 process starts take minutes on a loaded 2-core machine: more than the suite's per-file default.
t.setTimeout(900_000);

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);

const STATION = 'ST0909';
const dir = mkdtempSync(join(tmpdir(), 'kiosk-kill-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
const uk = softHsmSigner('KILL-T');
t.teardown(() => uk.close());
const hq = new HqKey();
const fakeHq = new FakeHq(broker.url, broker.password('hq'), hq, uk.publicKeyPem);
await fakeHq.start();
t.teardown(() => fakeHq.stop());
await fakeHq.publishConfig(
  STATION,
  hq.config(STATION, {
    quotaFenBalance: 1_000_000_000,
    quotaPurchases: [{ purchaseId: 'P-BIG', amountFen: 1_000_000_000, purchasedAtMs: Date.now() }],
    serviceHours: ALWAYS_OPEN,
  }),
);

const operatorToken = randomBytes(16).toString('hex');
const socketPath = join(dir, 'operator.sock');
const dbPath = join(dir, 'kiosk.db');
const childArgs = (killAt?: KillPoint) =>
  JSON.stringify({
    stationId: STATION,
    dbPath,
    socketPath,
    operatorToken,
    brokerUrl: broker.url,
    mqttPassword: broker.password(STATION),
    tokenLabel: uk.tokenLabel,
    pinFile: uk.pinFile,
    keyId: uk.keyId,
    hqKeyId: hq.keyId,
    hqPublicKeyPem: hq.pinned()[0]!.publicKey,
    ...(killAt === undefined ? {} : { killAt }),
  });

/** Where a child kills itself (kill-child.mjs): the nth journal write or UK key signature. */
interface KillPoint {
  readonly site: 'append-before' | 'append-after' | 'sign';
  readonly nth: number;
}
const killSites = ['append-before', 'append-after', 'sign'] as const;
/** Transactions one round may run before the parent kills the child itself (a bound, not a clock). */
const roundTransactionsMax = 40;
const client = new OperatorClient({ kind: 'unix', socketPath }, operatorToken);
let live: ChildProcess | null = null;
t.teardown(() => {
  live?.kill('SIGKILL');
});

function startChild(killAt?: KillPoint): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'kill-child.mjs'), childArgs(killAt)], {
      env: { ...process.env, ...uk.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    live = child;
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before READY`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** One transaction; errors from a dying child are expected and ignored. */
async function oneTransaction(): Promise<void> {
  if (random() < 0.5) {
    await client.post('/v1/bill-payments', {
      billerKind: 'WATER',
      billerCode: 'W1',
      accountNumber: 'A-1',
      amountFen: 100 + Math.floor(random() * 900),
    });
    return;
  }
  const started = await client.post('/v1/withdrawals', { amountFen: 10_000 });
  const txId = (started.body.withdrawal as { txId?: string } | undefined)?.txId;
  if (txId === undefined) return;
  await client.post(`/v1/withdrawals/${txId}/${random() < 0.8 ? 'confirm-cash' : 'void'}`);
}

t.test(
  `${KILLS} SIGKILLs during transactions, then everything settles and totals match`,
  { timeout: 880_000 },
  async (t) => {
    let selfKillsMissed = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const t0 = Date.now();
      const killAt: KillPoint = {
        site: killSites[Math.floor(random() * killSites.length)]!,
        nth: 1 + Math.floor(random() * 12),
      };
      // The child dies by itself at its kill point: possibly while it settles the last round's
      // withdrawals at start-up, before READY or before it is online.
      const started = startChild(killAt);
      const child = live!;
      let dead = false;
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      }).then(() => {
        dead = true;
      });
      await started.catch(() => undefined);
      if (child.exitCode !== null)
        throw new Error(`child ${kill} exited by itself (${child.exitCode}), not killed`);
      const t1 = Date.now();
      // Wait for the link and the retained HQ config, so the kill lands inside transactions.
      for (let waited = 0; !dead; waited += 1) {
        const s = (await client.get('/v1/status').catch(() => null))?.body as
          | { configVersion: number; link: string }
          | undefined;
        // The first start needs the link (retained config); later ones have it in the journal and
        // run partly offline, so kills also land in withdrawals waiting for an answer.
        if (s !== undefined && s.configVersion > 0 && (kill > 0 || s.link === 'online')) break;
        if (waited > 500) throw new Error(`child ${kill} never online: ${JSON.stringify(s)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (process.env.KIOSK_KILL_TRACE) t.comment(`ready ${t1 - t0} ms, online ${Date.now() - t1} ms`);
      // Transactions run until the child dies at its kill point (bounded).
      for (let n = 0; n < roundTransactionsMax && !dead; n += 1)
        await oneTransaction().catch(() => undefined);
      if (!dead) selfKillsMissed += 1;
      await killed(child);
      await exited;
    }
    const child = await startChild();
    const status = async () =>
      (await client.get('/v1/status')).body as {
        lastEventSeq: number;
        outboxDepth: number;
        openTransactions: number;
      };
    await fakeHq.until(() => fakeHq.contiguousSeq() > 0);
    for (let waited = 0; ; waited += 1) {
      const s = await status();
      if (s.outboxDepth === 0 && fakeHq.contiguousSeq() === s.lastEventSeq) break;
      if (waited > 1200)
        throw new Error(`never drained: ${JSON.stringify(s)}, HQ contiguous ${fakeHq.contiguousSeq()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.equal(selfKillsMissed, 0, 'every round died at its seeded kill point (none needed the fallback kill)');
    const final = await status();
    t.equal(final.openTransactions, 0, 'no withdrawal left hanging');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    live = null;

    const db = new KioskDb({ path: dbPath, readOnly: true });
    t.teardown(() => db.close());
    t.equal(db.verify().ok, true, 'journal hash chain intact after all kills');
    t.equal(fakeHq.stored.size, db.headSeq(), 'HQ stored every event exactly once, no gap');
    const chain = fakeHq.chainReport();
    t.same(chain.broken, [], 'every event links to the envelope of the event before it, across kills');
    t.equal(chain.unlinked, 1, 'only seq 1 has no predecessor');
    let kioskBills = 0;
    let kioskPosted = 0;
    for (const row of db.rows()) {
      const payload = JSON.parse(row.payloadJson) as { amountFen?: number };
      if (row.kind === 'bill.paid') kioskBills += payload.amountFen ?? 0;
      if (row.kind === 'withdrawal.posted') kioskPosted += payload.amountFen ?? 0;
    }
    const hqSum = (type: number) =>
      [...fakeHq.stored.values()].filter((e) => e.type === type).reduce((sum, e) => sum + e.amountFen, 0);
    t.equal(hqSum(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT), kioskBills, 'bill payment totals: HQ = kiosk');
    t.equal(
      hqSum(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED),
      kioskPosted,
      'posted withdrawal totals: HQ = kiosk',
    );
    const ended = new Set(
      [...fakeHq.stored.values()]
        .filter((e) =>
          [
            PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED,
            PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED,
            PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED,
          ].includes(e.type),
        )
        .map((e) => e.transactionId),
    );
    const hanging = [...fakeHq.approved].filter((txId) => !ended.has(txId));
    t.same(hanging, [], 'every withdrawal HQ approved is posted, voided or reversed at HQ');
    for (const txId of hanging) {
      t.comment(
        `${txId}: journal ${db
          .rowsOfTx(txId)
          .map((row) => `${row.kind}#${row.eventSeq}`)
          .join(' ')}`,
      );
      t.comment(
        `  HQ: ${[...fakeHq.stored.values()]
          .filter((e) => e.transactionId === txId)
          .map((e) => `${e.type}#${e.seq}`)
          .join(' ')}`,
      );
    }
    t.comment(`journal rows ${db.rowCount()}, events ${db.headSeq()}, HQ approvals ${fakeHq.approved.size}`);
  },
);
