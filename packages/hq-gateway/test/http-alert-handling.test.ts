// Goal: alerts are assigned to a user and closed with a reason through the API (issue 12), with
// their codes (HQ_ALERT_ASSIGNEE_UNKNOWN, HQ_ALERT_CLOSED, HQ_ALERT_NOT_FOUND for another branch's
// alert), audit rows and the handling listed with each alert; and the audit log pages newest first
// on the server with actor / action / date filters. Method: the gateway in-process on SQLite and
// on PostgreSQL (a database of its own, dropped after), real HTTP with one user per role; the
// assignments live in the operations log, so the same checks cover both adapters.
import t from 'tap';
import { foldAlertHandling } from '../src/domain/alert-handling.js';
import { type Any, startApiFixture } from './helpers/api-fixture.js';

for (const store of ['sqlite', 'postgres'] as const) {
  t.test(`alert handling and audit paging on ${store}`, async (t) => {
    const api = await startApiFixture({ store });
    t.teardown(() => api.close());
    const alerts = api.hq.gateway.api.alerts;
    const s1 = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S1', detail: 'low' });
    const s2 = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S2', detail: 'low' });
    if (s1 === undefined || s2 === undefined) throw new Error('two alerts opened');
    const post = (role: keyof typeof api.tokens, path: string, body: unknown) =>
      api.call('POST', path, { token: api.tokens[role], body });

    await t.test('assign: every reason at once, then to a user who sees the station', async (t) => {
      const unknown = await post('market', `/api/v1/alerts/${s1.alertId}/assign`, { assignee: 'nobody' });
      t.equal(unknown.status, 422);
      t.match(unknown.json, {
        code: 'HQ_ALERT_ASSIGNEE_UNKNOWN',
        problems: [{ code: 'HQ_ALERT_ASSIGNEE_UNKNOWN', field: 'assignee' }],
      });
      // u-branch is B1's: S2 (B2) is not theirs to handle.
      const otherBranch = await post('market', `/api/v1/alerts/${s2.alertId}/assign`, {
        assignee: 'u-branch',
      });
      t.equal(otherBranch.json.code, 'HQ_ALERT_ASSIGNEE_UNKNOWN', "another branch's user");
      const done = await post('market', `/api/v1/alerts/${s1.alertId}/assign`, {
        assignee: 'u-branch',
        reason: '请支局上门',
      });
      t.equal(done.status, 200);
      t.match(done.json.alert, { alertId: s1.alertId, assignedTo: 'u-branch', assignedBy: 'u-market' });
      const again = await post('supervision', `/api/v1/alerts/${s1.alertId}/assign`, {
        assignee: 'u-market',
      });
      t.match(again.json.alert, { assignedTo: 'u-market', assignedBy: 'u-supervision', version: 2 });
      const missing = await post('market', '/api/v1/alerts/999999/assign', { assignee: 'u-market' });
      t.equal(missing.json.code, 'HQ_ALERT_NOT_FOUND');
    });

    await t.test('close: a reason required; a branch user closes only its own', async (t) => {
      const noReason = await post('market', `/api/v1/alerts/${s1.alertId}/close`, {});
      t.equal(noReason.json.code, 'HQ_HTTP_REQUEST_INVALID', 'a closure needs its reason');
      const foreign = await post('branch', `/api/v1/alerts/${s2.alertId}/close`, { reason: '已处理' });
      t.equal(foreign.status, 404);
      t.equal(foreign.json.code, 'HQ_ALERT_NOT_FOUND', "another branch's alert is not found");
      const closed = await post('branch', `/api/v1/alerts/${s1.alertId}/close`, { reason: '已购买额度' });
      t.equal(closed.status, 200);
      t.match(closed.json.alert, {
        closedBy: 'u-branch',
        closeReason: '已购买额度',
        ackedBy: 'u-branch',
        assignedTo: 'u-market',
      });
      const twice = await post('market', `/api/v1/alerts/${s1.alertId}/close`, { reason: '再关' });
      t.equal(twice.status, 409);
      t.equal(twice.json.code, 'HQ_ALERT_CLOSED');
      const assignClosed = await post('market', `/api/v1/alerts/${s1.alertId}/assign`, {
        assignee: 'nobody',
      });
      t.same(
        assignClosed.json.problems.map((p: Any) => p.code),
        ['HQ_ALERT_CLOSED', 'HQ_ALERT_ASSIGNEE_UNKNOWN'],
        'R21: both reasons at once',
      );
      const open = await api.call('GET', '/api/v1/alerts?state=open', { token: api.tokens.market });
      t.same(
        open.json.items.map((a: Any) => a.stationId),
        ['S2'],
        'a closed alert leaves the open list',
      );
      const all = await api.call('GET', '/api/v1/alerts?state=all', { token: api.tokens.market });
      t.match(
        all.json.items.find((a: Any) => a.alertId === s1.alertId),
        { closedBy: 'u-branch', closeReason: '已购买额度', closedAtMs: Number },
        'the list carries the handling',
      );
    });

    await t.test('the list filtered closed / not yet closed, on the server', async (t) => {
      // A third alert acknowledged but not closed: 'acknowledged' holds it and the closed one,
      // 'unclosed' holds it and the open one, 'closed' only the closed one.
      const s3 = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S3', detail: 'low' });
      if (s3 === undefined) throw new Error('a third alert opened');
      t.equal((await post('market', `/api/v1/alerts/${s3.alertId}/ack`, {})).status, 200);
      const ids = async (state: string, token = api.tokens.market): Promise<number[]> => {
        const answer = await api.call('GET', `/api/v1/alerts?state=${state}`, { token });
        t.equal(answer.status, 200, `state=${state}`);
        return answer.json.items.map((a: Any) => a.alertId);
      };
      t.same(await ids('closed'), [s1.alertId], 'closed: only the closed alert');
      t.same(await ids('unclosed'), [s3.alertId, s2.alertId], 'unclosed: acknowledged or open, newest first');
      t.same(await ids('acknowledged'), [s3.alertId, s1.alertId], 'acknowledged: a closed alert too');
      t.same(await ids('unclosed', api.tokens.branch), [s3.alertId], "a branch user: its own stations' only");
      const paged = await api.call('GET', '/api/v1/alerts?state=unclosed&limit=1&offset=1', {
        token: api.tokens.market,
      });
      t.same(
        paged.json.items.map((a: Any) => a.alertId),
        [s2.alertId],
        'paged after the filter',
      );
      const bad = await api.call('GET', '/api/v1/alerts?state=shut', { token: api.tokens.market });
      t.equal(bad.json.code, 'HQ_HTTP_REQUEST_INVALID', 'an unknown state is refused');
    });

    await t.test('audit rows of the handling; newest first, paged and filtered on the server', async (t) => {
      const token = api.tokens.supervision;
      const assigned = await api.call('GET', '/api/v1/audit?action=alert.assign&order=desc', { token });
      t.same(
        assigned.json.items.map((r: Any) => r.actor),
        ['u-supervision', 'u-market'],
        'each assignment audited, newest first',
      );
      const closes = await api.call('GET', '/api/v1/audit?action=alert.close', { token });
      t.match(closes.json.items, [{ actor: 'u-branch', target: String(s1.alertId) }]);
      const all = await api.call('GET', '/api/v1/audit?order=desc&limit=1000', { token });
      const seqs = all.json.items.map((r: Any) => r.seq as number);
      t.same(
        seqs,
        [...seqs].sort((a, b) => b - a),
        'newest first',
      );
      const page2 = await api.call('GET', '/api/v1/audit?order=desc&limit=2&offset=2', { token });
      // `all`'s own read was audited after it (one row newer): offset 2 starts one row below seqs[1].
      t.same(
        page2.json.items.map((r: Any) => r.seq),
        [seqs[0] - 1, seqs[0] - 2],
        'offset pages from the newest',
      );
      t.match(page2.json, { order: 'desc', offset: 2, limit: 2 });
      const byActor = await api.call('GET', '/api/v1/audit?actor=u-branch&order=desc', { token });
      t.ok(
        byActor.json.items.every((r: Any) => r.actor === 'u-branch'),
        'actor filter',
      );
      const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
      const dated = await api.call(
        'GET',
        `/api/v1/audit?fromDate=${today}&toDate=${today}&action=alert.close`,
        {
          token,
        },
      );
      t.equal(dated.json.items.length, 1, "today's closure in the date range");
      const before = await api.call('GET', '/api/v1/audit?toDate=2020-01-01', { token });
      t.same(before.json.items, [], 'nothing before 2020');
      const bad = await api.call('GET', '/api/v1/audit?fromDate=2026-02-30', { token });
      t.equal(bad.json.code, 'HQ_HTTP_REQUEST_INVALID');
      t.match(bad.json.problems, [{ field: 'fromDate' }]);
    });
  });
}

t.test('the handling folds from the records, the latest assignment winning', async (t) => {
  const view = foldAlertHandling([
    { kind: 'alert-assigned', payload: { assignee: 'a' }, actor: 'm', atMs: 1, reason: '', version: 1 },
    { kind: 'alert-assigned', payload: { assignee: 'b' }, actor: 's', atMs: 2, reason: '', version: 2 },
    { kind: 'alert-closed', payload: {}, actor: 'b', atMs: 3, reason: 'done', version: 3 },
  ]);
  t.same(view, {
    assignedTo: 'b',
    assignedBy: 's',
    assignedAtMs: 2,
    closedBy: 'b',
    closedAtMs: 3,
    closeReason: 'done',
    version: 3,
  });
});
