// Which files of the repo go into a release bundle: the kiosk agent package and its production
// dependency tree, walked from packages/device-agent/package.json the way Node resolves them
// (each package's node_modules, then its parents'), so the versions are exactly the ones the
// lock file installed and the layout keeps any nested copies. Nothing is fetched.
// Left out on purpose: type-only packages (@types/*), install-time tools
// (prebuild-install: nothing is compiled or downloaded on the kiosk; node-addon-api: C++ headers),
// the simulators and test helpers of the agent (dist/sim, dist/testing), type declarations,
// source maps and build leftovers (native sources, object files, prebuilds for other platforms).
// Kept although it is a mock: @serialport/binding-mock (3 small files), because serialport's own
// entry point re-exports SerialPortMock and so requires it at load time; the agent never uses it.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { ReleaseArch } from '@bianmin/wire';
import { ReleaseBuildError } from './errors.ts';

/** Production dependencies never bundled, with the reason. */
export const excludedDependencies: Readonly<Record<string, string>> = {
  'prebuild-install': 'install-time download of prebuilt addons; the bundle carries them prebuilt',
  'node-addon-api': 'C++ headers, used only when compiling',
};

/** Files of the agent package that are test/demo helpers, never production (package.json exports). */
const agentTestOnly = [/^dist\/sim\//, /^dist\/testing\./];

export interface BundlePackage {
  readonly name: string;
  /** Real directory on this machine. */
  readonly sourceDir: string;
  /** Directory inside the bundle's app/ folder, POSIX, e.g. "node_modules/pino". */
  readonly bundleDir: string;
  readonly workspace: boolean;
  readonly native: boolean;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  files?: string[];
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Where Node would find `name` when required from `fromDir`, or null. */
function resolvePackageDir(name: string, fromDir: string, repoRoot: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === repoRoot || dirname(dir) === dir) return null;
    dir = dirname(dir);
  }
}

/** The bundle location of a real package directory: workspace packages go under node_modules/@bianmin. */
function bundleDirOf(repoRoot: string, realDir: string): string {
  const rel = relative(repoRoot, realDir).split(sep).join('/');
  const workspace = /^packages\/([^/]+)(\/.*)?$/.exec(rel);
  if (workspace !== null) {
    const name = readPackageJson(join(repoRoot, 'packages', workspace[1]!)).name;
    return `node_modules/${name}${workspace[2] ?? ''}`;
  }
  if (!rel.startsWith('node_modules/')) throw new Error(`assert: ${rel} is inside the repo's node_modules`);
  return rel;
}

/** The agent package and every production dependency it needs at run time, each once. */
export function productionPackages(repoRoot: string, entryDir: string): BundlePackage[] {
  const found = new Map<string, BundlePackage>();
  const queue = [realpathSync(entryDir)];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    if (found.has(dir)) continue;
    const pkg = readPackageJson(dir);
    const bundleDir = bundleDirOf(repoRoot, dir);
    found.set(dir, {
      name: pkg.name,
      sourceDir: dir,
      bundleDir,
      workspace: !dir.includes(`${sep}node_modules${sep}`),
      native: existsSync(join(dir, 'binding.gyp')),
    });
    const optional = pkg.optionalDependencies ?? {};
    for (const name of Object.keys({ ...pkg.dependencies, ...optional })) {
      if (name in excludedDependencies || name.startsWith('@types/') || name === 'undici-types') continue; // types only
      const depDir = resolvePackageDir(name, dir, repoRoot);
      if (depDir === null) {
        if (name in optional) continue;
        throw new ReleaseBuildError(
          'RELEASE_DEPENDENCY_MISSING',
          `${pkg.name} needs ${name}, not installed`,
          {
            package: pkg.name,
            dependency: name,
          },
        );
      }
      queue.push(depDir);
    }
  }
  return [...found.values()].sort((a, b) => (a.bundleDir < b.bundleDir ? -1 : 1));
}

/** Relative POSIX paths of the files under `dir`, not descending into node_modules. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === '.bin' || entry.name === '.github') continue;
      out.push(...listFiles(dir, rel));
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      out.push(rel);
    }
  }
  return out;
}

/** Type declarations, source maps, TypeScript build info and tests shipped inside npm packages. */
const registryJunk = /(\.d\.[mc]?ts|\.map|\.tsbuildinfo|\.test\.[mc]?js)$/;
/** Dot files (lint, CI configs) and test folders at any depth of an npm package. */
const registryDevPath = /(^|\/)(\.[^/]*|test|tests|__tests__|fixture|fixtures|benchmark|benchmarks)(\/|$)/;
const junk = /(\.d\.ts|\.d\.mts|\.d\.cts|\.map|\.tsbuildinfo|\.ts)$/;

/** The files of `pkg` to copy (relative to its directory) for `arch`. */
export function packageFiles(pkg: BundlePackage, arch: ReleaseArch): string[] {
  const all = listFiles(pkg.sourceDir);
  if (pkg.workspace) {
    // Only the compiled output (the package's "files": dist, generated) and package.json.
    const roots = readPackageJson(pkg.sourceDir).files ?? ['dist'];
    if (!existsSync(join(pkg.sourceDir, 'dist'))) {
      throw new ReleaseBuildError('RELEASE_NOT_BUILT', `${pkg.name} has no dist/ (npx tsc -b)`, {
        package: pkg.name,
      });
    }
    return all.filter(
      (path) =>
        path === 'package.json' ||
        (roots.some((root) => path.startsWith(`${root}/`)) &&
          !junk.test(path) &&
          !(pkg.name === '@bianmin/device-agent' && agentTestOnly.some((pattern) => pattern.test(path)))),
    );
  }
  if (!pkg.native) return all.filter((path) => !registryJunk.test(path) && !registryDevPath.test(path));
  const prebuildDir = `prebuilds/linux-${arch}/`;
  return all.filter((path) => {
    // The kiosk runs Debian (glibc): the musl variant of a prebuild is dead weight.
    if (path.startsWith('prebuilds/')) return path.startsWith(prebuildDir) && !path.includes('.musl.');
    if (path.startsWith('build/'))
      return /^build\/Release\/[^/]+\.node$/.test(path) && !path.includes('test_extension');
    return (
      !/^(src|deps|includes|test|benchmark|docs)\//.test(path) &&
      path !== 'binding.gyp' &&
      !path.endsWith('.d.ts')
    );
  });
}

/** The package.json written into the bundle for a workspace package: exports to absent files dropped. */
export function bundledPackageJson(pkg: BundlePackage, kept: ReadonlySet<string>): string {
  const json = JSON.parse(readFileSync(join(pkg.sourceDir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  delete json.scripts;
  delete json.devDependencies;
  const dependencies = json.dependencies as Record<string, string> | undefined;
  if (dependencies !== undefined)
    for (const name of Object.keys(excludedDependencies)) delete dependencies[name];
  const exports = json.exports as Record<string, unknown> | undefined;
  if (exports !== undefined) {
    for (const [key, target] of Object.entries(exports)) {
      const file = typeof target === 'string' ? target : (target as { default?: string }).default;
      if (typeof file === 'string' && !file.includes('*') && !kept.has(file.replace(/^\.\//, '')))
        delete exports[key];
    }
  }
  return `${JSON.stringify(json, null, 2)}\n`;
}
