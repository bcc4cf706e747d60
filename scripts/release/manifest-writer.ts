// Writes a staged bundle's manifest.json: every file under the bundle root (except the manifest
// and its signature) with its size, SHA-256 and mode, in path order; the encoding and the checks
// are @bianmin/wire's (release-manifest.ts), the same code HQ and the kiosk read it with.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeReleaseManifest,
  type ReleaseArch,
  type ReleaseFile,
  releaseManifestFormat,
  releaseManifestName,
  releaseSignatureName,
  releaseTimestamp,
} from '@bianmin/wire';
import { ReleaseBuildError } from './errors.ts';

/** Files that must never reach a bundle, whatever the dependency filters let through. */
const forbidden = [/\/dist\/sim\//, /\/dist\/testing\./, /\.map$/, /\.tsbuildinfo$/, /\.test\.[jt]s$/];

function walk(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(root, rel));
    else if (entry.isFile()) out.push(rel);
    else throw new Error(`assert: only files and folders in a staged bundle (${rel})`);
  }
  return out;
}

export function listBundleFiles(root: string): ReleaseFile[] {
  return walk(root)
    .filter((path) => path !== releaseManifestName && path !== releaseSignatureName)
    .sort()
    .map((path) => {
      if (forbidden.some((pattern) => pattern.test(`/${path}`))) {
        throw new ReleaseBuildError('RELEASE_FORBIDDEN_FILE', `${path} must not be in a release bundle`, {
          path,
        });
      }
      const content = readFileSync(join(root, path));
      const executable = (statSync(join(root, path)).mode & 0o111) !== 0;
      return {
        path,
        sizeBytes: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        mode: executable ? 0o755 : 0o644,
      };
    });
}

export function writeManifest(
  root: string,
  facts: { version: string; arch: ReleaseArch; nodeVersion: string; builtAtMs: number },
): { bytes: Uint8Array; fileCount: number; sizeBytes: number } {
  const files = listBundleFiles(root);
  const bytes = encodeReleaseManifest({
    format: releaseManifestFormat,
    product: 'kiosk',
    version: facts.version,
    platform: 'linux',
    arch: facts.arch,
    nodeVersion: facts.nodeVersion,
    builtAt: releaseTimestamp(facts.builtAtMs),
    files,
  });
  writeFileSync(join(root, releaseManifestName), bytes);
  const sizeBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  return { bytes, fileCount: files.length, sizeBytes };
}
