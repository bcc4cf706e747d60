// Goal: hostile text reaches HQ's store the same way on SQLite and PostgreSQL over real HTTP: a
// login name holding U+0000 is an unknown user (401 HQ_AUTH_FAILED, never a 500 from a query that
// PostgreSQL refuses), its failed attempt is in the audit chain (U+0000 shown as U+FFFD) and the
// chain still verifies; an audit query with U+0000 finds nothing. Method: the API fixture on each
// store in turn (PostgreSQL: a database of its own, dropped after), fetch.
import t from 'tap';
import { startApiFixture } from './helpers/api-fixture.js';

for (const store of ['sqlite', 'postgres'] as const) {
  t.test(`${store}: U+0000 in a login name and an audit filter`, async (t) => {
    const api = await startApiFixture({ store });
    t.teardown(() => api.close());
    t.equal(api.hq.storeConfig.kind, store);
    const login = await api.call('POST', '/api/v1/session', {
      body: { user: 'u-admin\u0000', password: 'x' },
    });
    t.equal(login.status, 401);
    t.equal(login.json.code, 'HQ_AUTH_FAILED');
    const token = api.tokens.supervision;
    const rows = await api.call('GET', '/api/v1/audit?action=session.login&limit=100', { token });
    t.ok(
      rows.json.items.some(
        (r: { target: string; outcome: string }) =>
          r.target === 'u-admin\ufffd' && r.outcome === 'HQ_AUTH_FAILED',
      ),
      'the attempt is audited',
    );
    const verified = await api.call('GET', '/api/v1/audit/verify', { token });
    t.match(verified.json, { ok: true });
    const hostile = await api.call('GET', `/api/v1/audit?actor=${encodeURIComponent('u-\u0000')}&limit=5`, {
      token,
    });
    t.equal(hostile.status, 200, 'never an internal error');
    t.same(hostile.json.items, []);
  });
}
