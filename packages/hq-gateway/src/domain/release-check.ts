// `hq release publish`, the pure half: what a bundle folder holds against what its signed manifest
// lists (the comparison is @bianmin/wire's releaseListingDifferences, shared with the kiosk's
// installer), as HQ problems with their codes. Every problem comes back at once (R21), in path
// order, capped at releaseProblemsListedMax with a last line giving the count of the rest.
// Hashes are compared as the files are read (adapters/release/release-store.ts).
import {
  type ReleaseDifference,
  type ReleaseEntry,
  type ReleaseManifest,
  releaseListingDifferences,
} from '@bianmin/wire';
import type { HqCode, HqProblem } from '../errors.js';
import { releaseProblemsListedMax } from '../limits.js';
import { assert } from './assert.js';

function problemOf(difference: ReleaseDifference): HqProblem {
  const field = difference.path;
  assert(field.length > 0, 'a difference names its path');
  switch (difference.kind) {
    case 'missing':
      return {
        code: 'HQ_RELEASE_FILE_MISSING',
        field,
        message: `${field}: listed in the manifest, not in the bundle`,
      };
    case 'not-a-file':
      return { code: 'HQ_RELEASE_FILE_UNEXPECTED', field, message: `${field}: not a regular file` };
    case 'size':
      return {
        code: 'HQ_RELEASE_FILE_TAMPERED',
        field,
        message: `${field}: ${difference.sizeBytes} bytes, the signed manifest says ${difference.sizeBytesListed}`,
      };
    case 'unlisted':
      return { code: 'HQ_RELEASE_FILE_UNEXPECTED', field, message: `${field}: not in the signed manifest` };
  }
}

export function compareBundleListing(
  manifest: ReleaseManifest,
  entries: readonly ReleaseEntry[],
): HqProblem[] {
  assert(manifest.files.length > 0, 'a parsed manifest lists at least one file');
  return capProblems(releaseListingDifferences(manifest, entries).map(problemOf));
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
