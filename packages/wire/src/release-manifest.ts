// The kiosk release bundle's manifest and its signature: one home for the format that the
// release builder (scripts/release) writes, HQ checks at `hq release publish`, and the kiosk will
// check before an OTA install (docs/ota.md). I/O-free: callers read the files and hash them.
//
// manifest.json lists every file of the bundle (path, size, SHA-256, mode) and the version; it is
// signed as its exact bytes (no canonicalisation to get wrong): ECDSA P-256 over SHA-256 of the
// file, raw r||s, by the HQ release key held in a PKCS#11 token. manifest.sig is a small JSON
// object naming the key by its fingerprint (SHA-256 of the SPKI DER, like station keys).
// Every field is checked as hostile input; a problem throws WireError WIRE_RELEASE_MANIFEST_INVALID
// (or WIRE_RELEASE_SIGNATURE_INVALID / WIRE_RELEASE_KEY_UNKNOWN) naming the field.

import { createHash, verify } from 'node:crypto';
import { WireError } from './errors.js';
import {
  releaseFileCountMax,
  releaseFileSizeBytesMax,
  releaseManifestBytesMax,
  releasePathBytesMax,
  releaseSignatureFileBytesMax,
  signatureBytes,
} from './limits.js';
import { fingerprint, type PublicKeyInput, publicKeySpkiDer, toPublicKey } from './signature.js';

export const releaseManifestFormat = 'bianmin-release/1';
export const releaseSignatureFormat = 'bianmin-release-signature/1';
export const releaseSignatureAlgorithm = 'ECDSA-P256-SHA256';
/** File names inside a bundle directory. */
export const releaseManifestName = 'manifest.json';
export const releaseSignatureName = 'manifest.sig';

export const releaseArches = ['arm64', 'x64'] as const;
export type ReleaseArch = (typeof releaseArches)[number];

export interface ReleaseFile {
  /** Relative POSIX path inside the bundle, e.g. "app/node_modules/pino/package.json". */
  readonly path: string;
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the content. */
  readonly sha256: string;
  /** 0o755 for executables, 0o644 otherwise. */
  readonly mode: number;
}

export interface ReleaseManifest {
  readonly format: typeof releaseManifestFormat;
  readonly product: 'kiosk';
  /** The agent's version (packages/device-agent/package.json), e.g. "0.1.0". */
  readonly version: string;
  readonly platform: 'linux';
  readonly arch: ReleaseArch;
  /** The Node runtime shipped in bin/node, e.g. "20.20.2". */
  readonly nodeVersion: string;
  /** When the bundle was built, ISO 8601 in Beijing time (+08:00). */
  readonly builtAt: string;
  /** Sorted by path, each path once. */
  readonly files: readonly ReleaseFile[];
}

export interface ReleaseSignature {
  readonly format: typeof releaseSignatureFormat;
  readonly algorithm: typeof releaseSignatureAlgorithm;
  /** fingerprint() of the release key's SPKI DER. */
  readonly keyId: string;
  /** 64 bytes raw r||s. */
  readonly signature: Uint8Array;
}

const versionPattern = /^[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.-]{1,40})?$/;
const sha256Pattern = /^[0-9a-f]{64}$/;
const builtAtPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;
const segmentPattern = /^[A-Za-z0-9@_+=,~-][A-Za-z0-9@._+=,~-]*$/;

/** An instant as ISO 8601 to the second in Beijing time, e.g. "2026-12-05T13:10:00+08:00" (builtAt). */
export function releaseTimestamp(atMs: number): string {
  if (!Number.isSafeInteger(atMs) || atMs < 0) throw new Error('assert: atMs is a non-negative integer');
  const beijingOffsetMs = 8 * 3600_000; // China has one zone and no daylight saving
  return `${new Date(atMs + beijingOffsetMs).toISOString().slice(0, 19)}+08:00`;
}

function invalid(field: string, message: string): WireError {
  return new WireError('WIRE_RELEASE_MANIFEST_INVALID', `${field}: ${message}`, { field });
}

/**
 * Whether `path` is a safe relative bundle path: POSIX separators, no empty, "." or ".." segment,
 * no leading "/", no backslash or control character, at most releasePathBytesMax bytes. A path
 * that passes can be joined under the bundle root without escaping it.
 */
export function isSafeReleasePath(path: string): boolean {
  if (path.length === 0 || Buffer.byteLength(path) > releasePathBytesMax) return false;
  return path.split('/').every((segment) => segment !== '..' && segmentPattern.test(segment));
}

function text(value: unknown, field: string, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(field, 'missing or of the wrong form');
  return value;
}

function parseFile(value: unknown, index: number): ReleaseFile {
  const field = `files[${index}]`;
  if (typeof value !== 'object' || value === null) throw invalid(field, 'not an object');
  const record = value as Record<string, unknown>;
  const path = record.path;
  if (typeof path !== 'string' || !isSafeReleasePath(path))
    throw invalid(`${field}.path`, 'not a safe relative path');
  const sizeBytes = record.sizeBytes;
  if (
    !Number.isSafeInteger(sizeBytes) ||
    (sizeBytes as number) < 0 ||
    (sizeBytes as number) > releaseFileSizeBytesMax
  ) {
    throw invalid(`${field}.sizeBytes`, `not an integer in 0..${releaseFileSizeBytesMax}`);
  }
  const sha256 = text(record.sha256, `${field}.sha256`, sha256Pattern);
  const mode = record.mode;
  if (mode !== 0o755 && mode !== 0o644) throw invalid(`${field}.mode`, 'must be 493 (0755) or 420 (0644)');
  return { path, sizeBytes: sizeBytes as number, sha256, mode };
}

/** Parses manifest.json bytes as hostile input. Throws WIRE_TOO_LARGE or WIRE_RELEASE_MANIFEST_INVALID. */
export function parseReleaseManifest(bytes: Uint8Array): ReleaseManifest {
  if (bytes.length > releaseManifestBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'release manifest too large', {
      sizeBytes: bytes.length,
      limitBytes: releaseManifestBytesMax,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new WireError(
      'WIRE_RELEASE_MANIFEST_INVALID',
      'manifest is not UTF-8 JSON',
      { field: '(document)' },
      error,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('(document)', 'not an object');
  const record = value as Record<string, unknown>;
  if (record.format !== releaseManifestFormat) throw invalid('format', `must be "${releaseManifestFormat}"`);
  if (record.product !== 'kiosk') throw invalid('product', 'must be "kiosk"');
  if (record.platform !== 'linux') throw invalid('platform', 'must be "linux"');
  if (!releaseArches.includes(record.arch as ReleaseArch)) throw invalid('arch', 'must be arm64 or x64');
  const version = text(record.version, 'version', versionPattern);
  const nodeVersion = text(record.nodeVersion, 'nodeVersion', /^[0-9]+\.[0-9]+\.[0-9]+$/);
  const builtAt = text(record.builtAt, 'builtAt', builtAtPattern);
  if (
    !Array.isArray(record.files) ||
    record.files.length === 0 ||
    record.files.length > releaseFileCountMax
  ) {
    throw invalid('files', `must be a list of 1..${releaseFileCountMax} files`);
  }
  const files = record.files.map(parseFile);
  for (let index = 1; index < files.length; index++) {
    // Strictly increasing: sorted and each path once, so a verifier never sees two answers for one path.
    if (!(files[index - 1]!.path < files[index]!.path))
      throw invalid(`files[${index}].path`, 'not sorted or listed twice');
  }
  const manifest: ReleaseManifest = {
    format: releaseManifestFormat,
    product: 'kiosk',
    version,
    platform: 'linux',
    arch: record.arch as ReleaseArch,
    nodeVersion,
    builtAt,
    files,
  };
  return manifest;
}

/** The bytes of manifest.json for a manifest (fixed key order, two-space indent, final newline). */
export function encodeReleaseManifest(manifest: ReleaseManifest): Uint8Array {
  const sorted = [...manifest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ordered = {
    format: manifest.format,
    product: manifest.product,
    version: manifest.version,
    platform: manifest.platform,
    arch: manifest.arch,
    nodeVersion: manifest.nodeVersion,
    builtAt: manifest.builtAt,
    files: sorted.map((file) => ({
      path: file.path,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      mode: file.mode,
    })),
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`);
  parseReleaseManifest(bytes); // what we write, we can read back: a builder bug fails here, not on HQ
  return bytes;
}

/** SHA-256 of manifest.json's exact bytes: what the release key signs (CKM_ECDSA over this digest). */
export function releaseManifestDigest(manifestBytes: Uint8Array): Uint8Array {
  const digest = new Uint8Array(createHash('sha256').update(manifestBytes).digest());
  if (digest.length !== 32) throw new Error('assert: SHA-256 digest is 32 bytes');
  return digest;
}

export function encodeReleaseSignature(signature: ReleaseSignature): Uint8Array {
  if (signature.signature.length !== signatureBytes)
    throw new Error('assert: a P-256 signature is 64 bytes r||s');
  if (!sha256Pattern.test(signature.keyId)) throw new Error('assert: keyId is a lowercase SHA-256 hex');
  const body = {
    format: signature.format,
    algorithm: signature.algorithm,
    keyId: signature.keyId,
    signature: Buffer.from(signature.signature).toString('base64'),
  };
  return new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`);
}

/** Parses manifest.sig bytes as hostile input. Throws WIRE_RELEASE_SIGNATURE_INVALID. */
export function parseReleaseSignature(bytes: Uint8Array): ReleaseSignature {
  const bad = (field: string, message: string) =>
    new WireError('WIRE_RELEASE_SIGNATURE_INVALID', `${field}: ${message}`, { field });
  if (bytes.length > releaseSignatureFileBytesMax) throw bad('(document)', 'too large');
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw bad('(document)', 'not UTF-8 JSON');
  }
  if (typeof record !== 'object' || record === null) throw bad('(document)', 'not an object');
  if (record.format !== releaseSignatureFormat) throw bad('format', `must be "${releaseSignatureFormat}"`);
  if (record.algorithm !== releaseSignatureAlgorithm)
    throw bad('algorithm', `must be "${releaseSignatureAlgorithm}"`);
  if (typeof record.keyId !== 'string' || !sha256Pattern.test(record.keyId))
    throw bad('keyId', 'not a SHA-256 hex');
  const encoded = record.signature;
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(encoded))
    throw bad('signature', 'not 64 bytes of base64');
  const signature = new Uint8Array(Buffer.from(encoded, 'base64'));
  if (signature.length !== signatureBytes) throw bad('signature', 'not 64 bytes');
  return {
    format: releaseSignatureFormat,
    algorithm: releaseSignatureAlgorithm,
    keyId: record.keyId,
    signature,
  };
}

/**
 * Checks manifest.sig against manifest.json's bytes and the trusted release keys. Returns the key
 * id that signed. Throws WIRE_RELEASE_KEY_UNKNOWN when no trusted key has the signature's key id,
 * WIRE_RELEASE_SIGNATURE_INVALID when the signature does not verify (a changed manifest).
 */
export function verifyReleaseSignature(
  manifestBytes: Uint8Array,
  signatureBytesFile: Uint8Array,
  trustedKeys: readonly PublicKeyInput[],
): string {
  if (trustedKeys.length === 0) throw new Error('assert: at least one trusted release key');
  const signature = parseReleaseSignature(signatureBytesFile);
  const key = trustedKeys
    .map(toPublicKey)
    .find((candidate) => fingerprint(publicKeySpkiDer(candidate)) === signature.keyId);
  if (key === undefined) {
    throw new WireError(
      'WIRE_RELEASE_KEY_UNKNOWN',
      'the bundle is signed by a key that is not a trusted release key',
      {
        keyId: signature.keyId,
      },
    );
  }
  const ok = verify('sha256', manifestBytes, { key, dsaEncoding: 'ieee-p1363' }, signature.signature);
  if (!ok) {
    throw new WireError('WIRE_RELEASE_SIGNATURE_INVALID', 'the manifest signature does not verify', {
      field: 'signature',
      keyId: signature.keyId,
    });
  }
  return signature.keyId;
}

/** One entry found in a bundle folder (manifest.json and manifest.sig excluded). */
export interface ReleaseEntry {
  /** Relative POSIX path. */
  readonly path: string;
  /** 'file' for a regular file; 'other' for a symlink, socket, device or FIFO. */
  readonly kind: 'file' | 'other';
  readonly sizeBytes: number;
}

export type ReleaseDifference =
  | { readonly kind: 'missing'; readonly path: string }
  | { readonly kind: 'not-a-file'; readonly path: string }
  | {
      readonly kind: 'size';
      readonly path: string;
      readonly sizeBytes: number;
      readonly sizeBytesListed: number;
    }
  | { readonly kind: 'unlisted'; readonly path: string };

/**
 * What a bundle folder holds against what its manifest lists, before any hashing (HQ's publish
 * and the kiosk's installer both use it): listed files missing or not regular files, sizes that
 * differ, files the manifest does not list. In path order; empty when the listing matches.
 */
export function releaseListingDifferences(
  manifest: ReleaseManifest,
  entries: readonly ReleaseEntry[],
): ReleaseDifference[] {
  const present = new Map(entries.map((entry) => [entry.path, entry]));
  if (present.size !== entries.length) throw new Error('assert: each bundle path found once');
  const differences: ReleaseDifference[] = [];
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const entry = present.get(file.path);
    if (entry === undefined) differences.push({ kind: 'missing', path: file.path });
    else if (entry.kind !== 'file') differences.push({ kind: 'not-a-file', path: file.path });
    else if (entry.sizeBytes !== file.sizeBytes) {
      differences.push({
        kind: 'size',
        path: file.path,
        sizeBytes: entry.sizeBytes,
        sizeBytesListed: file.sizeBytes,
      });
    }
  }
  for (const entry of entries)
    if (!listed.has(entry.path)) differences.push({ kind: 'unlisted', path: entry.path });
  return differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
