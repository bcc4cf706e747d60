// The OperationsStore contract (ports/operations-store.ts), run against any adapter: pass a
// factory that makes an empty store (and a cleanup). Used by operations-store.test.ts for the memory
// and SQLite adapters; a PostgreSQL adapter runs the same function.
import type { Test } from 'tap';
import { HqError } from '../../src/errors.js';
import type { OperationDraft, OperationsStore } from '../../src/ports/operations-store.js';

export interface StoreUnderTest {
  readonly store: OperationsStore;
  close(): Promise<void>;
}

function draft(overrides: Partial<OperationDraft> = {}): OperationDraft {
  return {
    aggregateId: 'station:S1',
    kind: 'proposed',
    payload: { branchId: 'B1', name: '东街便民站' },
    actor: 'alice',
    atMs: 1_790_000_000_000,
    reason: '',
    idempotencyKey: 'k-1',
    ...overrides,
  };
}

export function operationsStoreContract(t: Test, name: string, factory: () => Promise<StoreUnderTest>): void {
  const withStore = (title: string, body: (store: OperationsStore, t: Test) => Promise<void>): void => {
    t.test(`${name}: ${title}`, async (t) => {
      const under = await factory();
      try {
        await body(under.store, t);
      } finally {
        await under.close();
      }
    });
  };

  withStore(
    'append gives consecutive versions and increasing positions; read returns them in order',
    async (store, t) => {
      const first = await store.append(draft(), 0);
      const second = await store.append(
        draft({ kind: 'surveyed', idempotencyKey: 'k-2', payload: { ok: true } }),
        1,
      );
      const other = await store.append(draft({ aggregateId: 'station:S2', idempotencyKey: 'k-3' }), 0);
      t.ok(first.ok && second.ok && other.ok);
      if (!(first.ok && second.ok && other.ok)) return;
      t.same([first.record.version, second.record.version, other.record.version], [1, 2, 1]);
      t.ok(first.record.position < second.record.position && second.record.position < other.record.position);
      const records = await store.read('station:S1');
      t.same(
        records.map((r) => r.kind),
        ['proposed', 'surveyed'],
      );
      t.same(records[0]!.payload, { branchId: 'B1', name: '东街便民站' });
      t.equal(records[0]!.actor, 'alice');
      t.same(await store.read('station:none'), []);
    },
  );

  withStore(
    'readMany: each named aggregate by version in one read, absent ones left out, a limit on the names',
    async (store, t) => {
      await store.append(draft(), 0);
      await store.append(draft({ aggregateId: 'alert:7', kind: 'assigned', idempotencyKey: 'k-a1' }), 0);
      await store.append(draft({ kind: 'surveyed', idempotencyKey: 'k-2' }), 1);
      await store.append(draft({ aggregateId: 'alert:7', kind: 'closed', idempotencyKey: 'k-a2' }), 1);
      const many = await store.readMany(['alert:7', 'station:S1', 'alert:8']);
      t.same(
        [...many.keys()].sort(),
        ['alert:7', 'station:S1'],
        'the aggregates that have records, no entry for alert:8',
      );
      t.same(
        many.get('alert:7')?.map((r) => [r.kind, r.version]),
        [
          ['assigned', 1],
          ['closed', 2],
        ],
        "alert:7's records by version",
      );
      t.same(
        many.get('station:S1')?.map((r) => r.kind),
        (await store.read('station:S1')).map((r) => r.kind),
        'the same records as read() of one aggregate',
      );
      t.equal((await store.readMany([])).size, 0, 'no names: an empty map');
      await t.rejects(
        store.readMany(Array.from({ length: 501 }, (_, i) => `alert:${i}`)),
        { code: 'HQ_STORE_FAILED' },
        'more than opsReadManyAggregatesMax names refused',
      );
    },
  );

  withStore('a stale expected version is HQ_OPS_VERSION_CONFLICT and writes nothing', async (store, t) => {
    await store.append(draft(), 0);
    const stale = await store.append(draft({ idempotencyKey: 'k-2', kind: 'surveyed' }), 0);
    t.same(stale, { ok: false, code: 'HQ_OPS_VERSION_CONFLICT', currentVersion: 1 });
    const ahead = await store.append(draft({ idempotencyKey: 'k-3' }), 5);
    t.equal(ahead.ok ? '' : ahead.code, 'HQ_OPS_VERSION_CONFLICT');
    t.equal((await store.read('station:S1')).length, 1);
  });

  withStore(
    'the same idempotency key: same content returns the first record, other content is a conflict',
    async (store, t) => {
      const first = await store.append(draft(), 0);
      const retry = await store.append(draft({ atMs: 1_790_000_000_999, actor: 'bob' }), 0);
      t.ok(first.ok && retry.ok && retry.duplicate);
      if (first.ok && retry.ok) t.same(retry.record, first.record);
      const conflict = await store.append(draft({ payload: { branchId: 'B2' } }), 1);
      t.equal(conflict.ok ? '' : conflict.code, 'HQ_OPS_IDEMPOTENCY_CONFLICT');
      t.equal((await store.read('station:S1')).length, 1);
    },
  );

  withStore('a malformed draft throws HQ_OPS_RECORD_INVALID naming every field', async (store, t) => {
    let caught: unknown;
    try {
      await store.append(draft({ aggregateId: 'nocolon', actor: '', atMs: -1, kind: 'Bad Kind' }), -1);
    } catch (error) {
      caught = error;
    }
    t.ok(caught instanceof HqError && caught.code === 'HQ_OPS_RECORD_INVALID');
    const fields = caught instanceof HqError ? caught.problems.map((p) => p.field) : [];
    t.same(fields.sort(), ['actor', 'aggregateId', 'atMs', 'expectedVersion', 'kind']);
  });

  withStore(
    'U+0000 in actor or reason is HQ_OPS_RECORD_INVALID (no store can hold it alike)',
    async (store, t) => {
      let caught: unknown;
      try {
        await store.append(draft({ actor: 'ali\u0000ce', reason: 'why\u0000' }), 0);
      } catch (error) {
        caught = error;
      }
      t.ok(caught instanceof HqError && caught.code === 'HQ_OPS_RECORD_INVALID');
      t.same(caught instanceof HqError ? caught.problems.map((p) => p.field).sort() : [], [
        'actor',
        'reason',
      ]);
      t.same(await store.read('station:S1'), [], 'nothing written');
    },
  );

  withStore('list filters by aggregate prefix and instant, pages by position', async (store, t) => {
    for (let index = 0; index < 5; index++) {
      await store.append(
        draft({ aggregateId: `station:S_${index}`, idempotencyKey: `s-${index}`, atMs: 1000 + index }),
        0,
      );
      await store.append(
        draft({ aggregateId: `complaint:C${index}`, idempotencyKey: `c-${index}`, atMs: 1000 + index }),
        0,
      );
    }
    const stations = await store.list({ aggregatePrefix: 'station:' });
    t.equal(stations.length, 5);
    t.ok(stations.every((r) => r.aggregateId.startsWith('station:')));
    // '_' is not a wildcard in a prefix.
    t.equal((await store.list({ aggregatePrefix: 'station:S_1' })).length, 1);
    const window = await store.list({ fromAtMs: 1001, toAtMs: 1003 });
    t.same(
      window.map((r) => r.atMs),
      [1001, 1001, 1002, 1002],
    );
    const page1 = await store.list({ limit: 3 });
    const page2 = await store.list({ limit: 3, afterPosition: page1.at(-1)!.position });
    t.equal(page1.length + page2.length, 6);
    t.ok(page2[0]!.position > page1[2]!.position);
  });

  withStore('concurrent appends at one version: exactly one wins', async (store, t) => {
    const outcomes = await Promise.all(
      [0, 1, 2, 3].map((index) => store.append(draft({ idempotencyKey: `race-${index}` }), 0)),
    );
    t.equal(outcomes.filter((o) => o.ok).length, 1);
    t.equal((await store.read('station:S1')).length, 1);
  });
}
