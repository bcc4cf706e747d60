// `hq release publish`, the pure half: compares what a bundle folder holds with what its signed
// manifest lists, before any file is hashed. Every problem comes back at once (R21), in path
// order, capped at releaseProblemsListedMax with a last line giving the count of the rest.
// Hashes are compared as the files are read (adapters/release/release-store.ts).
import type { ReleaseManifest } from '@bianmin/wire';
import type { HqCode, HqProblem } from '../errors.js';
import { releaseProblemsListedMax } from '../limits.js';
import { assert } from './assert.js';

/** One entry found in the bundle folder (manifest.json and manifest.sig excluded). */
export interface BundleEntry {
  /** Relative POSIX path. */
  readonly path: string;
  /** 'file' for a regular file; 'other' for a symlink, socket, device or FIFO. */
  readonly kind: 'file' | 'other';
  readonly sizeBytes: number;
}

export function compareBundleListing(
  manifest: ReleaseManifest,
  entries: readonly BundleEntry[],
): HqProblem[] {
  assert(manifest.files.length > 0, 'a parsed manifest lists at least one file');
  const present = new Map(entries.map((entry) => [entry.path, entry]));
  assert(present.size === entries.length, 'each path found once');
  const problems: HqProblem[] = [];
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const entry = present.get(file.path);
    if (entry === undefined) {
      problems.push({
        code: 'HQ_RELEASE_FILE_MISSING',
        field: file.path,
        message: `${file.path}: listed in the manifest, not in the bundle`,
      });
    } else if (entry.kind !== 'file') {
      problems.push({
        code: 'HQ_RELEASE_FILE_UNEXPECTED',
        field: file.path,
        message: `${file.path}: not a regular file`,
      });
    } else if (entry.sizeBytes !== file.sizeBytes) {
      problems.push({
        code: 'HQ_RELEASE_FILE_TAMPERED',
        field: file.path,
        message: `${file.path}: ${entry.sizeBytes} bytes, the signed manifest says ${file.sizeBytes}`,
      });
    }
  }
  for (const entry of entries) {
    if (!listed.has(entry.path)) {
      problems.push({
        code: 'HQ_RELEASE_FILE_UNEXPECTED',
        field: entry.path,
        message: `${entry.path}: not in the signed manifest`,
      });
    }
  }
  return capProblems(problems.sort((a, b) => (a.field! < b.field! ? -1 : a.field! > b.field! ? 1 : 0)));
}

/** At most releaseProblemsListedMax problems; a last one with the same code says how many more. */
export function capProblems(problems: readonly HqProblem[]): HqProblem[] {
  if (problems.length <= releaseProblemsListedMax) return [...problems];
  const kept = problems.slice(0, releaseProblemsListedMax);
  const code: HqCode = problems[releaseProblemsListedMax]!.code;
  kept.push({ code, message: `and ${problems.length - releaseProblemsListedMax} more problem(s)` });
  assert(kept.length === releaseProblemsListedMax + 1, 'the cap plus one summary line');
  return kept;
}
