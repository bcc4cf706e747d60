// Goal: the station network's operations log, the R8 reality store and the network facts keep the
// same promises on SQLite and PostgreSQL (the memory operations store runs the same contract in
// operations-store.test.ts), and on PostgreSQL several HQ processes share them safely: two pools
// appending at the same expectedVersion store one record (the others get HQ_OPS_VERSION_CONFLICT),
// a retried key from another process is its duplicate, the log refuses UPDATE, DELETE and TRUNCATE
// (R17), two processes saving the same reality check record each difference once. Method: a temp
// SQLite file or a PostgreSQL database of its own per case (hq-port-factories.ts), dropped after.
import type pg from 'pg';
import t, { type Test } from 'tap';
import type { RealityDifference } from '../../src/domain/reality-check.js';
import type { OperationDraft } from '../../src/ports/operations-store.js';
import type { RealityCheckRecord } from '../../src/ports/reality.js';
import { operationsStoreContract } from '../helpers/operations-store-contract.js';
import { batchOf, eventOf, stationOf } from './contract.js';
import { type HqPorts, type HqPortsFactory, postgresPorts, sqlitePorts } from './hq-port-factories.js';

for (const factory of [sqlitePorts, postgresPorts]) {
  operationsStoreContract(t, factory.name, async () => {
    const instance = await factory.create();
    const ports = await instance.open();
    return {
      store: ports.operations,
      async close() {
        await ports.close();
        await instance.remove();
      },
    };
  });
}

function withPorts(
  t: Test,
  factory: HqPortsFactory,
  title: string,
  body: (ports: HqPorts, t: Test, second: () => Promise<HqPorts>) => Promise<void>,
): void {
  t.test(`${factory.name}: ${title}`, async (t) => {
    const instance = await factory.create();
    t.teardown(() => instance.remove());
    const handles: HqPorts[] = [];
    const open = async (): Promise<HqPorts> => {
      const handle = await instance.open();
      handles.push(handle);
      return handle;
    };
    try {
      await body(await open(), t, open);
    } finally {
      for (const handle of handles.reverse()) await handle.close();
    }
  });
}

const draft = (index: number): OperationDraft => ({
  aggregateId: 'station:S1',
  kind: 'surveyed',
  payload: { by: `process-${index}` },
  actor: `operator-${index}`,
  atMs: 1_790_000_000_000,
  reason: '',
  idempotencyKey: `survey-${index}`,
});

const difference = (reference: string, expectedFen: number | null): RealityDifference => ({
  code: 'HQ_RECON_BANK_MISSING',
  reference,
  expectedFen,
  actualFen: null,
  reasonZh: `银行无此笔取款 ${reference}`,
});

const check = (differences: RealityDifference[], checkedAtMs: number): RealityCheckRecord => ({
  stationId: 'S1',
  businessDate: '2026-12-04',
  triggerEventId: `close-${checkedAtMs}`,
  checkedAtMs,
  hqPostedCount: 2,
  hqPostedFen: 20_200,
  bankPostedCount: 1,
  bankPostedFen: null,
  expectedCashFen: 9_007_199_254_740,
  declaredCashFen: null,
  differences,
});

for (const factory of [sqlitePorts, postgresPorts]) {
  withPorts(
    t,
    factory,
    'two processes at one expectedVersion: exactly one wins',
    async (ports, t, second) => {
      const other = await second();
      await ports.operations.append({ ...draft(0), kind: 'proposed', idempotencyKey: 'proposed' }, 0);
      const outcomes = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((index) =>
          (index % 2 === 0 ? ports : other).operations.append(draft(index), 1),
        ),
      );
      const winners = outcomes.filter((o) => o.ok);
      t.equal(winners.length, 1, 'one append stored');
      t.same(
        outcomes.filter((o) => !o.ok),
        Array.from({ length: 5 }, () => ({ ok: false, code: 'HQ_OPS_VERSION_CONFLICT', currentVersion: 2 })),
        'every other one is the conflict outcome with the version it lost to',
      );
      const records = await other.operations.read('station:S1');
      t.same(
        records.map((r) => r.version),
        [1, 2],
      );
      const winner = winners[0];
      if (winner?.ok !== true) return;
      const retried = await other.operations.append(
        { ...draft(Number(winner.record.actor.split('-')[1])), atMs: 1_790_000_009_999 },
        1,
      );
      t.same(retried, { ok: true, record: winner.record, duplicate: true }, 'a retry from the other process');
    },
  );

  withPorts(
    t,
    factory,
    'reality checks: each difference recorded once, a discrepancy each',
    async (ports, t, second) => {
      const other = await second();
      const first = await ports.reality.saveRealityCheck(check([difference('R1', 10_100)], 1000));
      t.same(first, [difference('R1', 10_100)]);
      // Two processes checking the same day again at once (a late drawer count on both).
      const [a, b] = await Promise.all([
        ports.reality.saveRealityCheck(check([difference('R1', 10_100), difference('R2', null)], 2000)),
        other.reality.saveRealityCheck(check([difference('R1', 10_100), difference('R2', null)], 2001)),
      ]);
      t.same(
        [...a, ...b].map((d) => d.reference),
        ['R2'],
        'R2 recorded by exactly one of them',
      );
      const day = (await other.reality.realityDays('2026-12-04')).get('S1');
      t.same(
        day?.differences.map((d) => [d.reference, d.expectedFen, d.actualFen]),
        [
          ['R1', 10_100, null],
          ['R2', null, null],
        ],
      );
      t.equal(day?.latest.expectedCashFen, 9_007_199_254_740, 'a large fen amount reads back exactly');
      t.equal(day?.latest.bankPostedFen, null);
      t.ok(day?.latest.checkedAtMs === 2000 || day?.latest.checkedAtMs === 2001, 'the latest run');
      t.equal((await ports.store.counts()).discrepancies, 2, 'one discrepancy row per new difference');
      t.same(await ports.reality.realityDays('2026-12-05'), new Map());
    },
  );

  withPorts(
    t,
    factory,
    'network facts: month revenue and fee events from stored events',
    async (ports, t) => {
      await ports.store.enrolStation(stationOf('S1'));
      await ports.store.enrolStation(stationOf('S2'));
      await ports.store.commitBatch(
        batchOf({
          events: [
            eventOf('S1', 1, { amountFen: 10_000 }),
            eventOf('S1', 2, { kind: 'MOBILE_TOPUP', businessType: 'MOBILE_TOPUP', amountFen: 5_000 }),
            eventOf('S1', 3, { amountFen: 2_500, feeFen: 100 }),
            eventOf('S1', 4, { amountFen: 7_000, businessDate: '2026-11-30' }),
            eventOf('S2', 1, { amountFen: 1 }),
          ],
        }),
      );
      t.same(await ports.facts.monthlyRevenue('2026-12'), [
        { stationId: 'S1', businessType: 'BILL_PAYMENT', revenueFen: 12_500 },
        { stationId: 'S1', businessType: 'MOBILE_TOPUP', revenueFen: 5_000 },
        { stationId: 'S2', businessType: 'BILL_PAYMENT', revenueFen: 1 },
      ]);
      t.same(await ports.facts.monthlyRevenue('2026-10'), []);
      const fees = await ports.facts.feeEvents('S1', '2026-12');
      t.same(
        fees.map((f) => [f.eventId, f.businessType, f.feeFen]),
        [
          ['S1-e1', 'BILL_PAYMENT', 0],
          ['S1-e2', 'MOBILE_TOPUP', 0],
          ['S1-e3', 'BILL_PAYMENT', 100],
        ],
      );
      t.equal(fees[0]?.atMs, eventOf('S1', 1).createdAtMs, "the kiosk's signed instant");
    },
  );
}

t.test('postgres: the operations log refuses UPDATE, DELETE and TRUNCATE (R17)', async (t) => {
  const instance = await postgresPorts.create();
  t.teardown(() => instance.remove());
  const ports = await instance.open();
  t.teardown(() => ports.close());
  t.ok((await ports.operations.append(draft(1), 0)).ok);
  const database = (ports.store as unknown as { pool: pg.Pool }).pool;
  for (const sql of ["UPDATE operations SET actor = 'x'", 'DELETE FROM operations', 'TRUNCATE operations']) {
    await t.rejects(database.query(sql), /append-only and kept at least 6 years/, sql);
  }
  t.equal((await ports.operations.read('station:S1')).length, 1);
});

t.test('postgres: a store that fails is HQ_STORE_FAILED with the cause, never a crash', async (t) => {
  const instance = await postgresPorts.create();
  t.teardown(() => instance.remove());
  const closed = await instance.open();
  // The pool is gone under the caller (shut down, or its server unreachable).
  await closed.close();
  await t.rejects(closed.ops.auditChain(), { code: 'HQ_STORE_FAILED' });
  await t.rejects(
    closed.ops.appendAudit({
      atMs: 1,
      actor: 'a',
      role: 'cli',
      action: 'x',
      target: '',
      outcome: 'ok',
      detail: {},
    }),
    { code: 'HQ_STORE_FAILED' },
  );
  await t.rejects(closed.operations.append(draft(1), 0), { code: 'HQ_STORE_FAILED' });
  await t.rejects(closed.operations.read('station:S1'), { code: 'HQ_STORE_FAILED' });
  await t.rejects(closed.reality.realityDays('2026-12-04'), { code: 'HQ_STORE_FAILED' });
  await t.rejects(closed.facts.monthlyRevenue('2026-12'), { code: 'HQ_STORE_FAILED' });
});
