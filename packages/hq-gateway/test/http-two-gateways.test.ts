// Goal: two HQ gateway processes on one PostgreSQL database share the operations side (issue 11,
// ahead of issue 14's N gateways): a session made on one is valid on the other and a logout on one
// ends it on both; a suspension made through one gateway's API reaches the other at its next
// station-control poll; both append to ONE audit chain that verifies; an alert opened by both is
// one alert. Method: the API fixture on a PostgreSQL database of its own (gateway A) and a second
// gateway started in-process on the same database with its own broker link and HTTP port (B), real
// HTTP (fetch) to both; polls are called directly, no sleeps.
import t from 'tap';
import { type Gateway, startGateway } from '../src/main.js';
import { type Any, cheapCost, password, startApiFixture } from './helpers/api-fixture.js';
import { MemoryBroker } from './helpers/memory-broker.js';

t.test('gateways A and B on one database', async (t) => {
  const api = await startApiFixture({ store: 'postgres' });
  t.teardown(() => api.close());
  const b: Gateway = await startGateway({
    store: api.hq.storeConfig,
    brokerUrl: 'memory://in-process',
    link: new MemoryBroker().hqLink(),
    hqKeyPem: api.hq.hqKeyPem,
    tpk: api.hq.tpk,
    verifyWorkers: 1,
    resendOnStart: false,
    passwordCost: cheapCost,
    http: { listen: '127.0.0.1:0' },
    clientId: 'hq-gateway-b',
  });
  t.teardown(() => b.stop());
  const onB = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${b.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as Any };
  };

  // A session made on A is valid on B; a logout on B ends it on A.
  const login = await api.call('POST', '/api/v1/session', { body: { user: 'u-finance', password } });
  t.equal(login.status, 200);
  const token = login.json.token as string;
  t.equal((await onB('GET', '/api/v1/stations?limit=10', token)).status, 200, "A's token works on B");
  t.equal((await onB('DELETE', '/api/v1/session', token)).status < 300, true, 'logout on B');
  const after = await api.call('GET', '/api/v1/stations?limit=10', { token });
  t.equal(after.status, 401, 'and the session is gone on A too');
  t.equal(after.json.code, 'HQ_AUTH_REQUIRED');

  // A suspension through A's API reaches B at its next poll.
  await b.controlSync.poll();
  const suspended = await api.call('POST', '/api/v1/stations/S2/suspend', {
    token: api.tokens.market,
    body: { reason: '现场检查发现问题' },
  });
  t.equal(suspended.status, 200, JSON.stringify(suspended.json));
  t.equal(b.pipeline.suspension('S2'), null, 'B does not know before its poll');
  t.equal(await b.controlSync.poll(), true);
  t.match(b.pipeline.suspension('S2'), { reasonCode: 'HQ_STATION_SUSPENDED_BY_OPERATOR' });

  // Both append to one audit chain (B's writes: the logout above; both at once below).
  await Promise.all([
    api.hq.gateway.api.audit.record({ userName: 'system-a', role: 'system' }, 'test.write', 'A'),
    b.api.audit.record({ userName: 'system-b', role: 'system' }, 'test.write', 'B'),
    api.hq.gateway.api.audit.record({ userName: 'system-a', role: 'system' }, 'test.write', 'A'),
    b.api.audit.record({ userName: 'system-b', role: 'system' }, 'test.write', 'B'),
  ]);
  const verified = await api.call('GET', '/api/v1/audit/verify', { token: api.tokens.supervision });
  t.match(verified.json, { ok: true });
  const chain = await b.ops.auditChain();
  t.ok(
    chain.some((r) => r.action === 'session.logout' || r.action.startsWith('session')),
    'B wrote to it',
  );
  t.equal(chain.filter((r) => r.action === 'test.write').length, 4);

  // The same alert opened by both gateways is one alert.
  const alert = {
    kind: 'HQ_ALERT_STATION_OFFLINE',
    stationId: 'S1',
    detail: '站点离线',
    openedAtMs: 1,
    deliveryState: 'none',
  } as const;
  const [fromA, fromB] = await Promise.all([api.hq.gateway.ops.openAlert(alert), b.ops.openAlert(alert)]);
  t.equal(fromA.alert.alertId, fromB.alert.alertId);
  t.same([fromA.outcome, fromB.outcome].sort(), ['exists', 'opened']);
});
