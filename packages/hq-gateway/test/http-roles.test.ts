// Goal: least privilege per route (issue 11): for EVERY (route, role) cell the API answers as the
// expected matrix below says: forbidden cells 403 HQ_FORBIDDEN, allowed cells anything but 401/403;
// no session is 401 HQ_AUTH_REQUIRED everywhere; the matrix names exactly the routes the server
// declares. Method: the gateway in-process with its API on a free port, one user per role, real
// HTTP (fetch); requests carry plausible bodies, so allowed cells reach their handlers.
import t from 'tap';
import { apiRoutes } from '../src/adapters/http/server.js';
import { type Role, roles } from '../src/domain/roles.js';
import { type ApiFixture, startApiFixture } from './helpers/api-fixture.js';
import { goodFindings, NetworkPrep, nextSite, type Prepared } from './helpers/network-api.js';

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
  'POST /api/v1/stations/:stationId/reenrol': ['market'],
  'POST /api/v1/stations/:stationId/quota-purchases': ['ecommerce'],
  'GET /api/v1/reports/daily': ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance'],
  'GET /api/v1/quarantine': ['market', 'supervision'],
  'GET /api/v1/discrepancies': ['branch', 'market', 'ecommerce', 'supervision', 'finance'],
  'GET /api/v1/alerts': all,
  'POST /api/v1/alerts/:alertId/ack': ['branch', 'market', 'supervision'],
  'POST /api/v1/alerts/:alertId/assign': ['market', 'supervision'],
  'POST /api/v1/alerts/:alertId/close': ['branch', 'market', 'supervision'],
  'GET /api/v1/audit': ['supervision'],
  'GET /api/v1/audit/verify': ['supervision'],
  'POST /api/v1/users': ['admin'],
  // The station network (R4, R10-R19, R22, R23): every cell of these answers 2xx when allowed.
  'GET /api/v1/network/branches': all,
  'POST /api/v1/network/branches': ['market'],
  'GET /api/v1/network/stations': all,
  'GET /api/v1/network/stations/:stationId': all,
  'POST /api/v1/network/stations': ['branch', 'market'],
  'POST /api/v1/network/stations/:stationId/steps/surveyed': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/applied': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/agreement-signed': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/fee-settled': ['finance'],
  'POST /api/v1/network/stations/:stationId/steps/fitted-out': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/debit-account-set': ['agency_finance'],
  'POST /api/v1/network/stations/:stationId/steps/installed': ['ecommerce'],
  'POST /api/v1/network/stations/:stationId/steps/goods-delivered': ['branch'],
  'POST /api/v1/network/stations/:stationId/steps/equipment-signed': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/opened': ['ecommerce'],
  'POST /api/v1/network/stations/:stationId/steps/follow-up-visited': ['ecommerce'],
  'POST /api/v1/network/stations/:stationId/steps/suspended': ['market', 'supervision'],
  'POST /api/v1/network/stations/:stationId/steps/reopened': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/closed': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/change-requested': ['branch', 'market'],
  'POST /api/v1/network/stations/:stationId/steps/change-approved': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/move-requested': ['branch', 'market'],
  'POST /api/v1/network/stations/:stationId/steps/move-surveyed': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/transferred': ['market'],
  'POST /api/v1/network/stations/:stationId/steps/inspection-recorded': ['market', 'supervision'],
  'POST /api/v1/network/stations/:stationId/steps/training-recorded': ['ecommerce'],
  'POST /api/v1/network/stations/:stationId/fee-check': ['ecommerce'],
  'GET /api/v1/network/repairs': ['branch', 'market', 'ecommerce', 'supervision'],
  'POST /api/v1/network/repairs': ['branch', 'market', 'ecommerce'],
  'POST /api/v1/network/repairs/:ticketId/notes': ['ecommerce'],
  'POST /api/v1/network/repairs/:ticketId/close': ['ecommerce'],
  'GET /api/v1/network/complaints': ['market', 'supervision'],
  'GET /api/v1/network/complaints/:complaintId': ['market', 'supervision'],
  'POST /api/v1/network/complaints': ['branch', 'market', 'supervision'],
  'POST /api/v1/network/complaints/:complaintId/notes': ['market', 'supervision'],
  'POST /api/v1/network/complaints/:complaintId/answer': ['supervision'],
  'POST /api/v1/network/complaints/:complaintId/outcome': ['supervision'],
  'GET /api/v1/network/overdue': all,
  'POST /api/v1/network/statistics/:branchId': ['branch', 'market'],
  'GET /api/v1/network/statistics': ['branch', 'market', 'ecommerce', 'supervision', 'finance'],
  'POST /api/v1/network/commissions/:month/run': ['ecommerce'],
  'GET /api/v1/network/commissions/:month': ['ecommerce', 'finance', 'market', 'supervision'],
  'POST /api/v1/network/commissions/:month/listed': ['ecommerce'],
  'POST /api/v1/network/commissions/:month/invoices': ['ecommerce'],
  'POST /api/v1/network/commissions/:month/payments': ['finance', 'branch'],
  'GET /api/v1/network/archive/:year': ['supervision'],
  // Releases and rollouts (issue 13): the administrator changes the fleet's software; market and
  // supervision may also stop it (pause, cancel); branch offices, agency finance and finance see none.
  'GET /api/v1/releases': ['market', 'ecommerce', 'supervision', 'admin'],
  'POST /api/v1/releases': ['admin'],
  'GET /api/v1/station-groups': ['market', 'ecommerce', 'supervision', 'admin'],
  'POST /api/v1/station-groups': ['admin', 'market'],
  'GET /api/v1/station-groups/:groupId': ['market', 'ecommerce', 'supervision', 'admin'],
  'GET /api/v1/rollouts': ['market', 'ecommerce', 'supervision', 'admin'],
  'POST /api/v1/rollouts': ['admin'],
  'GET /api/v1/rollouts/:rolloutId': ['market', 'ecommerce', 'supervision', 'admin'],
  'POST /api/v1/rollouts/:rolloutId/start': ['admin'],
  'POST /api/v1/rollouts/:rolloutId/pause': ['admin', 'market', 'supervision'],
  'POST /api/v1/rollouts/:rolloutId/resume': ['admin'],
  'POST /api/v1/rollouts/:rolloutId/cancel': ['admin', 'market', 'supervision'],
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
  'POST /api/v1/stations/:stationId/reenrol': {
    path: '/api/v1/stations/NOPE/reenrol',
    body: { request: { kind: 'x' }, reason: 'matrix' },
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
  'POST /api/v1/alerts/:alertId/assign': {
    path: '/api/v1/alerts/999/assign',
    body: { assignee: 'u-market' },
  },
  'POST /api/v1/alerts/:alertId/close': { path: '/api/v1/alerts/999/close', body: { reason: 'matrix' } },
  'GET /api/v1/audit': { path: '/api/v1/audit' },
  'GET /api/v1/audit/verify': { path: '/api/v1/audit/verify' },
  'POST /api/v1/users': {
    path: '/api/v1/users',
    body: { user: 'matrix-user', role: 'finance', password: 'another long password' },
  },
  // Allowed cells reach their handlers and answer with the app's own refusal (no release store in
  // this fixture, no such rollout), never 401/403.
  'GET /api/v1/releases': { path: '/api/v1/releases' },
  'POST /api/v1/releases': { path: '/api/v1/releases', body: { bundle: 'kiosk-matrix' } },
  'GET /api/v1/station-groups': { path: '/api/v1/station-groups' },
  'POST /api/v1/station-groups': {
    path: '/api/v1/station-groups',
    body: { groupId: 'G-matrix', name: '矩阵', stationIds: ['S1'] },
  },
  'GET /api/v1/station-groups/:groupId': { path: '/api/v1/station-groups/G-matrix' },
  'GET /api/v1/rollouts': { path: '/api/v1/rollouts' },
  'POST /api/v1/rollouts': {
    path: '/api/v1/rollouts',
    body: {
      rolloutId: 'R-matrix',
      release: '0.0.1-linux-arm64',
      target: { stationIds: ['S1'] },
      groupSize: 1,
      successThresholdPercent: 100,
      errorThresholdPercent: 0,
      stationTimeoutMin: 60,
    },
  },
  'GET /api/v1/rollouts/:rolloutId': { path: '/api/v1/rollouts/R-matrix' },
  'POST /api/v1/rollouts/:rolloutId/start': { path: '/api/v1/rollouts/R-matrix/start', body: {} },
  'POST /api/v1/rollouts/:rolloutId/pause': { path: '/api/v1/rollouts/R-matrix/pause', body: {} },
  'POST /api/v1/rollouts/:rolloutId/resume': { path: '/api/v1/rollouts/R-matrix/resume', body: {} },
  'POST /api/v1/rollouts/:rolloutId/cancel': { path: '/api/v1/rollouts/R-matrix/cancel', body: {} },
};

type NetRequest = { path: string; body?: unknown };
/**
 * The network cells: a request built for the role, from the state it needs (prepared through the
 * app layer), so an allowed cell must answer 2xx; a refused cell needs no state (403 comes first).
 */
const stepFrom: Record<string, [Prepared, Record<string, unknown>]> = {
  surveyed: ['proposed', { location: { latitudeDeg: 0, longitudeDeg: 0 }, findings: goodFindings }],
  applied: ['surveyed', { receiptNumber: 'RC-M', documents: ['business-licence', 'id-card'] }],
  'agreement-signed': ['applied', { agreementNumber: 'AG-M', copies: 3 }],
  'fee-settled': ['agreement-signed', { mode: 'competitor-switch' }],
  'fitted-out': ['fee-settled', { notes: '装修完成' }],
  'debit-account-set': ['fitted-out', { accountMasked: '622202******1234' }],
  installed: ['debit-account-set', { ukKeySerial: 'UK-M', trained: true }],
  'goods-delivered': ['installed', {}],
  'equipment-signed': ['goods-delivered', {}],
  opened: ['equipment-signed', { orgCode: 'ORG-M', quotaAccount: 'QA-M' }],
  'follow-up-visited': ['open', { notes: '回访' }],
  suspended: ['open', { reason: 'matrix' }],
  reopened: ['suspended', {}],
  closed: ['open', {}],
  'change-requested': ['open', { description: '变更营业时间' }],
  'change-approved': ['change-pending', {}],
  'move-requested': ['open', { location: { latitudeDeg: 0, longitudeDeg: 0 } }],
  'move-surveyed': ['move-pending', { findings: goodFindings }],
  transferred: ['open', { agreementNumber: 'AG-T', copies: 3, holderName: '李四' }],
  'inspection-recorded': ['open', { method: 'on-site', findings: '正常' }],
  'training-recorded': ['open', { topic: '新业务培训' }],
};

async function networkRequest(key: string, role: Role, allowed: boolean): Promise<NetRequest | undefined> {
  const [method, url = ''] = key.split(' ');
  if (!url.startsWith('/api/v1/network/')) return undefined;
  const step = /\/steps\/(.+)$/.exec(url)?.[1];
  const fill = (values: Record<string, string>): string =>
    url.replace(/:(\w+)/g, (_m, name: string) => values[name] ?? 'NOPE');
  if (!allowed)
    return { path: fill({ year: '2026', month: '2026-10' }), ...(method === 'POST' ? { body: {} } : {}) };
  if (step !== undefined) {
    const [from, body] = stepFrom[step] ?? ['open', {}];
    const stationId = await prep.station(from);
    // A survey or a move names a fresh site of its own (R12 checks it against every other site).
    const located = 'location' in body ? { ...body, location: nextSite() } : body;
    return { path: fill({ stationId }), body: located };
  }
  cellCount += 1;
  const unique = `${role}-${cellCount}`;
  switch (key) {
    case 'POST /api/v1/network/branches':
      return { path: url, body: { branchId: `BX-${unique}`, name: '新支局', location: nextSite() } };
    case 'GET /api/v1/network/stations/:stationId':
      return { path: fill({ stationId: openStation }) };
    case 'POST /api/v1/network/stations':
      return {
        path: url,
        body: { stationId: `P-${unique}`, branchId: 'B1', name: '新站', location: nextSite() },
      };
    case 'POST /api/v1/network/stations/:stationId/fee-check':
      return { path: fill({ stationId: openStation }), body: { month: '2026-10' } };
    case 'POST /api/v1/network/repairs':
      return {
        path: url,
        body: { ticketId: `TK-${unique}`, stationId: 'S1', peripheral: 'printer', fault: '卡纸' },
      };
    case 'POST /api/v1/network/repairs/:ticketId/notes':
      return { path: fill({ ticketId: 'TK0' }), body: { note: '已派人' } };
    case 'POST /api/v1/network/repairs/:ticketId/close': {
      await prep.repair(`TKC-${unique}`, 'S1');
      return { path: fill({ ticketId: `TKC-${unique}` }), body: { costFen: 5_000 } };
    }
    case 'GET /api/v1/network/complaints/:complaintId':
      return { path: fill({ complaintId: 'C0' }) };
    case 'POST /api/v1/network/complaints':
      return {
        path: url,
        body: {
          complaintId: `C-${unique}`,
          channel: 'phone',
          complainant: { name: '王五', contact: '13900000000' },
          summary: '机器故障',
          stationId: 'S1',
        },
      };
    case 'POST /api/v1/network/complaints/:complaintId/notes':
      return { path: fill({ complaintId: 'C0' }), body: { note: '已联系' } };
    case 'POST /api/v1/network/complaints/:complaintId/answer': {
      await prep.complaint(`CA-${unique}`);
      return { path: fill({ complaintId: `CA-${unique}` }), body: { channel: 'phone', text: '已处理' } };
    }
    case 'POST /api/v1/network/complaints/:complaintId/outcome': {
      await prep.complaint(`CO-${unique}`, true);
      return { path: fill({ complaintId: `CO-${unique}` }), body: { text: '已告知投诉人' } };
    }
    case 'POST /api/v1/network/statistics/:branchId':
      return {
        path: fill({ branchId: 'B1' }),
        body: { month: '2026-09', stationsOpened: 1, stationsClosed: 0, lines: [] },
      };
    case 'POST /api/v1/network/commissions/:month/run':
      return { path: fill({ month: '2026-08' }) };
    case 'POST /api/v1/network/commissions/:month/listed':
      return { path: fill({ month: '2026-07' }), body: {} };
    case 'POST /api/v1/network/commissions/:month/invoices':
      return { path: fill({ month: '2026-10' }), body: { stationId: 'S1', paidThrough: 'BRANCH' } };
    case 'POST /api/v1/network/commissions/:month/payments': {
      // Each paying role its own month (a station's line is paid once).
      const month = role === 'branch' ? '2025-04' : '2025-03';
      await prep.commission(month, true);
      return { path: fill({ month }), body: { stationId: 'S1', paidThrough: 'BRANCH' } };
    }
    default:
      return { path: fill({ year: '2026', month: '2026-10' }) };
  }
}

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
let prep: NetworkPrep;
let openStation = '';
let cellCount = 0;
t.before(async () => {
  api = await startApiFixture();
  prep = new NetworkPrep(() => api.hq.gateway.api.network);
  await prep.branch('B1');
  await prep.branch('B2');
  openStation = await prep.station('open');
  await prep.repair('TK0', 'S1');
  await prep.complaint('C0');
  await prep.commission('2026-07', false);
  await prep.commission('2026-10', true);
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
      const allowed = matrix[key]?.includes(role) === true;
      const network = await networkRequest(key, role, allowed);
      const request = network ?? requests[key];
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
      if (allowed && network !== undefined) {
        t.ok(
          answer.status >= 200 && answer.status < 300,
          `${role} ${key}: ${answer.status} ${'text' in answer ? answer.text.slice(0, 300) : ''}`,
        );
      } else if (allowed) {
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
    const request = (await networkRequest(key, 'admin', false)) ?? requests[key];
    const answer = await api.call(method, request?.path ?? '', {
      ...(request?.body === undefined ? {} : { body: request.body }),
    });
    t.equal(answer.status, 401, key);
    t.equal(answer.json?.code, 'HQ_AUTH_REQUIRED', key);
  }
  const forged = await api.call('GET', '/api/v1/stations', { token: 'A'.repeat(43) });
  t.equal(forged.json?.code, 'HQ_AUTH_REQUIRED', 'an unknown token');
});
