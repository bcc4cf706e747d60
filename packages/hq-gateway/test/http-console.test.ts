// Goal: what the HQ console needs from the gateway (issue 12): the built console served under
// /console/ by the gateway itself with a strict Content-Security-Policy and nothing outside its
// folder; the overview answer scoped by role; the live stream (server-sent events) authenticated,
// role-scoped and bounded; a console folder without a build refused (HQ_CONSOLE_MISSING). Method:
// the gateway in-process with its API on a free port (api-fixture), real HTTP; the live stream's
// events come from the ingest pipeline's own emitter.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildApiServer } from '../src/adapters/http/server.js';
import { defaultConsoleDir } from '../src/console-dir.js';
import { HqError } from '../src/errors.js';
import { type ApiFixture, startApiFixture } from './helpers/api-fixture.js';

let api: ApiFixture;
t.before(async () => {
  api = await startApiFixture();
});
t.teardown(() => api.close());

/** Reads a server-sent-events stream until `until` says stop; the events seen, in order. */
async function readEvents(
  token: string,
  until: (events: Array<{ event: string; data: Record<string, unknown> }>) => boolean,
  afterOpen: () => void,
): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const abort = new AbortController();
  const response = await fetch(`${api.url}/api/v1/live`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (response.body === null) throw new Error('no stream body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  let buffer = '';
  let opened = false;
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      if (event === 'hello' && !opened) {
        opened = true;
        afterOpen();
      }
    }
  }
  abort.abort();
  return events;
}

t.test('the gateway serves the built console under /console/ with a strict CSP', async (t) => {
  const dir = defaultConsoleDir();
  t.ok(dir, 'packages/hq-console is built (npm run build; bootstrap builds it)');
  const index = await api.call('GET', '/console/');
  t.equal(index.status, 200);
  t.match(index.contentType, /text\/html/);
  t.match(index.text, /<div id="root"><\/div>/, 'the console page');
  t.match(index.text, /lang="zh-CN"/);
  const response = await fetch(`${api.url}/console/`);
  const csp = response.headers.get('content-security-policy') ?? '';
  t.match(csp, /script-src 'self'/, 'scripts from the gateway only (no CDN)');
  t.match(csp, /frame-ancestors 'none'/);
  t.equal(response.headers.get('x-content-type-options'), 'nosniff');
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
  t.ok(script, 'index.html names its script');
  const asset = await api.call('GET', script ?? '');
  t.equal(asset.status, 200, 'the script is served');
  t.match(asset.contentType, /javascript/);
  t.equal(
    asset.text,
    readFileSync(join(dir ?? '', script?.replace('/console/', '') ?? ''), 'utf8'),
    'byte for byte',
  );
  t.notMatch(
    index.text + asset.text,
    /https?:\/\/(?!www\.w3\.org|reactjs\.org|react\.dev)[a-z0-9.-]+\.(com|cn|net|org)\//i,
    'no external host in the page or script',
  );
  const root = await fetch(`${api.url}/`, { redirect: 'manual' });
  t.equal(root.status, 302);
  t.equal(root.headers.get('location'), '/console/');
});

t.test('nothing outside the console folder is served', async (t) => {
  for (const path of [
    '/console/../package.json',
    '/console/%2e%2e/package.json',
    '/console/..%2fpackage.json',
    '/console/nope.js',
  ]) {
    const answer = await api.call('GET', path);
    t.ok(answer.status === 404 || answer.status === 403, `${path}: ${answer.status}`);
    t.notMatch(answer.text, /"name": "@bianmin/, `${path} is not a package file`);
  }
});

t.test('a console folder without a build is refused: HQ_CONSOLE_MISSING', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'hq-console-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(buildApiServer({ ...api.hq.gateway.api, consoleDir: empty }), {
    code: 'HQ_CONSOLE_MISSING',
  });
});

t.test('the overview is scoped to what the role sees', async (t) => {
  const market = await api.call('GET', '/api/v1/overview', { token: api.tokens.market });
  t.equal(market.status, 200);
  t.equal(market.json.stationCount, 3, 'market sees the network');
  t.same(
    market.json.regions.map((r: { branchId: string; total: number }) => [r.branchId, r.total]),
    [
      ['B1', 2],
      ['B2', 1],
    ],
  );
  t.equal(market.json.byState.never_seen + market.json.byState.online + market.json.byState.offline, 3);
  t.match(market.json.businessDate, /^\d{4}-\d{2}-\d{2}$/);
  t.same(market.json.today, [], 'no business today yet');
  const branch = await api.call('GET', '/api/v1/overview', { token: api.tokens.branch });
  t.equal(branch.json.stationCount, 2, 'branch B1 sees its own two');
  t.same(
    branch.json.regions.map((r: { branchId: string }) => r.branchId),
    ['B1'],
  );
  const none = await api.call('GET', '/api/v1/overview');
  t.equal(none.status, 401);
  t.equal(none.json.code, 'HQ_AUTH_REQUIRED');
});

t.test('live: a branch user hears its own stations only; transactions are announced', async (t) => {
  const pipeline = api.hq.gateway.pipeline;
  const events = await readEvents(
    api.tokens.branch,
    (seen) => seen.some((e) => e.event === 'transactions'),
    () => {
      pipeline.emit('status', 'S2', 'birth'); // branch B2: not this user's
      pipeline.emit('status', 'S1', 'death'); // never seen: offline already, no change
      pipeline.emit('status', 'S1', 'stale_birth'); // not an on/offline change
      pipeline.emit('status', 'S1', 'birth');
      pipeline.emit('status', 'S1', 'telemetry'); // online already: no change
      pipeline.emit('status', 'S1', 'death');
      pipeline.emit('status', 'S1', 'silence'); // offline already: no change
      pipeline.emit('committed', { events: 0, quarantined: 0 });
      pipeline.emit('committed', { events: 3, quarantined: 0 });
      pipeline.emit('committed', { events: 2, quarantined: 0 });
    },
  );
  t.same(
    events.map((e) => e.event),
    ['hello', 'station', 'station', 'transactions'],
  );
  t.same(events[1]?.data, { stationId: 'S1', kind: 'birth', online: true });
  t.same(events[2]?.data, { stationId: 'S1', kind: 'death', online: false });
  t.same(events[3]?.data, { events: 5 }, 'arrivals coalesced into one message');
  const market = await readEvents(
    api.tokens.market,
    (seen) => seen.some((e) => e.event === 'station'),
    () => {
      pipeline.emit('status', 'S9', 'silence'); // no status yet: offline already, no change
      pipeline.emit('status', 'S9', 'telemetry'); // online: a change
    },
  );
  t.same(
    market.at(-1)?.data,
    { stationId: 'S9', kind: 'telemetry', online: true },
    'market hears every branch',
  );
});

t.test('live without a source answers 503 HQ_LIVE_BUSY', async (t) => {
  const { live: _live, consoleDir: _dir, ...deps } = api.hq.gateway.api;
  const app = await buildApiServer(deps);
  t.teardown(() => app.close());
  const answer = await app.inject({
    method: 'GET',
    url: '/api/v1/live',
    headers: { authorization: `Bearer ${api.tokens.finance}` },
  });
  t.equal(answer.statusCode, 503);
  t.equal(answer.json().code, 'HQ_LIVE_BUSY');
  t.ok(new HqError('HQ_LIVE_BUSY', 'x').code === 'HQ_LIVE_BUSY');
});
