// Goal: the login limit holds across HQ processes (issue 11): on PostgreSQL every gateway counts
// a user's and an address's attempts in one table, so a guesser who spreads attempts over two
// gateways is refused at the same count as on one; the counter is atomic (parallel attempts from
// two pools get distinct counts); the embedded mode counts in memory with the same window rules.
// Method: the LoginAttemptStore contract on the memory adapter and on a PostgreSQL database of its
// own (two pools on it = two processes), explicit instants for the window; then two gateways on
// one PostgreSQL database (the API fixture as A, a second gateway in-process as B) over real HTTP.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { PostgresLoginAttempts } from '../src/adapters/postgres/login-attempts.js';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { MemoryLoginAttempts } from '../src/app/login-limiter.js';
import { loginAttemptsPerUserMax } from '../src/limits.js';
import { type Gateway, startGateway } from '../src/main.js';
import type { LoginAttemptStore } from '../src/ports/login-attempts.js';
import { type Any, cheapCost, password, startApiFixture } from './helpers/api-fixture.js';
import { MemoryBroker } from './helpers/memory-broker.js';
import { createTestDatabase } from './store-contract/factories.js';

const windowMs = 60_000;
const at = 1_764_800_000_000;

async function contract(t: Test, name: string, a: LoginAttemptStore, b: LoginAttemptStore): Promise<void> {
  await t.test(`${name}: counts in a fixed window, per key; clear forgets`, async (t) => {
    t.same([await a.count('u:wang', at, windowMs), await b.count('u:wang', at + 10, windowMs)], [1, 2]);
    t.equal(await a.count('u:li', at + 20, windowMs), 1, 'another key has its own count');
    t.equal(await b.count('u:wang', at + windowMs - 1, windowMs), 3, 'still the same window');
    t.equal(await a.count('u:wang', at + windowMs, windowMs), 1, 'a new window at exactly windowMs');
    t.equal(await b.count('u:wang', at + windowMs + 5, windowMs), 2);
    await b.clear('u:wang');
    t.equal(await a.count('u:wang', at + windowMs + 6, windowMs), 1, 'cleared');
    t.equal(
      await a.count('u:li', at + 19 + windowMs, windowMs),
      2,
      "li's window is not over 1 ms before its end",
    );
    t.equal(await b.count('u:li', at + 20 + windowMs, windowMs), 1, "li's own window is over");
  });
  await t.test(`${name}: parallel attempts get distinct counts`, async (t) => {
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).count('a:10.0.0.1', at, windowMs)),
    );
    t.same(
      counts.sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
}

t.test('memory', async (t) => {
  const shared = new MemoryLoginAttempts();
  await contract(t, 'memory', shared, shared);
});

t.test('postgres: two pools on one database', async (t) => {
  const database = await createTestDatabase();
  const one = await PostgresStore.open({ url: database.url });
  const two = await PostgresStore.open({ url: database.url });
  t.teardown(async () => {
    await one.close();
    await two.close();
    await database.drop();
  });
  await contract(t, 'postgres', new PostgresLoginAttempts(one.pool), new PostgresLoginAttempts(two.pool));
  const rows = await one.pool.query('SELECT limit_key FROM hq_login_attempts ORDER BY limit_key');
  const digest = (key: string) => createHash('sha256').update(key).digest('hex');
  t.same(
    rows.rows.map((r: { limit_key: string }) => r.limit_key),
    ['a:10.0.0.1', 'u:li', 'u:wang'].map(digest).sort(),
    'one row per key (stored as its SHA-256); expired windows are dropped as new ones open',
  );
  const nul = new PostgresLoginAttempts(one.pool);
  t.equal(
    await nul.count('u:wang\u0000', Date.now(), 60_000),
    1,
    'a NUL in a name is counted, not a store error',
  );
  await nul.clear('u:wang\u0000');
});

t.test('a guesser spreading attempts over two gateways is refused at the same count', async (t) => {
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
  const onB = async (body: unknown): Promise<{ status: number; json: Any }> => {
    const response = await fetch(`${b.httpUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Any };
  };
  const onA = (body: unknown) => api.call('POST', '/api/v1/session', { body });
  for (let attempt = 1; attempt <= loginAttemptsPerUserMax; attempt += 1) {
    const wrong = await (attempt % 2 === 0 ? onA : onB)({ user: 'u-finance', password: `guess ${attempt}` });
    t.equal(wrong.json.code, 'HQ_AUTH_FAILED', `attempt ${attempt} on ${attempt % 2 === 0 ? 'A' : 'B'}`);
  }
  const onAAfter = await onA({ user: 'u-finance', password });
  t.equal(onAAfter.status, 429);
  t.equal(onAAfter.json.code, 'HQ_LOGIN_RATE_LIMITED', 'A refuses the right password: B counted too');
  const onBAfter = await onB({ user: 'u-finance', password });
  t.equal(onBAfter.json.code, 'HQ_LOGIN_RATE_LIMITED', 'and so does B');
  const other = await onB({ user: 'u-market', password });
  t.equal(other.status, 200, 'another user logs in');
});
