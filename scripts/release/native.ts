// Native addons for the release bundle, prebuilt for the target: nothing is compiled on the kiosk.
// For x64 the addons the host's `npm ci` built are used as they are. For arm64, better-sqlite3 and
// pkcs11js are cross-compiled on the x64 host with Debian's g++-aarch64-linux-gnu through
// node-gyp, against the Node headers already on the machine (nodedir=/usr, no download), and
// cached under node_modules/.cache/bianmin-release/addons so a second build takes no time.
// serialport's @serialport/bindings-cpp ships a linux-arm64 prebuild (prebuilds/), used as is.
// Every .node file placed in a bundle is checked to be an ELF object for the target machine.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseArch } from '@bianmin/wire';
import { ReleaseBuildError } from './errors.ts';

/** ELF e_machine values (offset 18, little-endian). */
const elfMachine: Record<ReleaseArch, number> = { arm64: 0xb7, x64: 0x3e };

/** Throws RELEASE_WRONG_ARCH unless `path` is an ELF file for `arch`. */
export function assertElfArch(path: string, arch: ReleaseArch): void {
  const head = readFileSync(path).subarray(0, 20);
  const isElf = head.length === 20 && head.readUInt32BE(0) === 0x7f454c46;
  const machine = isElf ? head.readUInt16LE(18) : -1;
  if (machine !== elfMachine[arch]) {
    throw new ReleaseBuildError('RELEASE_WRONG_ARCH', `${path} is not a linux-${arch} ELF object`, {
      path,
      machine,
    });
  }
}

/** The addons compiled from source (binding.gyp) and the .node file each one loads. */
export const compiledAddons = [
  { name: 'better-sqlite3', nodeFile: 'build/Release/better_sqlite3.node' },
  { name: 'pkcs11js', nodeFile: 'build/Release/pkcs11.node' },
] as const;

const crossEnv = {
  CC: 'aarch64-linux-gnu-gcc',
  CXX: 'aarch64-linux-gnu-g++',
  AR: 'aarch64-linux-gnu-ar',
  LINK: 'aarch64-linux-gnu-g++',
};

/**
 * The path of `addon`'s .node file built for arm64, cross-compiling it into the cache when it is
 * not there yet. `sourceDir` is the installed package (its sources: binding.gyp, src/, deps/).
 */
export function arm64Addon(
  repoRoot: string,
  cacheDir: string,
  addon: (typeof compiledAddons)[number],
  sourceDir: string,
): string {
  const version = (JSON.parse(readFileSync(join(sourceDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const key = `${addon.name}@${version}-node${process.versions.modules}`;
  const cached = join(cacheDir, 'addons', 'linux-arm64', key, addon.nodeFile);
  if (existsSync(cached)) return cached;
  const work = join(cacheDir, 'work', `${key}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(sourceDir, work, {
    recursive: true,
    filter: (path) =>
      !path.startsWith(join(sourceDir, 'build')) && !path.startsWith(join(sourceDir, 'node_modules')),
  });
  const nodeGyp = join(repoRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  try {
    execFileSync(process.execPath, [nodeGyp, 'rebuild', '--release', '--arch=arm64', '--nodedir=/usr'], {
      cwd: work,
      env: { ...process.env, ...crossEnv, npm_config_arch: 'arm64' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new ReleaseBuildError(
      'RELEASE_CROSS_BUILD_FAILED',
      `cross-compiling ${addon.name} for arm64 failed`,
      {
        addon: addon.name,
        stderr: String((error as { stderr?: Buffer }).stderr ?? '').slice(-2000),
      },
    );
  }
  const built = join(work, addon.nodeFile);
  assertElfArch(built, 'arm64');
  mkdirSync(join(cached, '..'), { recursive: true });
  renameSync(built, cached); // the cache holds only finished, checked files
  rmSync(work, { recursive: true, force: true });
  return cached;
}
