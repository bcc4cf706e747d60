// Goal: ingest commits on their own thread and connection without hurting anything else: the
// bank's and the store's writes on the main connection wait for the commit thread's write lock
// instead of failing with SQLITE_BUSY; a commit after close, or after the thread died, fails
// with HQ_COMMIT_THREAD_FAILED; and the gateway stops (fatal) when its commit thread dies rather
// than dropping every batch. Method: a real SQLite file, the real commit thread and bank
// simulator; the gateway with a real Mosquitto (hq-fixture) for the fatal path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { BankSimulator } from '../src/adapters/bank-sim/bank-sim.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { IngestBatch } from '../src/ports/store.js';
import { startHqFixture } from './helpers/hq-fixture.js';

function quarantineBatch(rows: number): IngestBatch {
  const raw = new Uint8Array(2_000);
  return {
    events: [],
    quarantined: Array.from({ length: rows }, (_, index) => ({
      receivedAtMs: index,
      topic: 't',
      stationId: null,
      reasonCode: 'HQ_TOPIC_UNKNOWN',
      detail: 'x',
      sizeBytes: raw.length,
      raw,
      handledSeq: null,
    })),
    discrepancies: [],
    gapsOpened: [],
    gapFills: [],
    ackedSeqs: new Map(),
    statuses: [],
  };
}

t.test('main-connection writes wait for the commit thread instead of failing busy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-commit-thread-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ path: join(dir, 'hq.sqlite'), commitOnThread: true });
  await store.ready();
  const bank = new BankSimulator(store.db, new Uint8Array(16));
  const failures: string[] = [];
  let asked = 0;
  // Each round: a batch commit in flight on the thread while the main connection writes five
  // bank answers and reconciliations (read-then-write transactions), then the commit is awaited.
  for (let round = 0; round < 15; round += 1) {
    const commit = store.commitBatch(quarantineBatch(200)).catch((error: unknown) => {
      failures.push(`commit: ${String((error as { code?: string }).code ?? error)}`);
    });
    for (let write = 0; write < 5; write += 1) {
      try {
        await bank.authorise({
          requestId: `rq-${asked}`,
          transactionId: `tx-${asked}`,
          stationId: 'S1',
          pan: '6222020000000000001',
          pinBlock: new Uint8Array(16),
          amountFen: 100,
          feeFen: 100,
          businessDate: '2026-11-28',
          atMs: asked,
        });
        await store.saveReconciliation({
          stationId: 'S1',
          businessDate: '2026-11-28',
          closeEventId: `close-${asked}`,
          reconciledAtMs: asked,
          differences: [{ code: 'HQ_RECON_DIFFERENCE', detail: 'x' }],
        });
      } catch (error) {
        failures.push(String((error as { code?: string }).code ?? error));
      }
      asked += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await commit;
  }
  await store.close();
  t.same(failures, [], `${asked} bank answers and reconciliations written beside 15 thread commits`);
});

t.test('a commit after close is refused with HQ_COMMIT_THREAD_FAILED', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-commit-thread-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore({ path: join(dir, 'hq.sqlite'), commitOnThread: true });
  await store.ready();
  const thread = store.commitThread!;
  await store.close();
  await t.rejects(thread.commit({} as never), { code: 'HQ_COMMIT_THREAD_FAILED' });
});

t.test('the gateway stops (fatal) when its commit thread dies', async (t) => {
  const fx = await startHqFixture(['T1']);
  const [station] = fx.stations;
  const fatal = new Promise<Error>((resolve) => fx.gateway.pipeline.once('fatal', resolve));
  await (fx.gateway.store as SqliteStore).commitThread!.worker.terminate();
  fx.gateway.pipeline.handleMessage(
    upTopic('T1', 'event'),
    station!.billPayment(100, { quotaFenAfter: 0 }).bytes,
  );
  const error = await fatal;
  t.match(error, { code: 'HQ_COMMIT_THREAD_FAILED' });
  t.equal(fx.gateway.pipeline.counters.stored, 0, 'nothing stored');
  t.equal(fx.gateway.pipeline.counters.batchesDropped, 0, 'no batch dropped and resent in a loop');
  await t.rejects(fx.close(), { code: 'HQ_COMMIT_THREAD_FAILED' }, 'stop reports the fatal error');
  await fx.broker.close();
  rmSync(fx.dir, { recursive: true, force: true });
});
