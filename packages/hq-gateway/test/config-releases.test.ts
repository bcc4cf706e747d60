// Goal: `hq serve` can offer OTA releases from its config (issue 13): hq.json's `releases` names
// the store, the inbox and the trusted release keys, checked at the edge with every problem named,
// paths resolved against the config's folder, the keys read at start (an unreadable one stops the
// start with HQ_FILE_UNREADABLE and its path).
// Method: checkHqConfig on in-memory objects; releaseApiConfigOf on files in a temp folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkHqConfig } from '../src/config.js';
import { releaseApiConfigOf } from '../src/config-releases.js';
import { HqError } from '../src/errors.js';

const base = {
  brokerUrl: 'mqtt://127.0.0.1:1883',
  clientId: 'gw-1',
  hqKeyFile: 'hq.pem',
  calendarDir: '.',
  dbPath: 'hq.db',
};

function problemsOf(releases: unknown): string[] {
  try {
    checkHqConfig({ ...base, releases }, '/etc/hq');
  } catch (error) {
    if (error instanceof HqError) return error.problems.map((p) => `${p.code} ${p.message}`).sort();
    throw error;
  }
  return [];
}

t.test('a good block: paths resolved against the config folder', async (t) => {
  const config = checkHqConfig(
    {
      ...base,
      releases: { dir: 'releases', inboxDir: '/srv/inbox', trustedKeyFiles: ['keys/release-2026.pem'] },
    },
    '/etc/hq',
  );
  t.same(config.releases, {
    dir: '/etc/hq/releases',
    inboxDir: '/srv/inbox',
    trustedKeyFiles: ['/etc/hq/keys/release-2026.pem'],
  });
  t.equal(checkHqConfig(base, '/etc/hq').releases, undefined, 'absent: no releases');
});

t.test('every problem named', async (t) => {
  t.same(problemsOf([]), ['HQ_CONFIG_INVALID releases: must be a object']);
  t.same(problemsOf({ dir: '', trustedKeyFiles: [], mirror: 'x' }), [
    'HQ_CONFIG_INVALID releases.dir: must be a folder path',
    'HQ_CONFIG_INVALID releases.inboxDir: must be a folder path',
    'HQ_CONFIG_INVALID releases.mirror: unknown key',
    'HQ_CONFIG_INVALID releases.trustedKeyFiles: must list 1..8 PEM files of HQ release public keys',
  ]);
  t.same(problemsOf({ dir: 'r', inboxDir: 'r', trustedKeyFiles: ['a.pem', 7] }), [
    'HQ_CONFIG_INVALID releases.inboxDir: must not be the store folder itself',
    'HQ_CONFIG_INVALID releases.trustedKeyFiles[1]: must be a file path',
  ]);
});

t.test('the keys are read at start; an unreadable one names its path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-releases-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.pem'), '-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n');
  const api = releaseApiConfigOf({
    dir: join(dir, 'r'),
    inboxDir: join(dir, 'in'),
    trustedKeyFiles: [join(dir, 'a.pem')],
  });
  t.same(api, {
    releasesDir: join(dir, 'r'),
    inboxDir: join(dir, 'in'),
    trustedKeys: ['-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n'],
  });
  t.throws(
    () =>
      releaseApiConfigOf({
        dir: join(dir, 'r'),
        inboxDir: join(dir, 'in'),
        trustedKeyFiles: [join(dir, 'gone.pem')],
      }),
    { code: 'HQ_FILE_UNREADABLE', message: /gone\.pem/ },
  );
});
