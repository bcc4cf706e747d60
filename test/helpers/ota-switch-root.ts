// Test helper for deploy/kiosk/ota-switch.sh: a kiosk laid out in a temp root as install.sh leaves
// it (opt/bianmin/kiosk/releases/<v>, the current link, etc/bianmin/release-keys/*.pem, the agent's
// var/lib/bianmin/ota), with an installed release whose bin/node is this Node and whose
// bin/verify-bundle.mjs is deploy/kiosk's, reading @bianmin/wire from the workspace; signed bundle
// folders staged the way the agent stages them; a fake `systemctl` on PATH that records its calls.
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
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
  releaseTimestamp,
} from '@bianmin/wire';
import { repoRoot } from './release-token.js';

export const switchScript = join(repoRoot, 'deploy/kiosk/ota-switch.sh');
export const hostArch = process.arch === 'arm64' ? 'arm64' : 'x64';
export const slotOf = (version: string) => `${version}-linux-${hostArch}`;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface SwitchRoot {
  readonly root: string;
  readonly kiosk: string;
  readonly state: string;
  readonly staging: string;
  readonly keysDir: string;
  readonly systemctlLog: string;
  /** Where the release's units (etc/systemd/system) and the helper (usr/lib/bianmin/ota-switch) go. */
  readonly unitsDir: string;
  readonly helper: string;
  readonly key: KeyPair;
  readonly env: NodeJS.ProcessEnv;
}

/** manifest.json and manifest.sig of a release of `files` (the bundle's format), signed by `key`. */
export function signedManifest(
  version: string,
  key: KeyPair,
  files: Record<string, string>,
): { manifestBytes: Uint8Array; signatureBytes: Uint8Array } {
  const paths = Object.keys(files).sort();
  const manifestBytes = encodeReleaseManifest({
    format: 'bianmin-release/1',
    product: 'kiosk',
    version,
    platform: 'linux',
    arch: hostArch,
    nodeVersion: process.versions.node,
    builtAt: releaseTimestamp(1_796_000_000_000),
    files: paths.map((path) => ({
      path,
      sizeBytes: Buffer.byteLength(files[path] ?? ''),
      sha256: createHash('sha256')
        .update(files[path] ?? '')
        .digest('hex'),
      mode: path.startsWith('bin/') ? 0o755 : 0o644,
    })),
  });
  const signatureBytes = encodeReleaseSignature({
    format: 'bianmin-release-signature/1',
    algorithm: 'ECDSA-P256-SHA256',
    keyId: fingerprint(publicKeySpkiDer(key.publicKey)),
    signature: new Uint8Array(
      sign('sha256', manifestBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
    ),
  });
  return { manifestBytes, signatureBytes };
}

/** A bundle folder: the given files plus manifest.json and manifest.sig signed by `key`. */
export function writeBundle(dir: string, version: string, key: KeyPair, files: Record<string, string>): void {
  for (const path of Object.keys(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), files[path] ?? '');
  }
  const { manifestBytes, signatureBytes } = signedManifest(version, key, files);
  writeFileSync(join(dir, 'manifest.json'), manifestBytes);
  writeFileSync(join(dir, 'manifest.sig'), signatureBytes);
}

export const releaseFilesOf = (version: string): Record<string, string> => ({
  'bin/kiosk-agent': `#!/bin/sh\necho agent ${version}\n`,
  'app/agent.js': `export const version = '${version}';\n`,
});

/** An installed release (its verifier is the one the switch runs): bin/node, bin/verify-bundle.mjs, wire. */
function installRelease(kiosk: string, slot: string): void {
  const release = join(kiosk, 'releases', slot);
  mkdirSync(join(release, 'bin'), { recursive: true });
  mkdirSync(join(release, 'app/node_modules/@bianmin'), { recursive: true });
  symlinkSync(process.execPath, join(release, 'bin/node'));
  copyFileSync(join(repoRoot, 'deploy/kiosk/verify-bundle.mjs'), join(release, 'bin/verify-bundle.mjs'));
  symlinkSync(join(repoRoot, 'packages/wire'), join(release, 'app/node_modules/@bianmin/wire'));
  writeFileSync(join(release, 'manifest.json'), `{"installed":"${slot}"}\n`);
}

const roots: string[] = [];

/** Removes every root switchRoot made (the test's teardown). */
export function removeSwitchRoots(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function switchRoot(installed: readonly string[] = [slotOf('1.0.0')]): SwitchRoot {
  const root = mkdtempSync(join(tmpdir(), 'ota-switch-'));
  roots.push(root);
  const kiosk = join(root, 'opt/bianmin/kiosk');
  const state = join(root, 'var/lib/bianmin/ota');
  const staging = join(state, 'staging');
  const keysDir = join(root, 'etc/bianmin/release-keys');
  const bin = join(root, 'fake-bin');
  const unitsDir = join(root, 'etc/systemd/system');
  const helperDir = join(root, 'usr/lib/bianmin');
  for (const folder of [kiosk, staging, keysDir, bin, unitsDir, helperDir])
    mkdirSync(folder, { recursive: true });
  for (const slot of installed) installRelease(kiosk, slot);
  const [first] = installed;
  if (first !== undefined) symlinkSync(join('releases', first), join(kiosk, 'current'));
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(keysDir, 'release-2026.pem'), key.publicKey.export({ format: 'pem', type: 'spki' }));
  const systemctlLog = join(root, 'systemctl.log');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${systemctlLog}'\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OTA_SWITCH_KIOSK_DIR: kiosk,
    OTA_SWITCH_STATE_DIR: state,
    OTA_SWITCH_KEYS_DIR: keysDir,
    OTA_SWITCH_UNIT: 'bianmin-kiosk.service',
    OTA_SWITCH_GROUP: '',
    // Never the host's: the release's units and helper land in the temp root.
    OTA_SWITCH_UNITS_DIR: unitsDir,
    OTA_SWITCH_HELPER: join(helperDir, 'ota-switch'),
  };
  const helper = join(helperDir, 'ota-switch');
  return { root, kiosk, state, staging, keysDir, systemctlLog, unitsDir, helper, key, env };
}

/** Stages a signed release as the agent does, and writes its request (key=value lines). */
export function stage(
  at: SwitchRoot,
  slot: string,
  options: {
    manifestVersion?: string;
    key?: KeyPair;
    request?: Record<string, string>;
    /** More files in the bundle (signed with it), e.g. its systemd/ units and bin/ota-switch.sh. */
    files?: Record<string, string>;
  } = {},
): string {
  const staged = join(at.staging, slot);
  writeBundle(
    staged,
    options.manifestVersion ?? slot.replace(/-linux-[a-z0-9]+$/, ''),
    options.key ?? at.key,
    { ...releaseFilesOf(slot), ...options.files },
  );
  writeRequest(at, options.request ?? { id: `req-${slot}`, action: 'switch', version: slot, staged });
  return staged;
}

export function writeRequest(at: SwitchRoot, fields: Record<string, string>): void {
  const text = Object.entries(fields)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
  writeFileSync(join(at.state, 'switch-request'), text, { mode: 0o640 });
}

export function runSwitch(
  at: SwitchRoot,
  command: string,
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('sh', [switchScript, command], { env: at.env, encoding: 'utf8' });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function outcomeOf(at: SwitchRoot): Record<string, string> | undefined {
  const path = join(at.state, 'switch-outcome');
  if (!existsSync(path)) return undefined;
  const fields: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

export const linkOf = (at: SwitchRoot, name: string): string | undefined =>
  existsSync(join(at.kiosk, name)) ? readlinkSync(join(at.kiosk, name)) : undefined;

export const systemctlCalls = (at: SwitchRoot): string[] =>
  existsSync(at.systemctlLog) ? readFileSync(at.systemctlLog, 'utf8').trim().split('\n') : [];
