// Goal (issue 13): deploy/kiosk/install.sh lays a verified release out on a kiosk and refuses
// every bad bundle with its code, leaving the previous release current and nothing half-copied.
// Layout checked: /opt/bianmin/kiosk/releases/<version> (root-owned, modes from the manifest), the
// current and previous links, /etc/bianmin 0750 root:bianmin, /var/lib/bianmin 0750 bianmin, the
// bianmin system user in dialout, the udev rules naming the card reader and PIN pad. Method: a
// real x64 bundle from `npm run release` (release key in a SoftHSM token), installed into a
// temporary root (--destdir, with its own etc/passwd and group: the real / is never touched), an
// upgrade made by re-signing a changed copy, and one broken bundle per refusal; and the .deb
// (--deb) installed with `dpkg --root … --force-script-chrootless`, its postinst running the same
// installer into the staging root. The install also puts the OTA switch in place (the root helper
// /usr/lib/bianmin/ota-switch, the systemd units, the agent's staging folder; docs/ota.md).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { releaseErrorCodes } from '../../scripts/release/errors.ts';
import { writeManifest } from '../../scripts/release/manifest-writer.ts';
import { signManifest } from '../../scripts/release/sign.ts';
import { repoRoot, runReleaseBuild, softhsmModuleX64, startReleaseToken } from '../helpers/release-token.js';

const dir = mkdtempSync(join(tmpdir(), 'bianmin-install-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const token = startReleaseToken('RELEASE-INSTALL');
t.teardown(() => token.close());
process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF; // signManifest below runs in this process
const otherToken = startReleaseToken('OTHER-RELEASE');
t.teardown(() => otherToken.close());

const build = runReleaseBuild(token, ['--arch', 'x64', '--deb', '--out', join(dir, 'out')]);
if (build.status !== 0) throw new Error(`release build failed: ${build.stderr}`);
const bundle = String(build.result?.bundleDir);
const manifestSha = (path: string) =>
  createHash('sha256')
    .update(readFileSync(join(path, 'manifest.json')))
    .digest('hex');
const installScript = join(repoRoot, 'deploy/kiosk/install.sh');

function freshRoot(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\ndialout:*::\n', { mode: 0o640 });
  return root;
}

function install(
  root: string,
  bundleDir: string,
  extra: string[] = [],
  options: { keyFile?: string; asUser?: boolean } = {},
) {
  const args = [
    installScript,
    bundleDir,
    '--destdir',
    root,
    '--release-key',
    options.keyFile ?? token.publicKeyFile,
    ...extra,
  ];
  const run = options.asUser
    ? spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', installScript, bundleDir, ...extra],
        { encoding: 'utf8' },
      )
    : spawnSync('sh', args, { encoding: 'utf8' });
  const code = /install: ([A-Z_]+): /.exec(run.stderr)?.[1] ?? null;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, code };
}

/** A copy of the bundle, changed by `edit`, re-signed as `version` by `signer` (the release token by default). */
async function resigned(
  name: string,
  version: string,
  edit: (copy: string) => void,
  signer = token,
): Promise<string> {
  const copy = join(dir, name);
  cpSync(bundle, copy, { recursive: true });
  edit(copy);
  const manifest = writeManifest(copy, {
    version,
    arch: 'x64',
    nodeVersion: process.versions.node,
    builtAtMs: Date.now(),
  });
  process.env.SOFTHSM2_CONF = signer.env.SOFTHSM2_CONF;
  try {
    const { signatureFile } = await signManifest(manifest.bytes, {
      modulePath: softhsmModuleX64,
      tokenLabel: signer.tokenLabel,
      keyLabel: 'hq-release',
      pinFile: signer.pinFile,
    });
    writeFileSync(join(copy, 'manifest.sig'), signatureFile);
  } finally {
    process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  }
  return copy;
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const root = freshRoot('root-main');
const kiosk = join(root, 'opt/bianmin/kiosk');
const version = String(build.result?.version);

t.test('first install into a staging root: the whole layout', async (t) => {
  const run = install(root, bundle, [
    '--expect-manifest-sha256',
    manifestSha(bundle),
    '--card-reader-usb',
    '0403:6001:CR000123',
    '--pin-pad-usb',
    '0403:6015:PP000456',
  ]);
  for (const line of run.stdout.trim().split('\n')) t.comment(line.slice(0, 160));
  t.equal(run.status, 0, run.stderr);
  t.equal(readlinkSync(join(kiosk, 'current')), `releases/${version}`);
  t.notOk(existsSync(join(kiosk, 'previous')), 'no previous on a first install');
  const release = join(kiosk, 'releases', version);
  t.equal(mode(join(release, 'bin/node')), '755');
  t.equal(mode(join(release, 'app/node_modules/@bianmin/device-agent/package.json')), '644');
  t.equal(
    statSync(join(release, 'bin/node')).uid,
    0,
    'the release belongs to root: the agent cannot change its own code',
  );
  t.same(readdirSync(join(kiosk, 'releases')), [version], 'no incoming copy left');
  const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
  const user = /^bianmin:x:(\d+):(\d+):[^:]*:\/var\/lib\/bianmin:\/usr\/sbin\/nologin$/m.exec(passwd);
  t.ok(user, 'system user bianmin, no login shell');
  t.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^dialout:x:20:bianmin$/m, 'bianmin in dialout');
  t.equal(mode(join(root, 'etc/bianmin')), '750');
  t.equal(statSync(join(root, 'etc/bianmin')).uid, 0);
  t.equal(mode(join(root, 'var/lib/bianmin')), '750');
  t.equal(
    String(statSync(join(root, 'var/lib/bianmin/journal')).uid),
    user?.[1],
    'the journal folder belongs to bianmin',
  );
  // The OTA switch (docs/ota.md): the root helper, the units, the agent's staging folder.
  t.equal(mode(join(root, 'usr/lib/bianmin/ota-switch')), '755');
  t.equal(statSync(join(root, 'usr/lib/bianmin/ota-switch')).uid, 0, 'the helper belongs to root');
  t.equal(
    readFileSync(join(root, 'usr/lib/bianmin/ota-switch'), 'utf8'),
    readFileSync(join(repoRoot, 'deploy/kiosk/ota-switch.sh'), 'utf8'),
  );
  const units = join(root, 'etc/systemd/system');
  t.same(
    readdirSync(units)
      .filter((name) => name.startsWith('bianmin-'))
      .sort(),
    [
      'bianmin-kiosk-rollback.service',
      'bianmin-kiosk.service',
      'bianmin-ota-switch.path',
      'bianmin-ota-switch.service',
    ],
  );
  t.equal(
    readlinkSync(join(units, 'multi-user.target.wants/bianmin-ota-switch.path')),
    '../bianmin-ota-switch.path',
    'the path unit is enabled',
  );
  t.equal(mode(join(root, 'var/lib/bianmin/ota/staging')), '750');
  t.equal(
    String(statSync(join(root, 'var/lib/bianmin/ota/staging')).uid),
    user?.[1],
    'staging belongs to bianmin',
  );
  const rules = readFileSync(join(root, 'etc/udev/rules.d/70-bianmin-serial.rules'), 'utf8');
  t.match(
    rules,
    'ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="CR000123", SYMLINK+="bianmin/card-reader", GROUP="dialout", MODE="0660"',
  );
  t.match(rules, 'ATTRS{idProduct}=="6015", ATTRS{serial}=="PP000456", SYMLINK+="bianmin/pin-pad"');
  const version2 = spawnSync(join(kiosk, 'current/bin/kiosk'), ['--version'], { encoding: 'utf8' });
  t.equal(version2.stdout.trim(), `kiosk ${version}`, 'the installed kiosk runs');
});

t.test('the same bundle again: nothing changes', async (t) => {
  const run = install(root, bundle);
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, 'verifying with the installed release');
  t.match(run.stdout, `${version} already installed`);
  t.equal(readFileSync(join(root, 'etc/passwd'), 'utf8').match(/^bianmin:/gm)?.length, 1, 'one user');
});

t.test(
  'an upgrade is verified by the installed release; current moves, previous keeps the old one',
  async (t) => {
    const next = await resigned('bundle-next', '9.9.9', (copy) =>
      writeFileSync(join(copy, 'app/NOTES.txt'), 'next\n'),
    );
    const run = install(root, next);
    t.equal(run.status, 0, run.stderr);
    t.match(run.stdout, `verifying with the installed release (releases/${version})`);
    t.equal(readlinkSync(join(kiosk, 'current')), 'releases/9.9.9');
    t.equal(readlinkSync(join(kiosk, 'previous')), `releases/${version}`);
  },
);

t.test('refusals: each with its code, current unchanged, no copy left behind', async (t) => {
  const tampered = join(dir, 'bundle-tampered');
  cpSync(bundle, tampered, { recursive: true });
  writeFileSync(join(tampered, 'app/node_modules/@bianmin/device-agent/dist/main.js'), 'process.exit(0)\n');
  const extra = join(dir, 'bundle-extra');
  cpSync(bundle, extra, { recursive: true });
  writeFileSync(join(extra, 'bin/backdoor'), 'x');
  const changedManifest = join(dir, 'bundle-changed-manifest');
  cpSync(bundle, changedManifest, { recursive: true });
  const manifestText = readFileSync(join(changedManifest, 'manifest.json'), 'utf8');
  writeFileSync(
    join(changedManifest, 'manifest.json'),
    manifestText.replace(`"version": "${version}"`, '"version": "9.9.10"'),
  );
  const otherKey = await resigned('bundle-other-key', '9.9.11', () => {}, otherToken);
  const rebuilt = await resigned('bundle-rebuilt', '9.9.9', (copy) =>
    writeFileSync(join(copy, 'app/NOTES.txt'), 'another build\n'),
  );
  const wrongArch = join(dir, 'bundle-arm64');
  cpSync(bundle, wrongArch, { recursive: true });
  writeFileSync(join(wrongArch, 'manifest.json'), manifestText.replace('"arch": "x64"', '"arch": "arm64"'));
  const cases: [string, () => ReturnType<typeof install>, string][] = [
    ['a changed file', () => install(root, tampered), 'RELEASE_BUNDLE_MISMATCH'],
    ['an extra file', () => install(root, extra), 'RELEASE_BUNDLE_MISMATCH'],
    [
      'a manifest changed after signing',
      () => install(root, changedManifest),
      'WIRE_RELEASE_SIGNATURE_INVALID',
    ],
    ['signed by another key', () => install(root, otherKey), 'WIRE_RELEASE_KEY_UNKNOWN'],
    [
      'another build of an installed version',
      () => install(root, rebuilt),
      'RELEASE_INSTALL_VERSION_CONFLICT',
    ],
    ['another architecture', () => install(root, wrongArch), 'RELEASE_INSTALL_WRONG_ARCH'],
    ['not a bundle', () => install(root, join(dir, 'out')), 'RELEASE_INSTALL_NOT_A_BUNDLE'],
    [
      'an unreadable key',
      () => install(root, tampered, [], { keyFile: join(dir, 'no-such.pem') }),
      'RELEASE_INSTALL_NO_KEY',
    ],
    [
      'first install without the published hash',
      () => install(freshRoot('root-first'), bundle),
      'RELEASE_INSTALL_MANIFEST_HASH',
    ],
    [
      'first install, hash differs',
      () => install(freshRoot('root-hash'), bundle, ['--expect-manifest-sha256', 'a'.repeat(64)]),
      'RELEASE_INSTALL_MANIFEST_HASH',
    ],
    ['not root, no --destdir', () => install(root, bundle, [], { asUser: true }), 'RELEASE_INSTALL_NOT_ROOT'],
    [
      'a udev value that would inject a rule',
      () => install(root, bundle, ['--card-reader-usb', '0403:6001:X", RUN+="/bin/sh']),
      'RELEASE_USAGE',
    ],
  ];
  const seen = new Set<string>();
  for (const [name, run, code] of cases) {
    const result = run();
    seen.add(code);
    t.equal(result.code, code, `${name}: ${result.stderr.slice(0, 300)}`);
    t.not(result.status, 0);
    t.equal(readlinkSync(join(kiosk, 'current')), 'releases/9.9.9', `${name}: current unchanged`);
    t.same(
      readdirSync(join(kiosk, 'releases')).sort(),
      [version, '9.9.9'].sort(),
      `${name}: nothing left behind`,
    );
  }
  const installCodes = Object.keys(releaseErrorCodes).filter((code) =>
    /^RELEASE_(INSTALL|BUNDLE)_/.test(code),
  );
  t.same(
    installCodes.filter((code) => !seen.has(code)),
    [],
    'every installer code triggered',
  );
  t.notOk(lstatSync(join(kiosk, 'current')).isDirectory(), 'current is a link');
});

t.test('the .deb: dpkg installs it into a staging root and its postinst lays the release out', async (t) => {
  const debPath = String(build.result?.debPath);
  t.match(debPath, /bianmin-kiosk_\d+\.\d+\.\d+_amd64\.deb$/);
  const info = spawnSync('dpkg-deb', ['--field', debPath, 'Package', 'Version', 'Architecture', 'Depends'], {
    encoding: 'utf8',
  });
  t.match(
    info.stdout,
    `Package: bianmin-kiosk\nVersion: ${version}\nArchitecture: amd64\nDepends: libc6 (>= 2.28), libstdc++6, passwd`,
  );
  const contents = spawnSync('dpkg-deb', ['--contents', debPath], { encoding: 'utf8' }).stdout.split('\n');
  t.ok(
    contents.some(
      (line) =>
        line.startsWith('-rwxr-xr-x root/root') &&
        line.endsWith(`./opt/bianmin/kiosk/releases/${version}/bin/node`),
    ),
    'files owned by root with the manifest modes',
  );
  const debRoot = freshRoot('root-deb');
  mkdirSync(join(debRoot, 'var/lib/dpkg/info'), { recursive: true });
  mkdirSync(join(debRoot, 'var/lib/dpkg/updates'));
  writeFileSync(join(debRoot, 'var/lib/dpkg/status'), '');
  mkdirSync(join(debRoot, 'etc/bianmin'));
  writeFileSync(
    join(debRoot, 'etc/bianmin/peripherals.env'),
    'CARD_READER_USB=0403:6001:CR000123\nPIN_PAD_USB=0403:6015:PP000456\n',
  );
  const run = spawnSync(
    'dpkg',
    ['--root', debRoot, '--force-script-chrootless', '--force-depends', '-i', debPath],
    { encoding: 'utf8' },
  );
  for (const line of run.stdout.trim().split('\n')) t.comment(line.slice(0, 160));
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, 'install: verified release');
  t.equal(readlinkSync(join(debRoot, 'opt/bianmin/kiosk/current')), `releases/${version}`);
  t.match(readFileSync(join(debRoot, 'etc/passwd'), 'utf8'), /^bianmin:x:\d+:\d+:/m);
  t.match(readFileSync(join(debRoot, 'etc/group'), 'utf8'), /^dialout:x:20:bianmin$/m);
  t.match(
    readFileSync(join(debRoot, 'etc/udev/rules.d/70-bianmin-serial.rules'), 'utf8'),
    'SYMLINK+="bianmin/pin-pad"',
  );
  t.equal(mode(join(debRoot, 'var/lib/bianmin')), '750');
  const keys = readdirSync(join(debRoot, 'etc/bianmin/release-keys'));
  t.same(keys, [`hq-release-${String(build.result?.keyId).slice(0, 16)}.pem`], 'the release key, a conffile');
});
