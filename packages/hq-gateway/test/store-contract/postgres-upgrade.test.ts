// Goal: a database of the previous release (migrations 0001 and 0002 only, with stations, events,
// a discrepancy with its judgement key, a suspension and a lifted one in it) upgrades to the newest
// schema with its data intact, and the tables the upgrade adds (users, sessions, audit chain,
// alerts, operations log, R8 checks) work on it at once; an empty database reaches the same
// version. Method: a PostgreSQL database of its own per case on 127.0.0.1:5432, dropped after; the
// old rows are written with the old release's columns by plain SQL.
import t from 'tap';
import { openPool } from '../../src/adapters/postgres/connection.js';
import { loadMigrations, migrate } from '../../src/adapters/postgres/migrate.js';
import { verifyAuditChain } from '../../src/domain/audit-chain.js';
import { openHqStore } from '../../src/main.js';
import { eventOf, stationOf } from './contract.js';
import { createTestDatabase } from './factories.js';

const newest = Math.max(...loadMigrations().map((m) => m.version));

t.test('from the previous release (0001 + 0002, with rows) to the newest: data kept', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const pool = openPool(database.url);
  const old = await migrate(pool, { targetVersion: 2 });
  t.same(
    old.applied.map((m) => m.version),
    [1, 2],
  );
  const s = stationOf('OLD1');
  await pool.query(
    `INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
       pin_pad_serial, token_serial, enrolled_at_ms, acked_seq, online, last_seen_ms, offline_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, FALSE, 77, 'silence')`,
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
  const event = eventOf('OLD1', 1, { businessDate: '2026-11-03', amountFen: 4_200 });
  await pool.query(
    `INSERT INTO events (event_id, station_id, seq, kind, created_at_ms, business_date, business_type,
       transaction_id, amount_fen, fee_fen, quota_fen_after, detail_json, envelope, envelope_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      event.eventId,
      event.stationId,
      event.seq,
      event.kind,
      event.createdAtMs,
      event.businessDate,
      event.businessType,
      event.transactionId,
      event.amountFen,
      event.feeFen,
      event.quotaFenAfter,
      JSON.stringify(event.detail),
      Buffer.from(event.envelope),
      event.envelopeSha256,
    ],
  );
  await pool.query(
    `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms, judgement_key)
     VALUES ('OLD1', $1, 'HQ_DISCREPANCY_QUOTA_MISMATCH', '1', '2', 'old', 5, 'judged-once')`,
    [event.eventId],
  );
  await pool.query(
    `INSERT INTO station_resumptions (station_id, reason_code, detail, since_ms, resumed_at_ms, resumed_by, reason)
     VALUES ('OLD1', 'HQ_STATION_SUSPENDED', 'old', 3, 4, 'ops', '修复后恢复')`,
  );
  await pool.end();

  const opened = await openHqStore({ kind: 'postgres', url: database.url });
  try {
    const store = opened.store as { migration?: { applied: ReadonlyArray<{ version: number }> } };
    t.same(
      store.migration?.applied.map((m) => m.version),
      loadMigrations()
        .map((m) => m.version)
        .filter((v) => v > 2),
      'only the new migrations applied',
    );
    t.same(await opened.store.eventsOfStation('OLD1'), [event], 'the old event reads back unchanged');
    t.match(await opened.store.loadStatuses(), [
      { stationId: 'OLD1', offlineReason: 'silence', lastSeenMs: 77 },
    ]);
    t.match(await opened.integrity.resumptions('OLD1'), [{ resumedBy: 'ops', reason: '修复后恢复' }]);
    t.equal((await opened.store.counts()).discrepancies, 1);
    t.same(await opened.facts.monthlyRevenue('2026-11'), [
      { stationId: 'OLD1', businessType: 'BILL_PAYMENT', revenueFen: 4_200 },
    ]);
    // The new tables work on the upgraded database.
    await opened.ops.appendAudit({
      atMs: 1,
      actor: 'cli:root',
      role: 'cli',
      action: 'schema.upgrade',
      target: '',
      outcome: 'ok',
      detail: { to: newest },
    });
    t.ok(verifyAuditChain(await opened.ops.auditChain()).ok);
    t.equal(await opened.ops.stationControlVersion(), '');
    const appended = await opened.operations.append(
      {
        aggregateId: 'station:OLD1',
        kind: 'proposed',
        payload: {},
        actor: 'market',
        atMs: 1,
        reason: '',
        idempotencyKey: 'upgrade-1',
      },
      0,
    );
    t.ok(appended.ok);
    t.equal(
      (
        await opened.ops.openAlert({
          kind: 'HQ_ALERT_STATION_OFFLINE',
          stationId: 'OLD1',
          detail: '离线',
          openedAtMs: 1,
          deliveryState: 'none',
        })
      ).outcome,
      'opened',
    );
  } finally {
    await opened.close();
  }
});

t.test('from an empty database: the newest version, every HQ table present', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const pool = openPool(database.url);
  t.teardown(() => pool.end());
  const report = await migrate(pool);
  t.equal(report.version, newest);
  const tables = (
    await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
  ).rows.map((r: { table_name: string }) => r.table_name);
  for (const table of [
    'hq_users',
    'hq_sessions',
    'hq_audit',
    'hq_alerts',
    'hq_station_branches',
    'operations',
    'reality_checks',
    'reality_differences',
  ])
    t.ok(tables.includes(table), table);
});
