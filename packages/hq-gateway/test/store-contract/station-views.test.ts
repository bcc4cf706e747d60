// Goal: the station list and a station's page as store queries (ports/station-view-store.ts) give
// exactly what the in-memory reference gives (every station read, filtered, sorted and paged in
// JS: adapters/memory/station-view-store.ts), on SQLite and on PostgreSQL, for every combination of
// branch scope, state, branch filter, search and page; a branch scope never yields another
// branch's station. Method: one seeded network of 40 stations (links, suspensions, a revoked key,
// branches, events, discrepancies) written through the ordinary ports to a temp SQLite file and to
// a PostgreSQL database of its own (dropped after), then a grid of queries compared with the
// reference over the same data, plus explicit expectations for the cases that matter most.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { MemoryStationViewStore } from '../../src/adapters/memory/station-view-store.js';
import { PostgresOpsStore } from '../../src/adapters/postgres/ops-store.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { PostgresStationViewStore } from '../../src/adapters/postgres/station-view-store.js';
import { SqliteIntegrityStore } from '../../src/adapters/sqlite/integrity-store.js';
import { SqliteOpsStore } from '../../src/adapters/sqlite/ops-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import {
  SqliteStationViewStore,
  stationViewSchemaSteps,
} from '../../src/adapters/sqlite/station-view-store.js';
import { type StationState, stationStates } from '../../src/domain/station-state.js';
import type { DiscrepancyRecord, StationStatus } from '../../src/domain/types.js';
import type { IntegrityStore } from '../../src/ports/integrity-store.js';
import type { OpsStore } from '../../src/ports/ops-store.js';
import type { StationViewQuery, StationViewStore } from '../../src/ports/station-view-store.js';
import type { Store } from '../../src/ports/store.js';
import { batchOf, eventOf, stationOf } from './contract.js';
import { createTestDatabase } from './factories.js';

interface Opened {
  readonly store: Store;
  readonly ops: OpsStore;
  readonly integrity: IntegrityStore;
  readonly views: StationViewStore;
  close(): Promise<void>;
}

interface Adapter {
  readonly name: string;
  open(): Promise<Opened>;
  remove(): Promise<void>;
}

async function sqliteAdapter(): Promise<Adapter> {
  const dir = mkdtempSync(join(tmpdir(), 'hq-views-'));
  const path = join(dir, 'hq.sqlite');
  return {
    name: 'sqlite',
    async open() {
      const store = new SqliteStore({ path });
      const ops = new SqliteOpsStore(store.db);
      return {
        store,
        ops,
        integrity: new SqliteIntegrityStore(store.db),
        views: new SqliteStationViewStore(store.db),
        close: () => store.close(),
      };
    },
    async remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresAdapter(): Promise<Adapter> {
  const database = await createTestDatabase();
  return {
    name: 'postgres',
    async open() {
      const store = await PostgresStore.open({ url: database.url });
      return {
        store,
        ops: new PostgresOpsStore(store.pool),
        integrity: store.integrity,
        views: new PostgresStationViewStore(store.pool),
        close: () => store.close(),
      };
    },
    remove: () => database.drop(),
  };
}

const stationCount = 40;
/** Mixed case and widths, so byte order and case-insensitive search are both exercised. */
const stationIdOf = (index: number): string =>
  index % 7 === 0
    ? `st${String(index).padStart(3, '0')}`
    : `S${String(index).padStart(index % 3 === 0 ? 2 : 3, '0')}`;

/** The seeded network: every kind of row the list shows. */
async function seed(opened: Opened): Promise<void> {
  const { store, ops, integrity } = opened;
  const statuses: StationStatus[] = [];
  for (let index = 0; index < stationCount; index += 1) {
    const stationId = stationIdOf(index);
    await store.enrolStation(stationOf(stationId));
    if (index % 4 !== 3) await ops.setStationBranch(stationId, `B${(index % 4) + 1}`);
    const link = index % 5;
    if (link !== 0)
      statuses.push({
        stationId,
        online: link <= 2,
        offlineReason: link === 3 ? 'silence' : link === 4 ? 'death' : null,
        lastSeenMs: 1_764_800_000_000 + index,
        bdSeq: 1,
        peripherals: [{ name: 'reader', ok: index % 6 !== 1, detail: '' }],
        outboxDepth: index,
      });
    if (index % 9 === 2)
      await integrity.suspend({ stationId, reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD', detail: 'seq', sinceMs: 5 });
    if (index % 11 === 4)
      await integrity.suspend({
        stationId,
        reasonCode: 'HQ_STATION_KEY_REVOKED',
        detail: 'lost',
        sinceMs: 6,
      });
  }
  const events = Array.from({ length: 25 }, (_, i) => eventOf('S001', i + 1));
  const discrepancies: DiscrepancyRecord[] = [1, 2, 3].flatMap((seq) =>
    ['S001', 'S002'].map((stationId) => ({
      stationId,
      eventId: `${stationId}-e${seq}`,
      code: 'HQ_FEE_MISMATCH',
      expected: '100',
      actual: String(seq),
      detail: `d${seq}`,
      foundAtMs: 7 + seq,
    })),
  );
  await store.commitBatch(batchOf({ events, statuses, discrepancies }));
}

function queries(): StationViewQuery[] {
  const out: StationViewQuery[] = [];
  for (const scope of [undefined, 'B1', 'B9'])
    for (const state of [undefined, ...stationStates])
      for (const branchId of [undefined, 'B2', 'B1'])
        for (const search of [undefined, 'ST0', '1', 'org-s00'])
          for (const [limit, offset] of [
            [50, 0],
            [4, 3],
          ] as const)
            out.push({
              ...(scope === undefined ? {} : { scopeBranchId: scope }),
              ...(state === undefined ? {} : { state }),
              ...(branchId === undefined ? {} : { branchId }),
              ...(search === undefined ? {} : { search }),
              limit,
              offset,
            });
  return out;
}

async function suite(t: Test, make: () => Promise<Adapter>): Promise<void> {
  const adapter = await make();
  const opened = await adapter.open();
  t.teardown(async () => {
    await opened.close();
    await adapter.remove();
  });
  await seed(opened);
  const reference = new MemoryStationViewStore(opened);
  const views = opened.views;

  await t.test(`${adapter.name}: every query of the grid equals the reference`, async (t) => {
    let differing = 0;
    let nonEmpty = 0;
    for (const query of queries()) {
      const got = await views.stationRows(query);
      const want = await reference.stationRows(query);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        differing += 1;
        if (differing <= 3) t.same(got, want, JSON.stringify(query));
      }
      if (want.items.length > 0) nonEmpty += 1;
    }
    t.equal(differing, 0, 'no query differs from the reference');
    t.ok(nonEmpty > 60, `the grid is not vacuous (${nonEmpty} queries with rows)`);
  });

  await t.test(`${adapter.name}: the whole list, its order, states and totals`, async (t) => {
    const all = await views.stationRows({ limit: 500, offset: 0 });
    t.equal(all.total, stationCount);
    const ids = all.items.map((r) => r.stationId);
    t.same(
      ids,
      [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      'byte order',
    );
    t.same([ids[0], ids.at(-1)], ['S001', 'st035'], 'upper case before lower case, then digit by digit');
    const states = new Set<StationState>(all.items.map((r) => r.state));
    t.same([...states].sort(), [...stationStates].sort(), 'the seed has every state');
    const revoked = all.items.find((r) => r.state === 'revoked');
    t.equal(revoked?.suspension?.reasonCode, 'HQ_STATION_KEY_REVOKED');
    const page = await views.stationRows({ limit: 7, offset: 35 });
    t.equal(page.total, stationCount, 'the total counts every match, not the page');
    t.same(page.items, all.items.slice(35, 42));
  });

  await t.test(`${adapter.name}: a branch scope never shows another branch's station`, async (t) => {
    const scoped = await views.stationRows({ scopeBranchId: 'B2', limit: 500, offset: 0 });
    t.ok(scoped.total > 0);
    t.ok(scoped.items.every((r) => r.branchId === 'B2'));
    const crossed = await views.stationRows({ scopeBranchId: 'B2', branchId: 'B1', limit: 500, offset: 0 });
    t.same(crossed, { total: 0, items: [] }, 'asking for another branch inside the scope finds nothing');
  });

  await t.test(`${adapter.name}: one station by key, its newest events and its discrepancies`, async (t) => {
    for (const stationId of ['S001', 'S002', 'st007', 'S04']) {
      t.same(await views.stationDetail(stationId), await reference.stationDetail(stationId), stationId);
    }
    t.equal(await views.stationDetail('NOPE'), undefined);
    const last = await views.lastEvents('S001', 20);
    t.same(
      last.map((e) => e.seq),
      Array.from({ length: 20 }, (_, i) => 25 - i),
      'the 20 newest, newest first',
    );
    t.same(last, await reference.lastEvents('S001', 20));
    t.same(await views.lastEvents('S002', 20), []);
    const found = await views.stationDiscrepancies('S002', 2);
    t.same(
      found.map((d) => d.actual),
      ['1', '2'],
      'the first two found, in order',
    );
    t.same(found, await reference.stationDiscrepancies('S002', 2));
  });
}

t.test('sqlite', (t) => suite(t, sqliteAdapter));
t.test('postgres', (t) => suite(t, postgresAdapter));

t.test('sqlite: the views schema step is versioned and applied once', async (t) => {
  const adapter = await sqliteAdapter();
  t.teardown(() => adapter.remove());
  const first = await adapter.open();
  await first.close();
  const again = await adapter.open();
  t.teardown(() => again.close());
  const db = (again.store as SqliteStore).db;
  const version = db.prepare("SELECT value FROM hq_meta WHERE key = 'schema.station_views'").get() as {
    value: string;
  };
  t.equal(Number(version.value), stationViewSchemaSteps.at(-1)?.version);
  const indexes = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]
  ).map((r) => r.name);
  t.ok(indexes.includes('hq_station_branches_by_branch'));
  t.ok(indexes.includes('discrepancies_by_station_id'));
});

t.test('postgres: migration 0004 gives the list its byte-order index and the planner uses it', async (t) => {
  const adapter = await postgresAdapter();
  const opened = await adapter.open();
  t.teardown(async () => {
    await opened.close();
    await adapter.remove();
  });
  const pool = (opened.store as PostgresStore).pool;
  const names = (await pool.query("SELECT indexname FROM pg_indexes WHERE tablename = 'stations'")).rows.map(
    (r: { indexname: string }) => r.indexname,
  );
  t.ok(names.includes('stations_by_id_bytes'));
  // With sequential scans priced out, the first page is read in index order, not sorted.
  const client = await pool.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const plan = (
      await client.query(
        'EXPLAIN SELECT station_id FROM stations s ORDER BY s.station_id COLLATE "C" LIMIT 50',
      )
    ).rows
      .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
      .join('\n');
    t.match(plan, /stations_by_id_bytes/);
    t.notMatch(plan, /Sort/);
  } finally {
    client.release();
  }
});
