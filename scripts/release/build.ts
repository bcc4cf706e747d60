// `npm run release -- --arch arm64|x64`: builds the kiosk release bundle (docs/ota.md "Bundle
// format"): the compiled agent and CLI with their production dependencies, native addons prebuilt
// for the target, the target's Node runtime, a manifest of every file (size, SHA-256, mode) and
// the manifest's signature by the HQ release key on a PKCS#11 token. Nothing is compiled on the
// device. The bundle is assembled in a hidden folder and renamed into place only when complete
// and signed: an error leaves no half-written bundle. Downloads and cross-compiled addons are
// cached under node_modules/.cache/bianmin-release, so a second build takes seconds.
//
// Flags: --arch arm64|x64 (required), --out DIR (default release/), and the token:
//   --token-module FILE  (default $BIANMIN_RELEASE_TOKEN_MODULE)
//   --token-label LABEL  (default $BIANMIN_RELEASE_TOKEN_LABEL)
//   --key-label LABEL    (default $BIANMIN_RELEASE_KEY_LABEL, else "hq-release")
//   --pin-file FILE      (default $BIANMIN_RELEASE_PIN_FILE)
//   --deb                also write bianmin-kiosk_<version>_<arm64|amd64>.deb around the bundle
// Prints one JSON line: the bundle path, version, file count, size and the signing key id.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ReleaseArch, releaseArches, releaseManifestName, releaseSignatureName } from '@bianmin/wire';
import { agentNodeFlags } from '../../packages/device-agent/src/limits.ts';
import { buildDeb } from './deb.ts';
import { bundledPackageJson, packageFiles, productionPackages, readPackageJson } from './dependencies.ts';
import { ReleaseBuildError } from './errors.ts';
import { writeManifest } from './manifest-writer.ts';
import { arm64Addon, assertElfArch, compiledAddons } from './native.ts';
import { nodeRuntime } from './node-runtime.ts';
import { type ReleaseTokenOptions, signManifest } from './sign.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'bianmin-release');
const agentDir = join(repoRoot, 'packages', 'device-agent');
/** deploy/systemd's units, shipped under systemd/ in each bundle; install.sh installs them. */
const systemdUnits = [
  'bianmin-kiosk.service',
  'bianmin-kiosk-rollback.service',
  'bianmin-ota-switch.path',
  'bianmin-ota-switch.service',
] as const;

// The agent runs with its memory flags (issue 13: peak RSS under 100 MB, docs/performance.md); the CLI without.
const launcher = (script: string) => `#!/bin/sh
# Runs the kiosk ${script === 'cli/kiosk.js' ? 'CLI' : 'agent'} with the bundle's own Node runtime (bin/node).
here=$(dirname "$(readlink -f "$0")")
# The working-day calendar shipped with this release (R6 notice in working days; a new year's comes by OTA).
export BIANMIN_CALENDAR_DIR="$here/../data/calendar"
exec "$here/node" ${script === 'main.js' ? `${agentNodeFlags.join(' ')} ` : ''}"$here/../app/node_modules/@bianmin/device-agent/dist/${script}" "$@"
`;

export interface BuildOptions {
  readonly arch: ReleaseArch;
  readonly outDir: string;
  readonly token: ReleaseTokenOptions;
  /** Also wrap the bundle in a .deb (scripts/release/deb.ts). */
  readonly deb?: boolean;
}

export interface BuildResult {
  readonly bundleDir: string;
  readonly version: string;
  readonly arch: ReleaseArch;
  readonly fileCount: number;
  readonly sizeBytes: number;
  readonly keyId: string;
  /** The .deb, with --deb. */
  readonly debPath?: string;
}

function usage(message: string): ReleaseBuildError {
  return new ReleaseBuildError('RELEASE_USAGE', message);
}

export function parseBuildArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BuildOptions {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        arch: { type: 'string' },
        out: { type: 'string' },
        'token-module': { type: 'string' },
        'token-label': { type: 'string' },
        'key-label': { type: 'string' },
        'pin-file': { type: 'string' },
        deb: { type: 'boolean' },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw usage((error as Error).message);
  }
  const arch = values.arch;
  if (!releaseArches.includes(arch as ReleaseArch)) throw usage('--arch must be arm64 or x64');
  const token = {
    modulePath: values['token-module'] ?? env.BIANMIN_RELEASE_TOKEN_MODULE,
    tokenLabel: values['token-label'] ?? env.BIANMIN_RELEASE_TOKEN_LABEL,
    keyLabel: values['key-label'] ?? env.BIANMIN_RELEASE_KEY_LABEL ?? 'hq-release',
    pinFile: values['pin-file'] ?? env.BIANMIN_RELEASE_PIN_FILE,
  };
  const missing = Object.entries(token)
    .filter(([, value]) => value === undefined || value === '')
    .map(([key]) => key);
  if (missing.length > 0)
    throw usage(`the release token is not configured: ${missing.join(', ')} (flags or BIANMIN_RELEASE_*)`);
  return {
    arch: arch as ReleaseArch,
    outDir: resolve(values.out ?? join(repoRoot, 'release')),
    token: token as ReleaseTokenOptions,
    deb: (values as Record<string, unknown>).deb === true,
  };
}

function copyInto(staging: string, bundlePath: string, sourcePath: string): void {
  const target = join(staging, bundlePath);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(sourcePath, target);
}

/** Copies the agent and its production dependencies into staging/app. Returns the .node files placed. */
function stageApp(staging: string, arch: ReleaseArch): string[] {
  const nodeFiles: string[] = [];
  for (const pkg of productionPackages(repoRoot, agentDir)) {
    const files = packageFiles(pkg, arch);
    for (const file of files) {
      const bundlePath = `app/${pkg.bundleDir}/${file}`;
      if (pkg.workspace && file === 'package.json') {
        mkdirSync(join(staging, dirname(bundlePath)), { recursive: true });
        writeFileSync(join(staging, bundlePath), bundledPackageJson(pkg, new Set(files)));
        continue;
      }
      const addon = compiledAddons.find(
        (candidate) => candidate.name === pkg.name && candidate.nodeFile === file,
      );
      const source =
        addon !== undefined && arch === 'arm64'
          ? arm64Addon(repoRoot, cacheDir, addon, pkg.sourceDir)
          : join(pkg.sourceDir, file);
      copyInto(staging, bundlePath, source);
      if (file.endsWith('.node')) nodeFiles.push(bundlePath);
    }
  }
  return nodeFiles;
}

export async function buildRelease(options: BuildOptions): Promise<BuildResult> {
  const version = readPackageJson(agentDir).version;
  const name = `bianmin-kiosk-${version}-linux-${options.arch}`;
  const bundleDir = join(options.outDir, name);
  const staging = join(options.outDir, `.${name}.partial-${process.pid}`);
  mkdirSync(options.outDir, { recursive: true });
  rmSync(staging, { recursive: true, force: true });
  try {
    const nodeFiles = stageApp(staging, options.arch);
    for (const file of nodeFiles) assertElfArch(join(staging, file), options.arch);
    if (nodeFiles.length < compiledAddons.length + 1) {
      throw new Error(`assert: the bundle holds its native addons (found ${nodeFiles.join(', ')})`);
    }
    copyInto(staging, 'bin/node', nodeRuntime(cacheDir, options.arch, process.versions.node));
    writeFileSync(join(staging, 'bin/kiosk'), launcher('cli/kiosk.js'));
    writeFileSync(join(staging, 'bin/kiosk-agent'), launcher('main.js'));
    // The installer and the bundle verifier travel with the bundle (deploy/kiosk, docs/operations.md).
    copyInto(staging, 'bin/install.sh', join(repoRoot, 'deploy/kiosk/install.sh'));
    copyInto(staging, 'bin/verify-bundle.mjs', join(repoRoot, 'deploy/kiosk/verify-bundle.mjs'));
    // The OTA switch's root helper and the systemd units install.sh puts in place (docs/ota.md).
    copyInto(staging, 'bin/ota-switch.sh', join(repoRoot, 'deploy/kiosk/ota-switch.sh'));
    for (const unit of systemdUnits)
      copyInto(staging, `systemd/${unit}`, join(repoRoot, 'deploy/systemd', unit));
    // The working-day calendar (R6): without it the agent refuses every fee-schedule change.
    const calendars = readdirSync(join(repoRoot, 'data/calendar')).filter((f) => /^cn-\d{4}\.json$/.test(f));
    if (calendars.length === 0) throw new Error('assert: data/calendar holds cn-YYYY.json files');
    for (const file of calendars)
      copyInto(staging, `data/calendar/${file}`, join(repoRoot, 'data/calendar', file));
    for (const bin of [
      'bin/node',
      'bin/kiosk',
      'bin/kiosk-agent',
      'bin/install.sh',
      'bin/verify-bundle.mjs',
      'bin/ota-switch.sh',
    ]) {
      chmodSync(join(staging, bin), 0o755);
    }
    const manifest = writeManifest(staging, {
      version,
      arch: options.arch,
      nodeVersion: process.versions.node,
      builtAtMs: Date.now(),
    });
    const { signatureFile, keyId, publicKeyPem } = await signManifest(manifest.bytes, options.token);
    writeFileSync(join(staging, releaseSignatureName), signatureFile);
    rmSync(bundleDir, { recursive: true, force: true });
    renameSync(staging, bundleDir);
    const debPath =
      options.deb === true
        ? buildDeb({
            bundleDir,
            outDir: options.outDir,
            version,
            arch: options.arch,
            sizeBytes: manifest.sizeBytes,
            keyId,
            publicKeyPem,
          })
        : undefined;
    return {
      ...(debPath === undefined ? {} : { debPath }),
      bundleDir,
      version,
      arch: options.arch,
      fileCount: manifest.fileCount,
      sizeBytes: manifest.sizeBytes,
      keyId,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  try {
    const options = parseBuildArgs(process.argv.slice(2), process.env);
    // The compiled output is the input: build the agent and the packages it imports (incremental).
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', agentDir], {
      stdio: 'inherit',
    });
    const startedMs = Date.now();
    const result = await buildRelease(options);
    process.stdout.write(
      `${JSON.stringify({ ok: true, ...result, seconds: (Date.now() - startedMs) / 1000 })}\n`,
    );
    if (!existsSync(join(result.bundleDir, releaseManifestName))) throw new Error('assert: manifest written');
    return 0;
  } catch (error) {
    if (!(error instanceof ReleaseBuildError)) throw error;
    process.stderr.write(
      `${JSON.stringify({ ok: false, code: error.code, message: error.message, details: error.details })}\n`,
    );
    return error.code === 'RELEASE_USAGE' ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
