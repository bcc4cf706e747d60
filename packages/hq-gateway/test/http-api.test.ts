// Goal: the HQ HTTP API over real HTTP (issue 11): login and sessions, problem+json refusals with
// HQ codes for bad bodies (nothing half-written), quota purchases idempotent by receipt, station
// list/page with branch scoping, enrolment/suspend/resume/revoke taking effect in the running
// gateway at once and, when made by another process, at its next station-control poll; daily
// report JSON and CSV; alerts acknowledged; the audit chain verified and a tampered row found;
// internal errors without details; /healthz, /metrics, /openapi.json; the login rate limit.
// Method: the gateway in-process (memory broker; SQLite file, or PostgreSQL: http-api-postgres.test.ts)
// with its API on a free port, fetch.
import t from 'tap';
import { apiRoutes, buildApiServer } from '../src/adapters/http/server.js';
import { HqOperations } from '../src/app/operations.js';
import { StationControl } from '../src/app/station-control.js';
import { type Any, type ApiFixture, password, startApiFixture } from './helpers/api-fixture.js';
import { until } from './helpers/hq-memory-fixture.js';
import { NetworkPrep, nextSite } from './helpers/network-api.js';
import { SimStation } from './helpers/station-sim.js';

let api: ApiFixture;
t.before(async () => {
  api = await startApiFixture();
});
t.teardown(() => api.close());

const auditCount = async (): Promise<number> => (await api.hq.gateway.ops.auditChain()).length;

t.test('bad bodies are refused with every problem and its field; nothing is written', async (t) => {
  const token = api.tokens.ecommerce;
  const path = '/api/v1/stations/S1/quota-purchases';
  const before = {
    purchases: (await api.hq.gateway.store.quotaPurchases('S1')).length,
    audit: await auditCount(),
  };
  const unknown = await api.call('POST', path, {
    token,
    body: { amountYuan: 600, receipt: 'R-1', extra: true },
  });
  t.equal(unknown.status, 400);
  t.match(unknown.contentType, /^application\/problem\+json/);
  t.match(unknown.json, {
    type: 'urn:bianmin:hq:error:HQ_HTTP_REQUEST_INVALID',
    status: 400,
    code: 'HQ_HTTP_REQUEST_INVALID',
    requestId: /^[0-9a-f-]{36}$/,
  });
  const fields = unknown.json.problems.map((p: Any) => p.field).sort();
  t.same(fields, ['body.amountYuan', 'body.extra'], 'both problems at once (R21), the field named');
  const missing = await api.call('POST', path, { token, body: {} });
  t.same(missing.json.problems.map((p: Any) => p.field).sort(), ['body.amountYuan', 'body.receipt']);
  const badJson = await api.call('POST', path, { token, rawBody: '{"amountYuan":' });
  t.equal(badJson.status, 400);
  t.equal(badJson.json.code, 'HQ_HTTP_REQUEST_INVALID');
  const badParam = await api.call('GET', '/api/v1/stations/bad%20id', { token });
  t.equal(badParam.json.problems[0].field, 'params.stationId');
  const badQuery = await api.call('GET', '/api/v1/stations?limit=0&colour=red', { token });
  t.same(badQuery.json.problems.map((p: Any) => p.field).sort(), ['querystring.colour', 'querystring.limit']);
  const below = await api.call('POST', path, { token, body: { amountYuan: '499.99', receipt: 'R-LOW' } });
  t.equal(below.status, 422);
  t.equal(below.json.code, 'HQ_QUOTA_PURCHASE_REFUSED');
  t.same(
    { purchases: (await api.hq.gateway.store.quotaPurchases('S1')).length, audit: await auditCount() },
    before,
    'no purchase and no audit row after the refusals',
  );
  const notFound = await api.call('GET', '/api/v1/nothing-here', { token });
  t.equal(notFound.status, 404);
  t.equal(notFound.json.code, 'HQ_HTTP_ROUTE_NOT_FOUND');
});

t.test('quota purchase: recorded, the same receipt exists, another amount conflicts (R3)', async (t) => {
  const token = api.tokens.ecommerce;
  const path = '/api/v1/stations/S1/quota-purchases';
  const first = await api.call('POST', path, { token, body: { amountYuan: '600.00', receipt: 'R-1' } });
  t.equal(first.status, 201);
  t.match(first.json, { outcome: 'recorded', purchaseId: 'R-1', amountFen: 60_000, amountYuan: '600.00' });
  const again = await api.call('POST', path, { token, body: { amountYuan: '600', receipt: 'R-1' } });
  t.equal(again.status, 200);
  t.equal(again.json.outcome, 'exists');
  const audit = await auditCount();
  const conflict = await api.call('POST', path, { token, body: { amountYuan: '700.00', receipt: 'R-1' } });
  t.equal(conflict.status, 409);
  t.equal(conflict.json.code, 'HQ_QUOTA_PURCHASE_CONFLICT');
  t.equal((await api.hq.gateway.store.quotaPurchases('S1')).length, 1, 'one purchase');
  t.equal(await auditCount(), audit, 'the conflict wrote nothing');
  const rows = await api.hq.gateway.ops.auditRows({ action: 'quota.purchase', limit: 10 });
  t.match(rows, [
    { actor: 'u-ecommerce', target: 'S1', detail: { receipt: 'R-1', outcome: 'recorded' } },
    {},
  ]);
});

t.test('station list: filters, paging, stable order; a branch sees only its own', async (t) => {
  const all = await api.call('GET', '/api/v1/stations?limit=2', { token: api.tokens.market });
  t.equal(all.json.total, 3);
  t.same(
    all.json.items.map((s: Any) => s.stationId),
    ['S1', 'S2'],
  );
  const next = await api.call('GET', '/api/v1/stations?limit=2&offset=2', { token: api.tokens.market });
  t.same(
    next.json.items.map((s: Any) => s.stationId),
    ['S3'],
  );
  const search = await api.call('GET', '/api/v1/stations?search=orgs2', { token: api.tokens.market });
  t.same(
    search.json.items.map((s: Any) => s.stationId),
    ['S2'],
  );
  const byBranch = await api.call('GET', '/api/v1/stations?branch=B1', { token: api.tokens.finance });
  t.same(
    byBranch.json.items.map((s: Any) => s.stationId),
    ['S1', 'S3'],
  );
  const branch = await api.call('GET', '/api/v1/stations', { token: api.tokens.branch });
  t.same(
    branch.json.items.map((s: Any) => s.stationId),
    ['S1', 'S3'],
    'the branch user sees B1 only',
  );
  const other = await api.call('GET', '/api/v1/stations/S2', { token: api.tokens.branch });
  t.equal(other.status, 404);
  t.equal(other.json.code, 'HQ_STATION_NOT_FOUND');
  const page = await api.call('GET', '/api/v1/stations/S1', { token: api.tokens.branch });
  t.equal(page.status, 200);
  t.match(page.json, {
    stationId: 'S1',
    branchId: 'B1',
    state: 'never_seen',
    configVersion: 1,
    quotaPurchases: [{ purchaseId: 'R-1', amountFen: 60_000 }],
    feeSchedules: [{ version: 1 }],
    lastEvents: [],
    discrepancies: [],
  });
});

t.test('enrol, suspend, resume, revoke: at once in the running gateway, audited', async (t) => {
  const pipeline = api.hq.gateway.pipeline;
  const sim = new SimStation('S9');
  const enrol = await api.call('POST', '/api/v1/stations', {
    token: api.tokens.market,
    body: { branch: 'B2', request: sim.enrolmentRequest() },
  });
  t.equal(enrol.status, 201);
  t.match(enrol.json, { outcome: 'enrolled', stationId: 'S9', branchId: 'B2' });
  t.ok(pipeline.stationIds().includes('S9'), 'bound without a restart');
  const badEnrol = await api.call('POST', '/api/v1/stations', {
    token: api.tokens.market,
    body: { branch: 'B2', request: { kind: 'nope' } },
  });
  t.equal(badEnrol.json.code, 'HQ_ENROLMENT_INVALID');
  t.ok(badEnrol.json.problems.length > 1, 'every enrolment problem listed');

  const suspend = await api.call('POST', '/api/v1/stations/S1/suspend', {
    token: api.tokens.supervision,
    body: { reason: 'inspection found tampering' },
  });
  t.match(suspend.json, { stationId: 'S1', outcome: 'suspended' });
  t.match(pipeline.suspension('S1'), {
    reasonCode: 'HQ_STATION_SUSPENDED_BY_OPERATOR',
    detail: /u-supervision/,
  });
  // The running gateway quarantines the suspended station's next message at intake.
  const s1 = api.hq.stations.find((s) => s.stationId === 'S1');
  const quarantinedBefore = pipeline.counters.quarantined;
  await s1?.publish('event', s1.billPayment(100, { quotaFenAfter: 0 }).bytes);
  await until(pipeline, ['quarantined'], () => pipeline.counters.quarantined > quarantinedBefore);
  await api.hq.gateway.flush();
  t.match(await api.hq.gateway.store.quarantine(5), [
    { stationId: 'S1', reasonCode: 'HQ_STATION_SUSPENDED' },
  ]);
  const listed = await api.call('GET', '/api/v1/stations?state=suspended', { token: api.tokens.market });
  t.same(
    listed.json.items.map((s: Any) => s.stationId),
    ['S1'],
  );
  const resume = await api.call('POST', '/api/v1/stations/S1/resume', {
    token: api.tokens.market,
    body: { reason: 'cleared' },
  });
  t.match(resume.json, { outcome: 'resumed' });
  t.equal(pipeline.suspension('S1'), null, 'served again at once');
  const notSuspended = await api.call('POST', '/api/v1/stations/S1/resume', {
    token: api.tokens.market,
    body: { reason: 'again' },
  });
  t.equal(notSuspended.status, 409);
  t.equal(notSuspended.json.code, 'HQ_STATION_NOT_SUSPENDED');

  const revoke = await api.call('POST', '/api/v1/stations/S3/revoke-key', {
    token: api.tokens.market,
    body: { reason: 'key token lost' },
  });
  t.match(revoke.json, { outcome: 'revoked' });
  t.match(pipeline.suspension('S3'), { reasonCode: 'HQ_STATION_KEY_REVOKED' });
  const refused = await api.call('POST', '/api/v1/stations/S3/resume', {
    token: api.tokens.market,
    body: { reason: 'found it' },
  });
  t.equal(refused.status, 409);
  t.equal(refused.json.code, 'HQ_STATION_KEY_REVOKED');
  t.match(pipeline.suspension('S3'), { reasonCode: 'HQ_STATION_KEY_REVOKED' }, 'still revoked');
  const actions = (await api.hq.gateway.ops.auditRows({ limit: 1000 })).map((r) => `${r.action} ${r.target}`);
  for (const line of ['station.enrol S9', 'station.suspend S1', 'station.resume S1', 'station.revoke_key S3'])
    t.ok(actions.includes(line), line);
});

t.test('changes made by another process reach the running gateway at its next poll', async (t) => {
  const gateway = api.hq.gateway;
  // What the CLI does: its own connection to the store, no running gateway to call.
  const opened = await api.otherProcess();
  const store = opened.store;
  try {
    const integrity = opened.integrity;
    const control = new StationControl({
      store,
      integrity,
      ops: opened.ops,
      clock: { nowMs: () => Date.now() },
    });
    await gateway.controlSync.poll(); // this process's own changes above
    t.equal(await gateway.controlSync.poll(), false, 'nothing changed since');
    await control.suspend('S2', { by: 'cli:root', reason: 'phone complaint' });
    t.equal(gateway.pipeline.suspension('S2'), null, 'not known before the poll');
    t.equal(await gateway.controlSync.poll(), true);
    t.match(gateway.pipeline.suspension('S2'), { reasonCode: 'HQ_STATION_SUSPENDED_BY_OPERATOR' });
    await control.resume('S2', { by: 'cli:root', reason: 'resolved' });
    await gateway.controlSync.poll();
    t.equal(gateway.pipeline.suspension('S2'), null, 'resumed at the next poll');
    const sim = new SimStation('S10');
    const operations = new HqOperations({
      store,
      hqKey: gateway.hqKey,
      clock: { nowMs: () => Date.now() },
      quotaOf: async () => ({ quotaFen: 0, throughSeq: 0 }),
    });
    const { station } = await operations.enrol(sim.enrolmentRequest());
    await control.enrolled(station);
    t.notOk(gateway.pipeline.stationIds().includes('S10'));
    await gateway.controlSync.poll();
    t.ok(
      gateway.pipeline.stationIds().includes('S10'),
      'enrolled by another process, bound without a restart',
    );
  } finally {
    await opened.close();
  }
});

t.test('daily report: JSON and CSV (BOM, zh-CN headers)', async (t) => {
  const json = await api.call('GET', '/api/v1/reports/daily?date=2026-11-28', { token: api.tokens.finance });
  t.same(json.json, { businessDate: '2026-11-28', stations: [] });
  const csv = await api.call('GET', '/api/v1/reports/daily?date=2026-11-28&format=csv', {
    token: api.tokens.finance,
  });
  t.match(csv.contentType, /^text\/csv/);
  t.same([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with BOM');
  t.match(csv.text, '营业日期,站点编号,业务种类,笔数,金额(元),手续费(元),对账结果,生成时间(北京时间)');
});

t.test('alerts: listed per branch, acknowledged by a person', async (t) => {
  const alerts = api.hq.gateway.api.alerts;
  const s1 = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S1', detail: 'low' });
  const s2 = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S2', detail: 'low' });
  t.equal(
    await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'S1', detail: 'low' }),
    undefined,
    'deduplicated',
  );
  const branchList = await api.call('GET', '/api/v1/alerts', { token: api.tokens.branch });
  t.same(
    branchList.json.items.map((a: Any) => a.stationId),
    ['S1'],
  );
  const other = await api.call('POST', `/api/v1/alerts/${s2?.alertId}/ack`, { token: api.tokens.branch });
  t.equal(other.status, 404);
  t.equal(other.json.code, 'HQ_ALERT_NOT_FOUND');
  const ack = await api.call('POST', `/api/v1/alerts/${s1?.alertId}/ack`, { token: api.tokens.branch });
  t.match(ack.json, { outcome: 'acked', alert: { ackedBy: 'u-branch', ackedAtMs: Number } });
  const again = await api.call('POST', `/api/v1/alerts/${s1?.alertId}/ack`, { token: api.tokens.market });
  t.match(again.json, { outcome: 'already', alert: { ackedBy: 'u-branch' } });
  const unknown = await api.call('POST', '/api/v1/alerts/999999/ack', { token: api.tokens.market });
  t.equal(unknown.json.code, 'HQ_ALERT_NOT_FOUND');
  const open = await api.call('GET', '/api/v1/alerts?state=open', { token: api.tokens.market });
  t.same(
    open.json.items.map((a: Any) => a.stationId),
    ['S2'],
  );
});

t.test('users: added by the administrator; refusals with codes', async (t) => {
  const token = api.tokens.admin;
  const added = await api.call('POST', '/api/v1/users', {
    token,
    body: { user: 'li.ming', role: 'branch', branch: 'B2', password: 'a long enough password' },
  });
  t.equal(added.status, 201);
  t.same(added.json.passwordHash, undefined, 'the hash is never echoed');
  t.match(added.json, { userName: 'li.ming', role: 'branch', branchId: 'B2' });
  const exists = await api.call('POST', '/api/v1/users', {
    token,
    body: { user: 'li.ming', role: 'finance', password: 'a long enough password' },
  });
  t.equal(exists.status, 409);
  t.equal(exists.json.code, 'HQ_USER_EXISTS');
  const invalid = await api.call('POST', '/api/v1/users', {
    token,
    body: { user: 'wang', role: 'branch', password: 'short' },
  });
  t.equal(invalid.json.code, 'HQ_USER_INVALID');
  t.same(invalid.json.problems.map((p: Any) => p.field).sort(), ['branch', 'password']);
  const badRole = await api.call('POST', '/api/v1/users', {
    token,
    body: { user: 'wang', role: 'boss', password: 'a long enough password' },
  });
  t.equal(badRole.json.code, 'HQ_HTTP_REQUEST_INVALID');
  const audit = await api.hq.gateway.ops.auditRows({ action: 'user.add', limit: 10 });
  t.notMatch(JSON.stringify(audit), /long enough/, 'no password in the audit log');
});

t.test('an internal error answers its code and request id only', async (t) => {
  const app = await buildApiServer({
    ...api.hq.gateway.api,
    views: {
      ...api.hq.gateway.api.views,
      page: async () => {
        throw new Error('secret /var/lib/hq detail');
      },
    } as Any,
  });
  const answer = await app.inject({
    method: 'GET',
    url: '/api/v1/stations/S1',
    headers: { authorization: `Bearer ${api.tokens.market}` },
  });
  await app.close();
  t.equal(answer.statusCode, 500);
  const body = answer.json();
  t.equal(body.code, 'HQ_INTERNAL_ERROR');
  t.match(body.requestId, /^[0-9a-f-]{36}$/);
  t.notMatch(answer.body, /secret|var\/lib/);
});

// --- The station network (R4, R10-R19, R22, R23) ---
const netPrep = new NetworkPrep(() => api.hq.gateway.api.network);
let branches: Promise<void> | undefined;
/** The network's branches B1 and B2 (R12 sites, R16 reporters), registered once. */
const ensureBranches = (): Promise<void> => {
  branches ??= netPrep.branch('B1').then(() => netPrep.branch('B2'));
  return branches;
};
const opsRecords = async (aggregateId: string) => api.hq.gateway.api.network.store.read(aggregateId);

t.test(
  'network: R12 lists every site within 2 km with its distance; R13 every unmet condition',
  async (t) => {
    const token = api.tokens.market;
    const base = nextSite();
    const north = (metres: number) => ({
      latitudeDeg: base.latitudeDeg + metres / 111_195,
      longitudeDeg: base.longitudeDeg,
    });
    const propose = (stationId: string, location: unknown) =>
      api.call('POST', '/api/v1/network/stations', {
        token,
        body: { stationId, branchId: 'B1', name: '东街便民站', location },
      });
    t.equal((await propose('G1', base)).status, 201);
    t.equal((await propose('G2', north(3_000))).status, 201, '3 km away: allowed');
    const auditBefore = await auditCount();
    const close = await propose('G3', north(1_500));
    t.equal(close.status, 422);
    t.equal(close.json.code, 'HQ_NET_TOO_CLOSE');
    const sites = close.json.problems.map((p: Any) => p.details);
    t.match(
      sites.sort((a: Any, b: Any) => a.id.localeCompare(b.id)),
      [
        { kind: 'station', id: 'G1', distanceM: 1_500 },
        { kind: 'station', id: 'G2', distanceM: 1_500 },
      ],
      'every station within 2 km, with its distance',
    );
    t.same(await opsRecords('station:G3'), [], 'nothing written for the refused proposal');
    t.equal(await auditCount(), auditBefore, 'nothing audited: nothing happened');

    const survey = await api.call('POST', '/api/v1/network/stations/G1/steps/surveyed', {
      token,
      body: {
        location: base,
        findings: {
          premisesM2: 8,
          terminalSpaceM2: 0.5,
          signageSpace: false,
          communicationLine: false,
          tradingMonths: 3,
        },
      },
    });
    t.equal(survey.status, 422);
    t.match(
      survey.json.problems.at(-1),
      { code: 'HQ_NET_SURVEY_FAILED_RECORDED', message: /recorded: the station is rejected/ },
      'the recorded rejection has its own code, not a finding code',
    );
    t.equal(survey.json.code, 'HQ_NET_PREMISES_TOO_SMALL', 'the first finding leads');
    t.same(
      survey.json.problems.slice(0, -1).map((p: Any) => p.code),
      [
        'HQ_NET_PREMISES_TOO_SMALL',
        'HQ_NET_TERMINAL_SPACE_TOO_SMALL',
        'HQ_NET_SIGNAGE_SPACE_MISSING',
        'HQ_NET_COMMUNICATION_LINE_MISSING',
        'HQ_NET_TRADING_TOO_SHORT',
      ],
      'every unmet R13 condition at once, in registry order',
    );
    const page = await api.call('GET', '/api/v1/network/stations/G1', { token });
    t.equal(page.json.station.state, 'rejected', 'the failed survey is recorded (R22): rejected');
    t.equal(page.json.timeline.length, 2, 'proposed, surveyed');
  },
);

t.test('network: bad bodies refused with every field; nothing half-written', async (t) => {
  const token = api.tokens.ecommerce;
  const stationId = await netPrep.station('equipment-signed');
  const before = await opsRecords(`station:${stationId}`);
  const auditBefore = await auditCount();
  const bad = await api.call('POST', `/api/v1/network/stations/${stationId}/steps/opened`, {
    token,
    body: { orgCode: 'has space', quota: 'x' },
  });
  t.equal(bad.status, 400);
  t.equal(bad.json.code, 'HQ_HTTP_REQUEST_INVALID');
  t.same(
    bad.json.problems.map((p: Any) => p.field).sort(),
    ['body.orgCode', 'body.quota', 'body.quotaAccount'],
    'the unknown, the malformed and the missing field, all at once',
  );
  const money = await api.call('POST', '/api/v1/network/repairs/TK-none/close', {
    token,
    body: { costFen: 12.5 },
  });
  t.equal(money.json.problems[0].field, 'body.costFen', 'fen is an integer (R1)');
  const illegal = await api.call('POST', `/api/v1/network/stations/${stationId}/steps/reopened`, {
    token: api.tokens.market,
    body: {},
  });
  t.equal(illegal.status, 409);
  t.equal(illegal.json.code, 'HQ_NET_TRANSITION_ILLEGAL');
  t.same(await opsRecords(`station:${stationId}`), before, 'no record added by any refused step');
  t.equal(await auditCount(), auditBefore, 'no audit row for a refused step');

  // The same step retried with its Idempotency-Key: recorded once.
  const open = async (key: string): Promise<{ status: number; json: Any }> => {
    const response = await fetch(`${api.url}/api/v1/network/stations/${stationId}/steps/opened`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ orgCode: `ORG-${stationId}`, quotaAccount: `QA-${stationId}` }),
    });
    return { status: response.status, json: await response.json() };
  };
  const first = await open(`open-${stationId}`);
  t.equal(first.status, 200);
  t.equal(first.json.duplicate, false);
  const again = await open(`open-${stationId}`);
  t.equal(again.json.duplicate, true, 'a retry with the same key is the first record');
  t.equal((await opsRecords(`station:${stationId}`)).length, before.length + 1);
});

t.test('network: a branch sees and acts on its own branch only', async (t) => {
  const token = api.tokens.branch; // branch B1
  await ensureBranches();
  const other = await netPrep.station('open', 'B2', 'OB');
  const own = await netPrep.station('open', 'B1', 'OWN');
  const list = await api.call('GET', '/api/v1/network/stations?limit=10000', { token });
  const ids = list.json.items.map((s: Any) => s.stationId);
  t.ok(ids.includes(own), 'its own station is listed');
  t.notOk(ids.includes(other), "another branch's station is not");
  t.ok(
    list.json.items.every((s: Any) => s.branchId === 'B1'),
    'only B1 stations',
  );
  for (const [method, path, body] of [
    ['GET', `/api/v1/network/stations/${other}`, undefined],
    ['POST', `/api/v1/network/stations/${other}/steps/change-requested`, { description: '改名' }],
    ['POST', `/api/v1/network/stations/${other}/steps/move-requested`, { location: nextSite() }],
    [
      'POST',
      '/api/v1/network/repairs',
      { ticketId: 'TK-B2', stationId: 'S2', peripheral: 'printer', fault: '坏' },
    ],
    [
      'POST',
      '/api/v1/network/statistics/B2',
      { month: '2026-09', stationsOpened: 0, stationsClosed: 0, lines: [] },
    ],
  ] as const) {
    const answer = await api.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    t.equal(answer.status, 404, `${method} ${path}`);
    t.equal(answer.json.code, 'HQ_NET_NOT_FOUND', `${path}: not found, existence not leaked`);
  }
  const propose = await api.call('POST', '/api/v1/network/stations', {
    token,
    body: { stationId: 'BP-B2', branchId: 'B2', name: '越权', location: nextSite() },
  });
  t.equal(propose.status, 403);
  t.equal(propose.json.code, 'HQ_FORBIDDEN');
  t.same(await opsRecords('station:BP-B2'), [], 'nothing written');
  // R11: a branch pays lines paid through the branch only, for its own stations.
  const hqLine = await api.call('POST', '/api/v1/network/commissions/2026-10/payments', {
    token,
    body: { stationId: 'S1', paidThrough: 'HQ' },
  });
  t.equal(hqLine.status, 403);
  t.match(hqLine.json.problems, [{ code: 'HQ_FORBIDDEN', field: 'paidThrough' }]);
  const otherStation = await api.call('POST', '/api/v1/network/commissions/2026-10/payments', {
    token,
    body: { stationId: 'S2', paidThrough: 'BRANCH' },
  });
  t.equal(otherStation.json.code, 'HQ_NET_NOT_FOUND', "another branch's station is not found");
  t.equal((await opsRecords(`station:${other}`)).length, 11, "the other branch's station is untouched");
});

t.test('network: complaints are confidential; every read is audited (R23)', async (t) => {
  await netPrep.complaint('CF1', false, 'written');
  const market = await api.call('GET', '/api/v1/network/complaints/CF1', { token: api.tokens.market });
  t.equal(market.status, 200);
  t.same(market.json.complainant, { name: '[confidential]', contact: '[confidential]' });
  t.notMatch(market.text, /张三|13800000000/, 'the complainant never reaches market');
  const supervision = await api.call('GET', '/api/v1/network/complaints/CF1', {
    token: api.tokens.supervision,
  });
  t.same(supervision.json.complainant, { name: '张三', contact: '13800000000' });
  const reads = await api.call('GET', '/api/v1/audit?action=complaint.read&target=CF1', {
    token: api.tokens.supervision,
  });
  t.match(reads.json.items, [
    { actor: 'u-market', target: 'CF1', detail: { complainantShown: false } },
    { actor: 'u-supervision', target: 'CF1', detail: { complainantShown: true } },
  ]);
  const list = await api.call('GET', '/api/v1/network/complaints', { token: api.tokens.market });
  t.notMatch(list.text, /张三/, 'the list is redacted too');
  const written = await api.call('POST', '/api/v1/network/complaints/CF1/answer', {
    token: api.tokens.supervision,
    body: { channel: 'phone', text: '电话答复' },
  });
  t.equal(written.status, 422);
  t.equal(written.json.code, 'HQ_COMPLAINT_WRITTEN_ANSWER_REQUIRED');
  const received = await api.call('POST', '/api/v1/network/complaints', {
    token: api.tokens.branch,
    body: {
      complaintId: 'CF2',
      channel: 'oral',
      complainant: { name: '赵六', contact: '13700000000' },
      summary: '态度差',
      stationId: 'S1',
    },
  });
  t.equal(received.status, 201);
  t.notMatch(received.text, /赵六/, 'the branch that took it does not get it back');
});

t.test('network: commission month, statistics and reports (CSV with BOM, zh-CN, yuan)', async (t) => {
  const ecommerce = api.tokens.ecommerce;
  await ensureBranches();
  await netPrep.commission('2026-05', false);
  const rerun = await api.call('POST', '/api/v1/network/commissions/2026-05/run', { token: ecommerce });
  t.equal(rerun.status, 200);
  t.equal(rerun.json.outcome, 'unchanged', 're-running an unchanged month records nothing');
  const versionBefore = rerun.json.run.version;
  // B1 corrects its statistics: the re-run adds a correction line, the first line stays.
  const corrected = await api.call('POST', '/api/v1/network/statistics/B1', {
    token: api.tokens.branch,
    body: {
      month: '2026-05',
      stationsOpened: 1,
      stationsClosed: 0,
      lines: [{ stationId: 'S1', businessType: 'INSURANCE', revenueFen: 1_200_000 }],
    },
  });
  t.equal(corrected.status, 201);
  const run = await api.call('POST', '/api/v1/network/commissions/2026-05/run', { token: ecommerce });
  t.equal(run.json.outcome, 'corrected');
  t.equal(run.json.run.version, versionBefore + 1);
  t.match(
    run.json.run.lines.filter((l: Any) => l.item === 'INSURANCE'),
    [
      { stationId: 'S1', item: 'INSURANCE', revenueFen: 1_000_000 },
      { stationId: 'S1', item: 'INSURANCE', revenueFen: 200_000 },
    ],
  );
  const listed = await api.call('POST', '/api/v1/network/commissions/2026-05/listed', {
    token: ecommerce,
    body: {},
  });
  t.equal(listed.json.run.state, 'listed');
  const paid = await api.call('POST', '/api/v1/network/commissions/2026-05/payments', {
    token: api.tokens.finance,
    body: { stationId: 'S1', paidThrough: 'BRANCH' },
  });
  t.equal(paid.status, 200);
  const twice = await api.call('POST', '/api/v1/network/commissions/2026-05/payments', {
    token: api.tokens.finance,
    body: { stationId: 'S1', paidThrough: 'BRANCH' },
  });
  t.equal(twice.json.code, 'HQ_NET_TRANSITION_ILLEGAL', 'nothing outstanding: no second payment');

  const csv = await api.call('GET', '/api/v1/network/commissions/2026-05?format=csv', {
    token: api.tokens.finance,
  });
  t.match(csv.contentType, /^text\/csv; charset=utf-8/);
  t.same([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const lines = csv.text.slice(1).trimEnd().split('\r\n');
  t.equal(
    lines[0],
    '月份,站点编号,支付方式,项目,营业额(元),佣金(元),已开票,已付(元),状态,报财务截止日期,付款截止日期,生成时间(北京时间)',
  );
  const insurance = lines.filter((l: string) => l.includes(',保险,'));
  t.match(
    insurance[0],
    /^2026-05,S1,经支局支付,保险,10000\.00,1000\.00,,,已报财务,2026-06-\d\d,2026-06-\d\d,/,
  );
  t.match(insurance[1], /^2026-05,S1,经支局支付,保险,2000\.00,200\.00,/, 'the correction is its own line');
  t.match(lines.at(-1), /^2026-05,S1,经支局支付,应付合计,,1200\.00,否,1200\.00,/, 'net and paid, yuan');
  const stats = await api.call('GET', '/api/v1/network/statistics?month=2026-05&format=csv', {
    token: api.tokens.market,
  });
  t.same([...stats.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  t.match(stats.text, /月份,支局,新开站点数,关闭站点数,站点编号,业务种类,营业额\(元\)/);
  t.match(stats.text, /2026-05,B1,1,0,S1,保险,12000\.00,/);
  const archive = await api.call('GET', '/api/v1/network/archive/2026', { token: api.tokens.supervision });
  t.match(archive.contentType, /application\/x-ndjson/);
  t.ok(archive.text.split('\n').filter(Boolean).length > 10, 'the year as JSON lines');
  const overdue = await api.call('GET', '/api/v1/network/overdue?department=branch&date=2027-01-10', {
    token: api.tokens.market,
  });
  t.ok(Array.isArray(overdue.json.overdue.branch), 'one department asked, one list answered');
  t.same(Object.keys(overdue.json.overdue), ['branch']);
});

t.test('network: a step through the API reaches the running gateway at once (R4)', async (t) => {
  await ensureBranches();
  t.equal(api.hq.gateway.pipeline.networkBlock('S3'), null, 'S3 enrolled directly: no lifecycle, no block');
  const proposed = await api.call('POST', '/api/v1/network/stations', {
    token: api.tokens.branch,
    body: { stationId: 'S3', branchId: 'B1', name: '三号站', location: nextSite() },
  });
  t.equal(proposed.status, 201);
  t.same(api.hq.gateway.pipeline.networkBlock('S3'), { code: 'HQ_NET_NOT_OPEN', state: 'proposed' });
  const page = await api.call('GET', '/api/v1/network/stations/S3', { token: api.tokens.branch });
  t.equal(page.json.mayTransact, false);
  t.match(page.json.notOpen, [{ code: 'HQ_NET_NOT_OPEN' }]);
  const all = await api.call('GET', '/api/v1/network/overdue?all=true', { token: api.tokens.market });
  t.same(
    page.json.due,
    all.json.due.filter((i: Any) => i.aggregateId === 'station:S3'),
    "the page's due items are the station's share of the network's",
  );
  t.match(page.json.due, [
    { step: 'survey', department: 'market', rule: 'R14', dueDate: /^\d{4}-\d{2}-\d{2}$/ },
  ]);
  const closed = await api.call('POST', '/api/v1/network/stations/S3/steps/closed', {
    token: api.tokens.market,
    body: {},
  });
  t.equal(closed.status, 200);
  t.same(api.hq.gateway.pipeline.networkBlock('S3'), { code: 'HQ_NET_NOT_OPEN', state: 'closed' });
  const response = await fetch(`${api.url}/api/v1/network/stations/S3/steps/reopened`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${api.tokens.market}`,
      'content-type': 'application/json',
      'idempotency-key': 'has spaces',
    },
    body: '{}',
  });
  const problem = (await response.json()) as Any;
  t.equal(response.status, 400);
  t.match(problem.problems, [{ code: 'HQ_HTTP_REQUEST_INVALID', field: /^headers\.idempotency-key/ }]);
});

t.test('every route appears in /openapi.json with its method', async (t) => {
  const openapi = await api.call('GET', '/openapi.json');
  const routes = apiRoutes(api.hq.gateway.api);
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    t.ok(openapi.json.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url}`);
  }
  t.ok(routes.length > 60, 'the network routes are there');
  t.match(openapi.json.paths['/api/v1/network/stations/{stationId}/steps/opened'].post, {
    requestBody: { content: { 'application/json': { schema: { additionalProperties: false } } } },
  });
});

t.test('healthz, metrics and the OpenAPI document', async (t) => {
  const health = await api.call('GET', '/healthz');
  t.same(health.json, { ok: true, store: true, ingest: true });
  const metrics = await api.call('GET', '/metrics');
  t.match(metrics.text, /hq_ingest_received_total \d+/);
  t.match(metrics.text, /hq_alerts_open 1/);
  t.match(metrics.text, /hq_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/stations"/);
  const openapi = await api.call('GET', '/openapi.json');
  t.equal(openapi.json.openapi, '3.0.3');
  t.ok(openapi.json.paths['/api/v1/stations/{stationId}'], 'paths from the routes');
  t.match(openapi.json.paths['/api/v1/stations/{stationId}/quota-purchases'].post, {
    security: [{ bearer: [] }],
    requestBody: { content: { 'application/json': { schema: { additionalProperties: false } } } },
  });
});

t.test('the audit chain verifies; a changed row is found', async (t) => {
  const token = api.tokens.supervision;
  const rows = await api.call('GET', '/api/v1/audit?action=session.login&limit=5', { token });
  t.equal(rows.status, 200);
  t.match(rows.json.items[0], { action: 'session.login', outcome: 'ok', prevSha256: /^0{64}$/ });
  const ok = await api.call('GET', '/api/v1/audit/verify', { token });
  t.match(ok.json, { ok: true, rowsChecked: Number, headSha256: /^[0-9a-f]{64}$/ });
  await api.sql(`UPDATE hq_audit SET detail_json = '{"receipt":"R-2"}' WHERE seq = 3`);
  const broken = await api.call('GET', '/api/v1/audit/verify', { token });
  t.equal(broken.status, 409);
  t.match(broken.json, { ok: false, code: 'HQ_AUDIT_CHAIN_BROKEN', brokenAtSeq: 3, reason: 'hash' });
});

t.test('logout ends the session', async (t) => {
  const login = await api.call('POST', '/api/v1/session', { body: { user: 'u-finance', password } });
  const token = login.json.token;
  t.equal((await api.call('GET', '/api/v1/alerts', { token })).status, 200);
  t.equal((await api.call('DELETE', '/api/v1/session', { token })).status, 204);
  t.equal((await api.call('GET', '/api/v1/alerts', { token })).json.code, 'HQ_AUTH_REQUIRED');
});

t.test('login rate limit: per user, then per address (last: it locks this address out)', async (t) => {
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const wrong = await api.call('POST', '/api/v1/session', {
      body: { user: 'u-market', password: 'wrong guess' },
    });
    t.equal(wrong.json.code, 'HQ_AUTH_FAILED', `attempt ${attempt}`);
  }
  const limited = await api.call('POST', '/api/v1/session', { body: { user: 'u-market', password } });
  t.equal(limited.status, 429);
  t.equal(limited.json.code, 'HQ_LOGIN_RATE_LIMITED', 'refused even with the right password');
  // This address made 7 logins at set-up, 1 for logout, and 6 here: 14 of 20.
  for (let attempt = 15; attempt <= 20; attempt += 1) {
    const other = await api.call('POST', '/api/v1/session', {
      body: { user: `nobody${attempt}`, password: 'x' },
    });
    t.equal(other.json.code, 'HQ_AUTH_FAILED', `address attempt ${attempt}`);
  }
  const byAddress = await api.call('POST', '/api/v1/session', { body: { user: 'u-finance', password } });
  t.equal(byAddress.json.code, 'HQ_LOGIN_RATE_LIMITED', 'the address is over its limit');
  const failures = await api.hq.gateway.ops.auditRows({
    action: 'session.login',
    target: 'u-market',
    limit: 20,
  });
  t.ok(
    failures.some((r) => r.outcome === 'HQ_AUTH_FAILED') &&
      failures.some((r) => r.outcome === 'HQ_LOGIN_RATE_LIMITED'),
  );
});
