// The OTA download of a published release as one byte stream (issue 13), served with HTTP Range
// from HQ's release store without ever writing it out: the kiosk's pack format (device-agent
// domain/ota/release-pack.ts) is [u32 BE length][manifest.json][u32 BE length][manifest.sig]
// [every file's content in manifest order], and each file's content is its blob in the store, so a
// range is read segment by segment from manifest.json, manifest.sig and the blobs. Also the
// gateway's ReleaseCatalog: what an offer names (manifest SHA-256, pack size, fetch URL).
//
//   <releasesDir>/releases/<version>/{manifest.json, manifest.sig, published.json}
//   <releasesDir>/blobs/sha256/<2 hex>/<sha256>
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseReleaseManifest, releaseVersionPattern } from '@bianmin/wire';
import type { ReleaseCatalog } from '../../app/rollout-wire.js';
import { HqError } from '../../errors.js';
import { releasePackRangeBytesMax } from '../../limits.js';

type Segment =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'file'; readonly path: string; readonly sizeBytes: number };

interface Pack {
  readonly manifestSha256: string;
  readonly segments: readonly Segment[];
  readonly sizeBytes: number;
}

const lengthPrefix = (size: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, size, false);
  return bytes;
};

export class ReleasePacks implements ReleaseCatalog {
  readonly #releasesDir: string;
  readonly #baseUrl: string;
  readonly #packs = new Map<string, Pack>();

  /** `baseUrl`: how kiosks reach this gateway's HTTP API, e.g. https://hq.example.cn. */
  constructor(releasesDir: string, baseUrl: string) {
    if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new Error(`assert: base URL ${baseUrl}`);
    this.#releasesDir = releasesDir;
    this.#baseUrl = baseUrl.replace(/\/$/, '');
  }

  describe(releaseVersion: string): { manifestSha256: string; packBytes: number } | undefined {
    const pack = this.#pack(releaseVersion);
    return pack === undefined
      ? undefined
      : { manifestSha256: pack.manifestSha256, packBytes: pack.sizeBytes };
  }

  fetchUrl(releaseVersion: string): string {
    return `${this.#baseUrl}/api/v1/releases/${encodeURIComponent(releaseVersion)}/pack`;
  }

  /** The pack's size, or undefined when the release is not published. */
  sizeBytes(releaseVersion: string): number | undefined {
    return this.#pack(releaseVersion)?.sizeBytes;
  }

  /** Bytes [fromByte, toByte] (inclusive) of the pack; the caller checked the range. */
  read(releaseVersion: string, fromByte: number, toByte: number): Uint8Array {
    const pack = this.#pack(releaseVersion);
    if (pack === undefined)
      throw new HqError('HQ_RELEASE_RANGE_INVALID', `${releaseVersion} is not published`);
    const count = toByte - fromByte + 1;
    if (!(fromByte >= 0 && count >= 1 && toByte < pack.sizeBytes && count <= releasePackRangeBytesMax))
      throw new Error(`assert: range ${fromByte}-${toByte} of ${pack.sizeBytes}`);
    const out = new Uint8Array(count);
    let segmentStart = 0;
    for (const segment of pack.segments) {
      const size = segment.kind === 'bytes' ? segment.bytes.length : segment.sizeBytes;
      const start = Math.max(fromByte, segmentStart);
      const end = Math.min(toByte + 1, segmentStart + size);
      if (start < end) {
        const into = out.subarray(start - fromByte, end - fromByte);
        if (segment.kind === 'bytes')
          into.set(segment.bytes.subarray(start - segmentStart, end - segmentStart));
        else readAt(segment.path, start - segmentStart, into);
      }
      segmentStart += size;
      if (segmentStart > toByte) break;
    }
    return out;
  }

  #pack(releaseVersion: string): Pack | undefined {
    if (!releaseVersionPattern.test(releaseVersion)) return undefined;
    const known = this.#packs.get(releaseVersion);
    if (known !== undefined) return known;
    const dir = join(this.#releasesDir, 'releases', releaseVersion);
    if (!existsSync(join(dir, 'published.json'))) return undefined;
    const manifestBytes = readFileSync(join(dir, 'manifest.json'));
    const signatureBytes = readFileSync(join(dir, 'manifest.sig'));
    // What `hq release publish` checked (signature, every hash) before it wrote published.json.
    const manifest = parseReleaseManifest(manifestBytes);
    const segments: Segment[] = [
      { kind: 'bytes', bytes: lengthPrefix(manifestBytes.length) },
      { kind: 'bytes', bytes: manifestBytes },
      { kind: 'bytes', bytes: lengthPrefix(signatureBytes.length) },
      { kind: 'bytes', bytes: signatureBytes },
      ...manifest.files.map((file) => ({
        kind: 'file' as const,
        path: join(this.#releasesDir, 'blobs', 'sha256', file.sha256.slice(0, 2), file.sha256),
        sizeBytes: file.sizeBytes,
      })),
    ];
    const sizeBytes = segments.reduce(
      (sum, s) => sum + (s.kind === 'bytes' ? s.bytes.length : s.sizeBytes),
      0,
    );
    const pack = {
      manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
      segments,
      sizeBytes,
    };
    this.#packs.set(releaseVersion, pack);
    return pack;
  }
}

function readAt(path: string, position: number, into: Uint8Array): void {
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < into.length) {
      const read = readSync(fd, into, done, into.length - done, position + done);
      if (read === 0)
        throw new HqError('HQ_RELEASE_FILE_MISSING', `blob ${path} is shorter than its manifest entry`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** Parses a single `bytes=a-b` or `bytes=a-` range, clamped to the pack and to the per-request maximum. */
export function parseRange(
  header: string | undefined,
  sizeBytes: number,
): { readonly fromByte: number; readonly toByte: number } | undefined {
  const match = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header ?? '');
  if (match === null) return undefined;
  const fromByte = Number(match[1]);
  const asked = match[2] === '' ? sizeBytes - 1 : Number(match[2]);
  if (fromByte >= sizeBytes || asked < fromByte) return undefined;
  return { fromByte, toByte: Math.min(asked, sizeBytes - 1, fromByte + releasePackRangeBytesMax - 1) };
}
