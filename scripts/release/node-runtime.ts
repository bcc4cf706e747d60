// The Node runtime shipped in a bundle's bin/node: the same version as the host's Node (the native
// addons are compiled against the host's headers, so the ABI matches), for the target arch, from
// the npm registry's node-linux-<arch> package (only npm and apt are reachable from the build
// machines). Fetched once with `npm pack`, stripped of its symbols (99 -> 85 MB on arm64), and
// cached under node_modules/.cache/bianmin-release/node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseArch } from '@bianmin/wire';
import { ReleaseBuildError } from './errors.ts';
import { assertElfArch } from './native.ts';

const stripTool: Record<ReleaseArch, string> = { arm64: 'aarch64-linux-gnu-strip', x64: 'strip' };

export function nodeRuntime(cacheDir: string, arch: ReleaseArch, nodeVersion: string): string {
  const cached = join(cacheDir, 'node', `linux-${arch}-${nodeVersion}`, 'node');
  if (existsSync(cached)) return cached;
  const downloads = join(cacheDir, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const tarball = join(downloads, `node-linux-${arch}-${nodeVersion}.tgz`);
  try {
    if (!existsSync(tarball)) {
      // Into a folder of this process, then renamed: two builds running at once (the e2e tests)
      // never see each other's half-written tarball.
      const fetching = join(downloads, `.fetching-${process.pid}`);
      mkdirSync(fetching, { recursive: true });
      try {
        execFileSync('npm', ['pack', `node-linux-${arch}@${nodeVersion}`, '--silent'], {
          cwd: fetching,
          stdio: 'pipe',
        });
        renameSync(join(fetching, `node-linux-${arch}-${nodeVersion}.tgz`), tarball);
      } finally {
        rmSync(fetching, { recursive: true, force: true });
      }
    }
    const work = join(cacheDir, 'work', `node-${arch}-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node'], { stdio: 'pipe' });
    const binary = join(work, 'package', 'bin', 'node');
    execFileSync(stripTool[arch], ['--strip-all', binary], { stdio: 'pipe' });
    assertElfArch(binary, arch);
    mkdirSync(join(cached, '..'), { recursive: true });
    renameSync(binary, cached);
    rmSync(work, { recursive: true, force: true });
  } catch (error) {
    if (error instanceof ReleaseBuildError) throw error;
    throw new ReleaseBuildError(
      'RELEASE_RUNTIME_UNAVAILABLE',
      `no Node ${nodeVersion} runtime for linux-${arch}`,
      {
        arch,
        nodeVersion,
        reason: String((error as Error).message).slice(0, 500),
      },
    );
  }
  return cached;
}
