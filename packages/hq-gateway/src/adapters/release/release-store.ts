// `hq release publish`, the I/O half: reads a bundle folder (bounded), verifies it and records it
// in HQ's release store, a folder laid out for OTA (docs/ota.md):
//   <releasesDir>/blobs/sha256/<first two hex>/<sha256>   every file's content, once across releases
//   <releasesDir>/releases/<version>-linux-<arch>/         manifest.json, manifest.sig, published.json
// Order: signature over the manifest's exact bytes, then the manifest's fields, then the folder
// listing against the manifest, then each file hashed as it is read and copied into a blob only
// when its hash matches. The release folder is written last, in a temporary folder renamed into
// place: a refusal or a crash leaves no record (at most verified blobs, which are content-addressed
// and harmless). Publishing the same signed manifest again is idempotent; another manifest under
// the same version and arch is refused.
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  isWireError,
  parseReleaseManifest,
  type ReleaseEntry,
  type ReleaseManifest,
  releaseManifestName,
  releaseSignatureName,
  releaseTimestamp,
  verifyReleaseSignature,
  limits as wireLimits,
} from '@bianmin/wire';
import { capProblems, compareBundleListing } from '../../domain/release-check.js';
import { type HqCode, HqError, type HqProblem } from '../../errors.js';

export interface PublishedRelease {
  readonly version: string;
  readonly arch: string;
  readonly nodeVersion: string;
  readonly builtAt: string;
  readonly keyId: string;
  readonly fileCount: number;
  readonly sizeBytes: number;
  /** SHA-256 of manifest.json: what a kiosk is told to install. */
  readonly manifestSha256: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
  /** False when the same manifest was already published (nothing was written). */
  readonly created: boolean;
}

function refuse(code: HqCode, message: string, cause?: unknown): HqError {
  return new HqError(code, message, {
    ...(cause === undefined ? {} : { cause }),
    problems: [{ code, message }],
  });
}

/** Reads a bounded file of the bundle, or refuses with HQ_RELEASE_BUNDLE_UNREADABLE. */
function readBounded(path: string, sizeBytesMax: number): Buffer {
  try {
    const stat = lstatSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > sizeBytesMax) throw new Error(`larger than ${sizeBytesMax} bytes`);
    return readFileSync(path);
  } catch (error) {
    throw refuse('HQ_RELEASE_BUNDLE_UNREADABLE', `${path}: ${(error as Error).message}`, error);
  }
}

const wireToHq: Record<string, HqCode> = {
  WIRE_RELEASE_KEY_UNKNOWN: 'HQ_RELEASE_KEY_UNKNOWN',
  WIRE_RELEASE_SIGNATURE_INVALID: 'HQ_RELEASE_SIGNATURE_INVALID',
  WIRE_RELEASE_MANIFEST_INVALID: 'HQ_RELEASE_MANIFEST_INVALID',
  WIRE_TOO_LARGE: 'HQ_RELEASE_MANIFEST_INVALID',
};

function fromWire<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!isWireError(error) || wireToHq[error.code] === undefined) throw error;
    throw refuse(wireToHq[error.code]!, error.message, error);
  }
}

/** Every entry under `root` except the manifest and its signature, without following symlinks. */
function listBundle(root: string, prefix = ''): ReleaseEntry[] {
  const entries: ReleaseEntry[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (prefix === '' && (path === releaseManifestName || path === releaseSignatureName)) continue;
    if (entry.isDirectory()) entries.push(...listBundle(root, path));
    else
      entries.push({
        path,
        kind: entry.isFile() ? 'file' : 'other',
        sizeBytes: entry.isFile() ? lstatSync(join(root, path)).size : 0,
      });
  }
  return entries;
}

/** Hashes each listed file as it is read; a matching one is stored as a blob. Returns the mismatches. */
function hashAndStore(bundleDir: string, manifest: ReleaseManifest, blobsDir: string): HqProblem[] {
  const problems: HqProblem[] = [];
  for (const file of manifest.files) {
    const content = readFileSync(join(bundleDir, file.path));
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (sha256 !== file.sha256 || content.length !== file.sizeBytes) {
      problems.push({
        code: 'HQ_RELEASE_FILE_TAMPERED',
        field: file.path,
        message: `${file.path}: SHA-256 ${sha256.slice(0, 16)}…, the signed manifest says ${file.sha256.slice(0, 16)}…`,
      });
      continue;
    }
    const blob = join(blobsDir, sha256.slice(0, 2), sha256);
    if (existsSync(blob)) continue;
    mkdirSync(join(blob, '..'), { recursive: true });
    const partial = `${blob}.partial-${process.pid}`;
    writeFileSync(partial, content, { mode: 0o644 });
    renameSync(partial, blob);
  }
  return problems;
}

export interface PublishOptions {
  readonly bundleDir: string;
  /** PEM texts of the trusted HQ release public keys. */
  readonly trustedKeys: readonly string[];
  readonly releasesDir: string;
  readonly nowMs: number;
}

export function publishRelease(options: PublishOptions): PublishedRelease {
  const manifestBytes = readBounded(
    join(options.bundleDir, releaseManifestName),
    wireLimits.releaseManifestBytesMax,
  );
  const signatureBytes = readBounded(
    join(options.bundleDir, releaseSignatureName),
    wireLimits.releaseSignatureFileBytesMax,
  );
  const keyId = fromWire(() => verifyReleaseSignature(manifestBytes, signatureBytes, options.trustedKeys));
  const manifest = fromWire(() => parseReleaseManifest(manifestBytes));
  const listingProblems = compareBundleListing(manifest, listBundle(options.bundleDir));
  if (listingProblems.length > 0) {
    throw new HqError(listingProblems[0]!.code, 'the bundle does not match its signed manifest', {
      problems: listingProblems,
    });
  }
  const hashProblems = hashAndStore(
    options.bundleDir,
    manifest,
    join(options.releasesDir, 'blobs', 'sha256'),
  );
  if (hashProblems.length > 0) {
    throw new HqError('HQ_RELEASE_FILE_TAMPERED', 'the bundle does not match its signed manifest', {
      problems: capProblems(hashProblems),
    });
  }
  const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
  const recordDir = join(options.releasesDir, 'releases', `${manifest.version}-linux-${manifest.arch}`);
  const record: PublishedRelease = {
    version: manifest.version,
    arch: manifest.arch,
    nodeVersion: manifest.nodeVersion,
    builtAt: manifest.builtAt,
    keyId,
    fileCount: manifest.files.length,
    sizeBytes: manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0),
    manifestSha256,
    publishedAt: releaseTimestamp(options.nowMs),
    publishedBy: userInfo().username,
    created: true,
  };
  const existing = existingRecord(recordDir, manifestBytes);
  if (existing !== null) return existing;
  const partial = `${recordDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(join(partial, releaseManifestName), manifestBytes);
  writeFileSync(join(partial, releaseSignatureName), signatureBytes);
  const { created: _created, ...stored } = record;
  writeFileSync(join(partial, 'published.json'), `${JSON.stringify(stored, null, 2)}\n`);
  try {
    renameSync(partial, recordDir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    const raced = existingRecord(recordDir, manifestBytes); // another publish of the same version won the race
    if (raced !== null) return raced;
    throw error;
  }
  return record;
}

/** The record of this exact manifest if published already; refuses another manifest under the same name. */
function existingRecord(recordDir: string, manifestBytes: Buffer): PublishedRelease | null {
  if (!existsSync(recordDir)) return null;
  if (!readFileSync(join(recordDir, releaseManifestName)).equals(manifestBytes)) {
    throw refuse(
      'HQ_RELEASE_VERSION_CONFLICT',
      `${recordDir} already holds another manifest: a version is never reused`,
    );
  }
  const stored = JSON.parse(readFileSync(join(recordDir, 'published.json'), 'utf8')) as Omit<
    PublishedRelease,
    'created'
  >;
  return { ...stored, created: false };
}
