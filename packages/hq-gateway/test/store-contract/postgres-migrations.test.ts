// Goal: HQ's PostgreSQL schema is versioned and forward-only, and the store is safe with several
// HQ processes on one database. Migrations: from an empty database; from the previous release's
// schema (only 0001, with data in it) to the newest, data kept; a changed applied migration
// (HQ_MIGRATION_CHANGED), a version this HQ lacks (HQ_MIGRATION_UNKNOWN), a misnamed or doubled
// file (HQ_MIGRATION_INVALID) and a failing one (HQ_MIGRATION_FAILED, rolled back) refused; two
// processes migrating at once; `hq migrate` with --json; the config's store kind
// (HQ_STORE_KIND_UNKNOWN). Several processes: two stores (two pools) committing the same events at
// once store each once, and an ack point never moves back. Method: a database of its own per case
// on 127.0.0.1:5432 (factories.ts), dropped after; no PostgreSQL = a failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { openPool } from '../../src/adapters/postgres/connection.js';
import { loadMigrations, migrate } from '../../src/adapters/postgres/migrate.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { runHq } from '../../src/cli/run.js';
import { checkHqConfig } from '../../src/config.js';
import { batchOf, eventOf, stationOf } from './contract.js';
import { createTestDatabase } from './factories.js';

async function withDatabase(t: Test, body: (url: string) => Promise<void>): Promise<void> {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  await body(database.url);
}

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.rows.map((r: { table_name: string }) => r.table_name);
  } finally {
    await client.end();
  }
}

t.test('migrations from an empty database: every file applied once, in order', async (t) => {
  await withDatabase(t, async (url) => {
    const files = loadMigrations();
    t.ok(files.length >= 2);
    t.same(
      files.map((m) => m.version),
      [...files.map((m) => m.version)].sort((a, b) => a - b),
    );
    const store = await PostgresStore.open({ url });
    t.same(
      store.migration?.applied.map((m) => m.name),
      files.map((m) => m.name),
    );
    t.equal(store.migration?.version, files.at(-1)?.version);
    await store.close();
    const again = await PostgresStore.open({ url });
    t.same(again.migration?.applied, [], 'nothing left to apply');
    t.equal(again.migration?.alreadyApplied, files.length);
    await again.close();
    t.ok((await tables(url)).includes('schema_migrations'));
  });
});

t.test('from the previous release (0001 only, with data) to the newest: data kept', async (t) => {
  await withDatabase(t, async (url) => {
    const pool = openPool(url);
    const report = await migrate(pool, { targetVersion: 1 });
    t.same(
      report.applied.map((m) => m.version),
      [1],
    );
    t.notOk((await tables(url)).includes('station_resumptions'), 'the previous release shape');
    // Data as the previous release wrote it (its columns only).
    const s = stationOf('OLD1');
    await pool.query(
      `INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
         pin_pad_serial, token_serial, enrolled_at_ms, acked_seq, online, last_seen_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 2, TRUE, 77)`,
      [
        s.stationId,
        s.orgCode,
        s.keyId,
        s.publicKeyPem,
        s.fingerprint,
        s.readerSerial,
        s.pinPadSerial,
        s.tokenSerial,
        s.enrolledAtMs,
      ],
    );
    const old = eventOf('OLD1', 1);
    await pool.query(
      `INSERT INTO events (event_id, station_id, seq, kind, created_at_ms, business_date, business_type,
         transaction_id, amount_fen, fee_fen, quota_fen_after, detail_json, envelope, envelope_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        old.eventId,
        old.stationId,
        old.seq,
        old.kind,
        old.createdAtMs,
        old.businessDate,
        old.businessType,
        old.transactionId,
        old.amountFen,
        old.feeFen,
        old.quotaFenAfter,
        JSON.stringify(old.detail),
        Buffer.from(old.envelope),
        old.envelopeSha256,
      ],
    );
    await pool.query(
      `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms)
       VALUES ('OLD1', $1, 'HQ_DISCREPANCY_QUOTA_MISMATCH', '1', '2', 'old', 5)`,
      [old.eventId],
    );
    await pool.query(
      "INSERT INTO station_suspensions (station_id, reason_code, detail, since_ms) VALUES ('OLD1', 'HQ_STATION_SUSPENDED', 'old', 3)",
    );
    await pool.end();

    const store = await PostgresStore.open({ url });
    try {
      t.same(
        store.migration?.applied.map((m) => m.version),
        loadMigrations()
          .map((m) => m.version)
          .filter((v) => v > 1),
      );
      t.same(await store.eventsOfStation('OLD1'), [old], 'the old event reads back unchanged');
      t.same(await store.loadSeqStates(), [{ stationId: 'OLD1', ackedSeq: 2, storedAbove: [] }]);
      t.match(await store.loadStatuses(), [
        { stationId: 'OLD1', online: true, offlineReason: null, lastSeenMs: 77 },
      ]);
      t.match(await store.stationAlerts(), [
        { stationId: 'OLD1', discrepancyCount: 1, suspension: { detail: 'old' } },
      ]);
      t.ok(await store.integrity.resume('OLD1', { resumedAtMs: 9, resumedBy: 'ops', reason: 'upgraded' }));
      t.equal((await store.integrity.resumptions('OLD1')).length, 1, 'the new table works on old data');
      await store.commitBatch(batchOf({ events: [eventOf('OLD1', 2)], ackedSeqs: new Map([['OLD1', 2]]) }));
      t.equal((await store.counts()).events, 2);
    } finally {
      await store.close();
    }
  });
});

t.test(
  'refused before anything is applied: changed, unknown, invalid; a failing one rolls back',
  async (t) => {
    await withDatabase(t, async (url) => {
      const pool = openPool(url);
      t.teardown(() => pool.end());
      const files = loadMigrations();
      await migrate(pool, { migrations: files });
      const edited = files.map((m) => (m.version === 1 ? { ...m, checksum: `${m.checksum.slice(1)}0` } : m));
      await t.rejects(migrate(pool, { migrations: edited }), { code: 'HQ_MIGRATION_CHANGED' });
      await t.rejects(migrate(pool, { migrations: files.slice(0, 1) }), { code: 'HQ_MIGRATION_UNKNOWN' });

      const next = Math.max(...files.map((m) => m.version)) + 1;
      const failing = {
        version: next,
        name: `${String(next).padStart(4, '0')}_broken.sql`,
        sql: 'CREATE TABLE half_made (id INT); SELECT no_such_column FROM stations;',
        checksum: 'x',
      };
      await t.rejects(migrate(pool, { migrations: [...files, failing] }), { code: 'HQ_MIGRATION_FAILED' });
      t.notOk((await tables(url)).includes('half_made'), 'the failed file left nothing');
      const versions = await pool.query('SELECT max(version) AS v FROM schema_migrations');
      t.equal(versions.rows[0]?.v, next - 1);

      const dir = mkdtempSync(join(tmpdir(), 'hq-migrations-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
      writeFileSync(join(dir, '0001_b.sql'), 'SELECT 1;');
      t.throws(() => loadMigrations(dir), { code: 'HQ_MIGRATION_INVALID' }, 'a number used twice');
      rmSync(join(dir, '0001_b.sql'));
      writeFileSync(join(dir, 'add-things.sql'), 'SELECT 1;');
      t.throws(() => loadMigrations(dir), { code: 'HQ_MIGRATION_INVALID' }, 'a misnamed file');
    });
  },
);

t.test('two processes migrating one database at once: one applies, the other finds it done', async (t) => {
  await withDatabase(t, async (url) => {
    const [a, b] = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    const applied = [a.migration?.applied.length ?? -1, b.migration?.applied.length ?? -1].sort();
    t.same(applied, [0, loadMigrations().length]);
    await a.close();
    await b.close();
  });
});

t.test('two processes on one database: the same events stored once, the ack point never back', async (t) => {
  await withDatabase(t, async (url) => {
    const a = await PostgresStore.open({ url });
    const b = await PostgresStore.open({ url });
    t.teardown(async () => {
      await a.close();
      await b.close();
    });
    for (const id of ['M1', 'M2']) await a.enrolStation(stationOf(id));
    t.equal(await b.enrolStation(stationOf('M1')), 'unchanged', 'enrolment is keyed in the database');
    const events = [
      ...[1, 2, 3].map((seq) => eventOf('M1', seq)),
      ...[1, 2].map((seq) => eventOf('M2', seq)),
    ];
    const discrepancy = {
      stationId: 'M1',
      eventId: 'M1-e2',
      code: 'HQ_DISCREPANCY_QUOTA_MISMATCH',
      expected: '1',
      actual: '2',
      detail: 'judged by both',
      foundAtMs: 5,
    };
    // Both processes commit the same events (one in the opposite station order) at the same time.
    const commits: Promise<void>[] = [];
    for (let round = 0; round < 10; round += 1) {
      commits.push(
        a.commitBatch(
          batchOf({
            events,
            discrepancies: [discrepancy],
            ackedSeqs: new Map([
              ['M1', 3],
              ['M2', 2],
            ]),
          }),
        ),
        b.commitBatch(
          batchOf({
            events: [...events].reverse(),
            discrepancies: [discrepancy],
            ackedSeqs: new Map([
              ['M2', 1],
              ['M1', 1],
            ]),
          }),
        ),
      );
    }
    await Promise.all(commits);
    t.equal((await a.counts()).events, 5, 'each event stored once');
    t.equal((await b.counts()).discrepancies, 1, 'the same judgement stored once');
    t.same(
      (await b.loadSeqStates()).map((s) => [s.stationId, s.ackedSeq]),
      [
        ['M1', 3],
        ['M2', 2],
      ],
      'the highest ack point stands',
    );
    t.same(
      (await b.eventsOfStation('M1')).map((e) => e.eventId),
      ['M1-e1', 'M1-e2', 'M1-e3'],
    );
  });
});

async function hq(...args: string[]) {
  let out = '';
  const code = await runHq(args, {
    out: (text) => {
      out += text;
    },
    err: () => undefined,
  });
  return { code, out };
}

t.test('hq migrate (--json); the store kind in the config', async (t) => {
  await withDatabase(t, async (url) => {
    const dir = mkdtempSync(join(tmpdir(), 'hq-migrate-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const base = { brokerUrl: 'mqtt://127.0.0.1:1', clientId: 'hq', hqKeyFile: 'k.pem', calendarDir: '.' };
    const configPath = join(dir, 'hq.json');
    writeFileSync(configPath, JSON.stringify({ ...base, store: { kind: 'postgres', url } }));
    const first = await hq('migrate', '--config', configPath, '--json');
    t.equal(first.code, 0, first.out);
    const result = JSON.parse(first.out).result;
    t.equal(result.store, 'postgres');
    t.equal(result.applied.length, loadMigrations().length);
    const second = await hq('migrate', '--config', configPath);
    t.equal(second.code, 0);
    t.match(second.out, /0 applied now/);

    const sqlitePath = join(dir, 'other.json');
    writeFileSync(sqlitePath, JSON.stringify({ ...base, store: { kind: 'sqlite', path: 'hq.sqlite' } }));
    t.match(JSON.parse((await hq('migrate', '--config', sqlitePath, '--json')).out).result, {
      store: 'sqlite',
    });

    writeFileSync(configPath, JSON.stringify({ ...base, store: { kind: 'mysql', url } }));
    const refused = await hq('migrate', '--config', configPath, '--json');
    t.equal(refused.code, 1);
    t.match(JSON.parse(refused.out).problems, [{ code: 'HQ_STORE_KIND_UNKNOWN', field: 'store.kind' }]);
  });
  t.throws(
    () =>
      checkHqConfig(
        { brokerUrl: 'mqtt://x', clientId: 'c', hqKeyFile: 'k', calendarDir: '.', store: { kind: 'redis' } },
        '/',
      ),
    {
      code: 'HQ_STORE_KIND_UNKNOWN',
    },
  );
  t.throws(
    () =>
      checkHqConfig(
        {
          brokerUrl: 'mqtt://x',
          clientId: 'c',
          hqKeyFile: 'k',
          calendarDir: '.',
          dbPath: 'a',
          store: { kind: 'sqlite', path: 'b' },
        },
        '/',
      ),
    { code: 'HQ_CONFIG_INVALID' },
    'store and dbPath together',
  );
  t.throws(
    () =>
      checkHqConfig(
        {
          brokerUrl: 'mqtt://x',
          clientId: 'c',
          hqKeyFile: 'k',
          calendarDir: '.',
          store: { kind: 'postgres', url: 'mysql://x' },
        },
        '/',
      ),
    { code: 'HQ_CONFIG_INVALID' },
  );
  const config = checkHqConfig(
    { brokerUrl: 'mqtt://x', clientId: 'c', hqKeyFile: 'k', calendarDir: '.', dbPath: 'hq.sqlite' },
    '/srv',
  );
  t.same(
    config.store,
    { kind: 'sqlite', path: '/srv/hq.sqlite' },
    'dbPath is the short form of a SQLite store',
  );
});
