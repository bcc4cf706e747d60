// Goal: on PostgreSQL a station-control write and the audit row recording it are one transaction
// (issue 11): when the audit append fails nothing of the write is left (no suspension stored, the
// running gateway not told), and when the write fails no audit row is left; with both working,
// both are there. Method: the API fixture on a PostgreSQL database of its own, real HTTP; a
// failure is injected by a trigger on the real table (hq_audit, then station_suspensions) that
// raises for the one action under test, dropped after.
import pg from 'pg';
import t from 'tap';
import { startApiFixture } from './helpers/api-fixture.js';

t.test('suspend: the write and its audit row commit together or not at all', async (t) => {
  const api = await startApiFixture({ store: 'postgres' });
  t.teardown(() => api.close());
  const url = (api.hq.storeConfig as { url: string }).url;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.teardown(() => db.end());
  await db.query(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected failure on %', TG_TABLE_NAME; END; $$`);
  const suspend = () =>
    api.call('POST', '/api/v1/stations/S2/suspend', {
      token: api.tokens.market,
      body: { reason: '现场检查发现问题' },
    });
  const stored = async () => ({
    suspensions: (
      await db.query("SELECT count(*)::int AS n FROM station_suspensions WHERE station_id = 'S2'")
    ).rows[0].n as number,
    audits: (await db.query("SELECT count(*)::int AS n FROM hq_audit WHERE action = 'station.suspend'"))
      .rows[0].n as number,
  });

  await db.query(`CREATE TRIGGER refuse_audit BEFORE INSERT ON hq_audit FOR EACH ROW
    WHEN (NEW.action = 'station.suspend') EXECUTE FUNCTION test_refuse()`);
  const auditFails = await suspend();
  t.equal(auditFails.status, 503, 'the audit append failed');
  t.equal(auditFails.json.code, 'HQ_STORE_FAILED');
  t.same(await stored(), { suspensions: 0, audits: 0 }, 'no suspension without its audit row');
  t.equal(api.hq.gateway.pipeline.suspension('S2'), null, 'the running gateway was not told');
  await db.query('DROP TRIGGER refuse_audit ON hq_audit');

  await db.query(`CREATE TRIGGER refuse_write BEFORE INSERT ON station_suspensions FOR EACH ROW
    EXECUTE FUNCTION test_refuse()`);
  const writeFails = await suspend();
  t.equal(writeFails.status, 503, 'the write failed');
  t.equal(writeFails.json.code, 'HQ_STORE_FAILED');
  t.same(await stored(), { suspensions: 0, audits: 0 }, 'no audit row for a write that did not happen');
  t.equal(api.hq.gateway.pipeline.suspension('S2'), null);
  await db.query('DROP TRIGGER refuse_write ON station_suspensions');

  const works = await suspend();
  t.equal(works.status, 200, JSON.stringify(works.json));
  t.same(await stored(), { suspensions: 1, audits: 1 }, 'both, once both work');
  t.match(api.hq.gateway.pipeline.suspension('S2'), { reasonCode: 'HQ_STATION_SUSPENDED_BY_OPERATOR' });
  const verified = await api.call('GET', '/api/v1/audit/verify', { token: api.tokens.supervision });
  t.match(verified.json, { ok: true }, 'the chain verifies after the rolled-back attempts');
});
