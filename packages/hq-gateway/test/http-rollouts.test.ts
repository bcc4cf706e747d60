// Goal (issue 13): releases, saved station groups and rollouts through the HQ HTTP API: a release
// is published only when its signature and every file verify (a tampered one is refused with its
// code), a rollout's target mixes stations, a branch office and a saved group (resolved in that
// order, each station once; every unknown name listed at once), the operator's start / pause /
// resume / cancel and the kiosks' progress move it as the state machine says (next group at the
// success threshold, stopped past the error threshold), each station's progress is readable, and
// every accepted write leaves an audit row. Method: the whole gateway in-process (api-fixture,
// SQLite; the -postgres file runs the same on PostgreSQL), a second API on the same deps with a
// release store, real HTTP; kiosk reports enter through the app layer as HQ's verified-message
// path delivers them; small bundles signed here with a P-256 key.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  encodeReleaseManifest,
  encodeReleaseSignature,
  fingerprint,
  publicKeySpkiDer,
  type ReleaseFile,
  releaseTimestamp,
} from '@bianmin/wire';
import t from 'tap';
import { listenApi } from '../src/adapters/http/server.js';
import { releaseStoreCatalog } from '../src/adapters/release/release-catalog.js';
import { reportProgress } from '../src/app/rollouts.js';
import { type Any, type ApiFixture, startApiFixture } from './helpers/api-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'hq-rollout-api-'));
const inboxDir = join(root, 'inbox');
const releasesDir = join(root, 'releases');
const releaseKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A signed bundle folder in the inbox; `tamper` changes one file after signing. */
function makeBundle(name: string, version: string, tamper = false): void {
  const dir = join(inboxDir, name);
  const contents: Record<string, string> = {
    'bin/kiosk': '#!/bin/sh\nexec node app/main.js "$@"\n',
    'app/main.js': `console.log("kiosk ${version}")\n`,
  };
  const files: ReleaseFile[] = Object.entries(contents).map(([path, text]) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    return {
      path,
      sizeBytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
      mode: path.startsWith('bin/') ? 0o755 : 0o644,
    };
  });
  const manifestBytes = encodeReleaseManifest({
    format: 'bianmin-release/1',
    product: 'kiosk',
    version,
    platform: 'linux',
    arch: 'arm64',
    nodeVersion: '20.20.2',
    builtAt: releaseTimestamp(Date.UTC(2026, 11, 5, 4, 0, 0)),
    files,
  });
  writeFileSync(join(dir, 'manifest.json'), manifestBytes);
  writeFileSync(
    join(dir, 'manifest.sig'),
    encodeReleaseSignature({
      format: 'bianmin-release-signature/1',
      algorithm: 'ECDSA-P256-SHA256',
      keyId: fingerprint(publicKeySpkiDer(releaseKey.publicKey)),
      signature: new Uint8Array(
        sign('sha256', manifestBytes, { key: releaseKey.privateKey, dsaEncoding: 'ieee-p1363' }),
      ),
    }),
  );
  if (tamper) writeFileSync(join(dir, 'app/main.js'), 'console.log("not what was signed")\n');
}

let api: ApiFixture;
let url = '';
let closeSecond: () => Promise<void> = async () => undefined;

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Any };
}

t.before(async () => {
  api = await startApiFixture();
  makeBundle('kiosk-1.4.0', '1.4.0');
  makeBundle('kiosk-1.4.1-bad', '1.4.1', true);
  const gatewayApi = api.hq.gateway.api;
  const second = await listenApi(
    {
      ...gatewayApi,
      releases: {
        releasesDir,
        inboxDir,
        trustedKeys: [releaseKey.publicKey.export({ format: 'pem', type: 'spki' }).toString()],
        packBaseUrl: 'https://hq.example.cn',
      },
      // As main.ts wires it: the release store is the OTA catalog the offers read.
      rolloutWire: {
        ...gatewayApi.rolloutWire!,
        catalog: releaseStoreCatalog(releasesDir, 'https://hq.example.cn'),
      },
    },
    '127.0.0.1:0',
  );
  url = second.url;
  closeSecond = () => second.app.close();
});
t.teardown(async () => {
  await closeSecond();
  await api.close();
  rmSync(root, { recursive: true, force: true });
});

t.test('publish: not configured, tampered, good, the same again', async (t) => {
  const unconfigured = await api.call('POST', '/api/v1/releases', {
    token: api.tokens.admin,
    body: { bundle: 'kiosk-1.4.0' },
  });
  t.equal(unconfigured.status, 503);
  t.equal(unconfigured.json.code, 'HQ_RELEASE_NOT_CONFIGURED');

  const tampered = await call('POST', '/api/v1/releases', api.tokens.admin, { bundle: 'kiosk-1.4.1-bad' });
  t.equal(tampered.status, 422);
  t.equal(tampered.json.code, 'HQ_RELEASE_FILE_TAMPERED');
  t.match(tampered.json.problems[0], { field: 'app/main.js' });

  const good = await call('POST', '/api/v1/releases', api.tokens.admin, {
    bundle: 'kiosk-1.4.0',
    reason: '12月例行版本',
  });
  t.equal(good.status, 201, JSON.stringify(good.json));
  t.match(good.json, { created: true, release: { version: '1.4.0', arch: 'arm64', publishedBy: 'u-admin' } });
  const again = await call('POST', '/api/v1/releases', api.tokens.admin, { bundle: 'kiosk-1.4.0' });
  t.equal(again.status, 200);
  t.equal(again.json.created, false);
  t.equal(again.json.release.manifestSha256, good.json.release.manifestSha256, 'the first record stands');

  const list = await call('GET', '/api/v1/releases', api.tokens.market);
  t.same(
    list.json.items.map((r: Any) => `${r.version}-linux-${r.arch}`),
    ['1.4.0-linux-arm64'],
    'only the verified release is listed',
  );
});

t.test('a rollout over stations, a branch and a saved group, to its error threshold', async (t) => {
  const group = await call('POST', '/api/v1/station-groups', api.tokens.market, {
    groupId: 'G-pilot',
    name: '试点站',
    stationIds: ['S2'],
  });
  t.equal(group.status, 200, JSON.stringify(group.json));
  t.match(group.json, { groupId: 'G-pilot', stationIds: ['S2'], version: 1 });
  const badGroup = await call('POST', '/api/v1/station-groups', api.tokens.market, {
    groupId: 'G-bad',
    name: '错',
    stationIds: ['S2', 'NOPE'],
  });
  t.equal(badGroup.json.code, 'HQ_ROLLOUT_TARGET_UNKNOWN', 'a group of an unknown station is refused');

  const base = {
    rolloutId: 'R-2026-12',
    release: '1.4.0-linux-arm64',
    groupSize: 1,
    successThresholdPercent: 100,
    errorThresholdPercent: 0,
    stationTimeoutMin: 360,
  };
  const unknown = await call('POST', '/api/v1/rollouts', api.tokens.admin, {
    ...base,
    target: { stationIds: ['ZZ'], branchIds: ['B9'], groupIds: ['G-none'] },
  });
  t.equal(unknown.status, 422);
  t.same(
    unknown.json.problems.map((p: Any) => [p.code, p.field]),
    [
      ['HQ_ROLLOUT_TARGET_UNKNOWN', 'target.stationIds'],
      ['HQ_ROLLOUT_TARGET_UNKNOWN', 'target.branchIds'],
      ['HQ_ROLLOUT_TARGET_UNKNOWN', 'target.groupIds'],
    ],
    'every unknown name at once (R21)',
  );
  const unpublished = await call('POST', '/api/v1/rollouts', api.tokens.admin, {
    ...base,
    release: '9.9.9-linux-arm64',
    target: { stationIds: ['S1'] },
  });
  t.equal(unpublished.json.code, 'HQ_ROLLOUT_RELEASE_UNKNOWN');

  const created = await call('POST', '/api/v1/rollouts', api.tokens.admin, {
    ...base,
    target: { stationIds: ['S3'], branchIds: ['B1'], groupIds: ['G-pilot'] },
    reason: '先试点',
  });
  t.equal(created.status, 201, JSON.stringify(created.json));
  t.same(
    created.json.groups.map((g: Any) => g.stationIds),
    [['S3'], ['S1'], ['S2']],
    'stations first, then the branch (S3 once), then the group',
  );
  const twice = await call('POST', '/api/v1/rollouts', api.tokens.admin, {
    ...base,
    target: { stationIds: ['S1'] },
  });
  t.equal(twice.status, 409);
  t.equal(twice.json.code, 'HQ_ROLLOUT_ALREADY_EXISTS');

  const noCatalog = await api.call('POST', '/api/v1/rollouts/R-2026-12/start', {
    token: api.tokens.admin,
    body: {},
  });
  t.equal(noCatalog.json.code, 'HQ_ROLLOUT_RELEASE_UNKNOWN', 'a gateway without the pack cannot start it');
  const started = await call('POST', '/api/v1/rollouts/R-2026-12/start', api.tokens.admin, {});
  t.match(started.json, { status: 'running', groupIndex: 0 });
  t.same(started.json.offered, ['S3'], 'the first group is offered the release on down/cmd at once');
  const described = releaseStoreCatalog(releasesDir, 'https://hq.example.cn').describe('1.4.0-linux-arm64');
  t.ok(described !== undefined && described.packBytes > 0, 'the catalog describes the published release');
  const deps = { store: api.hq.gateway.api.network.store, clock: api.hq.gateway.api.clock };
  t.ok((await reportProgress(deps, 'R-2026-12', 'S3', 'healthy', '')).ok, 'S3 reports healthy');
  const paused = await call('POST', '/api/v1/rollouts/R-2026-12/pause', api.tokens.market, {
    reason: '站点反映打印慢',
  });
  t.match(paused.json, { status: 'paused', groupIndex: 1 }, 'group 1 started at 100% healthy');
  const resumed = await call('POST', '/api/v1/rollouts/R-2026-12/resume', api.tokens.admin, {});
  t.equal(resumed.json.status, 'running');
  await reportProgress(deps, 'R-2026-12', 'S1', 'rolled-back', 'health check: broker session failed');

  const detail = await call('GET', '/api/v1/rollouts/R-2026-12', api.tokens.supervision);
  t.equal(detail.json.status, 'stopped', 'stopped past the 0% error threshold');
  t.same(
    detail.json.stations.map((s: Any) => [s.stationId, s.progress]),
    [
      ['S3', 'healthy'],
      ['S1', 'rolled-back'],
      ['S2', 'pending'],
    ],
    'per-station progress; S2 was never offered the release',
  );
  t.equal(detail.json.stations[1].reason, 'health check: broker session failed');
  t.same(
    detail.json.history.map((h: Any) => [h.kind, h.actor]),
    [
      ['create', 'u-admin'],
      ['start', 'u-admin'],
      ['report', 'station:S3'],
      ['pause', 'u-market'],
      ['resume', 'u-admin'],
      ['report', 'station:S1'],
    ],
  );
  const cancel = await call('POST', '/api/v1/rollouts/R-2026-12/cancel', api.tokens.market, {});
  t.equal(cancel.status, 409, 'a stopped rollout cannot be cancelled');
  t.equal(cancel.json.code, 'HQ_ROLLOUT_TRANSITION_ILLEGAL');
  const missing = await call('GET', '/api/v1/rollouts/R-none', api.tokens.admin);
  t.equal(missing.json.code, 'HQ_ROLLOUT_NOT_FOUND');
  const noGroup = await call('GET', '/api/v1/station-groups/G-none', api.tokens.admin);
  t.equal(noGroup.json.code, 'HQ_STATION_GROUP_NOT_FOUND');

  const list = await call('GET', '/api/v1/rollouts', api.tokens.ecommerce);
  t.same(
    list.json.items.map((r: Any) => [r.rolloutId, r.status]),
    [['R-2026-12', 'stopped']],
  );
  t.match(list.json.items[0].groups[1], { healthy: 0, errors: 1, open: 0 });

  const audit = await call('GET', '/api/v1/audit?limit=200', api.tokens.supervision);
  const actions = audit.json.items.map((row: Any) => row.action);
  for (const action of [
    'release.publish',
    'station-group.save',
    'rollout.create',
    'rollout.start',
    'rollout.pause',
    'rollout.resume',
  ])
    t.ok(actions.includes(action), `audited: ${action}`);
});

t.test('the OpenAPI document lists the rollout routes', async (t) => {
  const doc = await api.call('GET', '/openapi.json');
  for (const path of ['/api/v1/releases', '/api/v1/rollouts', '/api/v1/rollouts/{rolloutId}/pause'])
    t.ok(doc.json.paths[path] !== undefined, path);
});
