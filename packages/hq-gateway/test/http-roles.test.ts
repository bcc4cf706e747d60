// Goal: least privilege per route (issue 11): for EVERY (route, role) cell the API answers as the
// expected matrix below says: forbidden cells 403 HQ_FORBIDDEN, allowed cells anything but 401/403;
// no session is 401 HQ_AUTH_REQUIRED everywhere; the matrix names exactly the routes the server
// declares. Method: the gateway in-process with its API on a free port, one user per role, real
// HTTP (fetch); requests carry plausible bodies, so allowed cells reach their handlers.
import t from 'tap';
import { apiRoutes } from '../src/adapters/http/server.js';
import { type Role, roles } from '../src/domain/roles.js';
import { type ApiFixture, startApiFixture } from './helpers/api-fixture.js';

const all = roles;
/** route -> roles allowed (the policy, written out independently of the declarations). */
const matrix: Record<string, readonly Role[]> = {
  'DELETE /api/v1/session': all,
  'GET /api/v1/overview': all,
  'GET /api/v1/live': all,
  'GET /api/v1/stations': all,
  'GET /api/v1/stations/:stationId': all,
  'POST /api/v1/stations': ['market'],
  'POST /api/v1/stations/:stationId/suspend': ['market', 'supervision'],
  'POST /api/v1/stations/:stationId/resume': ['market'],
  'POST /api/v1/stations/:stationId/revoke-key': ['market'],
  'POST /api/v1/stations/:stationId/quota-purchases': ['ecommerce'],
  'GET /api/v1/reports/daily': ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance'],
  'GET /api/v1/quarantine': ['market', 'supervision'],
  'GET /api/v1/discrepancies': ['branch', 'market', 'ecommerce', 'supervision', 'finance'],
  'GET /api/v1/alerts': all,
  'POST /api/v1/alerts/:alertId/ack': ['branch', 'market', 'supervision'],
  'GET /api/v1/audit': ['supervision'],
  'GET /api/v1/audit/verify': ['supervision'],
  'POST /api/v1/users': ['admin'],
};
const publicRoutes = ['POST /api/v1/session'];

/** A concrete request for each route (S1 is in branch B1, the branch user's). */
const requests: Record<string, { path: string; body?: unknown }> = {
  'DELETE /api/v1/session': { path: '/api/v1/session' },
  'GET /api/v1/overview': { path: '/api/v1/overview' },
  'GET /api/v1/live': { path: '/api/v1/live' },
  'GET /api/v1/stations': { path: '/api/v1/stations?limit=10' },
  'GET /api/v1/stations/:stationId': { path: '/api/v1/stations/S1' },
  'POST /api/v1/stations': { path: '/api/v1/stations', body: { branch: 'B1', request: { kind: 'x' } } },
  'POST /api/v1/stations/:stationId/suspend': {
    path: '/api/v1/stations/S3/suspend',
    body: { reason: 'matrix' },
  },
  'POST /api/v1/stations/:stationId/resume': {
    path: '/api/v1/stations/S3/resume',
    body: { reason: 'matrix' },
  },
  'POST /api/v1/stations/:stationId/revoke-key': {
    path: '/api/v1/stations/NOPE/revoke-key',
    body: { reason: 'matrix' },
  },
  'POST /api/v1/stations/:stationId/quota-purchases': {
    path: '/api/v1/stations/S1/quota-purchases',
    body: { amountYuan: '600.00', receipt: 'MATRIX-1' },
  },
  'GET /api/v1/reports/daily': { path: '/api/v1/reports/daily?date=2026-11-28' },
  'GET /api/v1/quarantine': { path: '/api/v1/quarantine' },
  'GET /api/v1/discrepancies': { path: '/api/v1/discrepancies' },
  'GET /api/v1/alerts': { path: '/api/v1/alerts' },
  'POST /api/v1/alerts/:alertId/ack': { path: '/api/v1/alerts/999/ack' },
  'GET /api/v1/audit': { path: '/api/v1/audit' },
  'GET /api/v1/audit/verify': { path: '/api/v1/audit/verify' },
  'POST /api/v1/users': {
    path: '/api/v1/users',
    body: { user: 'matrix-user', role: 'finance', password: 'another long password' },
  },
};

/** A streaming GET: the status and problem body (refused) or the status alone (a stream), then abort. */
async function probeStream(
  path: string,
  token: string,
): Promise<{ status: number; contentType: string; json: { code?: string } | undefined }> {
  const abort = new AbortController();
  const response = await fetch(`${api.url}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  const contentType = response.headers.get('content-type') ?? '';
  const json = response.ok ? undefined : ((await response.json()) as { code?: string });
  abort.abort();
  return { status: response.status, contentType, json };
}

let api: ApiFixture;
t.before(async () => {
  api = await startApiFixture();
});
t.teardown(() => api.close());

t.test('the matrix names exactly the declared routes, with the declared roles', async (t) => {
  const declared = apiRoutes(api.hq.gateway.api);
  const keys = declared.map((r) => `${r.method} ${r.url}`);
  t.same([...keys].sort(), [...Object.keys(matrix), ...publicRoutes].sort());
  for (const route of declared) {
    const key = `${route.method} ${route.url}`;
    if (route.roles === 'public') t.ok(publicRoutes.includes(key), `${key} is public`);
    else t.same([...route.roles].sort(), [...(matrix[key] ?? [])].sort(), key);
  }
});

t.test('every (route, role) cell: allowed or forbidden', async (t) => {
  // Logging out ends the session: that cell runs last for each role.
  const order = Object.keys(matrix).sort(
    (a, b) => Number(a.startsWith('DELETE')) - Number(b.startsWith('DELETE')),
  );
  let cells = 0;
  for (const role of roles) {
    for (const key of order) {
      const method = key.split(' ')[0] ?? '';
      const request = requests[key];
      if (request === undefined) throw new Error(`no request for ${key}`);
      // The live stream never ends by itself: its cell reads the status and the head, then hangs up.
      const answer =
        key === 'GET /api/v1/live'
          ? await probeStream(request.path, api.tokens[role])
          : await api.call(method, request.path, {
              token: api.tokens[role],
              ...(request.body === undefined ? {} : { body: request.body }),
            });
      cells += 1;
      if (matrix[key]?.includes(role)) {
        t.not(answer.status, 403, `${role} may ${key} (${answer.status} ${answer.json?.code ?? ''})`);
        t.not(answer.status, 401, `${role} ${key} authenticated`);
      } else {
        t.equal(answer.status, 403, `${role} may not ${key}`);
        t.equal(answer.json?.code, 'HQ_FORBIDDEN', `${role} ${key} code`);
        t.match(answer.contentType, /application\/problem\+json/);
      }
    }
  }
  t.equal(cells, roles.length * Object.keys(matrix).length, 'every cell asserted');
});

t.test('no session: 401 HQ_AUTH_REQUIRED on every non-public route', async (t) => {
  for (const key of Object.keys(matrix)) {
    const method = key.split(' ')[0] ?? '';
    const request = requests[key];
    const answer = await api.call(method, request?.path ?? '', {
      ...(request?.body === undefined ? {} : { body: request.body }),
    });
    t.equal(answer.status, 401, key);
    t.equal(answer.json?.code, 'HQ_AUTH_REQUIRED', key);
  }
  const forged = await api.call('GET', '/api/v1/stations', { token: 'A'.repeat(43) });
  t.equal(forged.json?.code, 'HQ_AUTH_REQUIRED', 'an unknown token');
});
