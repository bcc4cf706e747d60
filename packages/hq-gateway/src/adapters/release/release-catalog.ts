// The release store (release-store.ts, written by `hq release publish` and POST /api/v1/releases)
// as the ReleaseCatalog that rollout offers read (app/rollout-wire.ts, issue 13): one home for
// "what was published". A release is described only when its record folder exists; its pack size
// is the pack's framing (device-agent domain/ota/release-pack.ts: [u32 length][manifest.json]
// [u32 length][manifest.sig][every file in manifest order]) over the stored manifest, signature
// and the files' total size, so the kiosk's Range requests and its resume agree with HQ's number.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { releaseManifestName, releaseSignatureName } from '@bianmin/wire';
import type { ReleaseCatalog } from '../../app/rollout-wire.js';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*-linux-(arm64|x64)$/;

/** `packBaseUrl`: where kiosks fetch packs, e.g. https://hq.example.cn (no trailing slash). */
export function releaseStoreCatalog(releasesDir: string, packBaseUrl: string): ReleaseCatalog {
  if (!/^https?:\/\/[^\s/]+/.test(packBaseUrl)) throw new Error('assert: packBaseUrl is an http(s) URL');
  return {
    describe(releaseVersion) {
      if (!namePattern.test(releaseVersion)) return undefined;
      const dir = join(releasesDir, 'releases', releaseVersion);
      if (!existsSync(join(dir, 'published.json'))) return undefined;
      const record = JSON.parse(readFileSync(join(dir, 'published.json'), 'utf8')) as {
        manifestSha256: string;
        sizeBytes: number;
      };
      const framingBytes =
        4 +
        statSync(join(dir, releaseManifestName)).size +
        4 +
        statSync(join(dir, releaseSignatureName)).size;
      const packBytes = framingBytes + record.sizeBytes;
      if (!Number.isSafeInteger(packBytes)) throw new Error('assert: pack size is a safe integer');
      return { manifestSha256: record.manifestSha256, packBytes };
    },
    fetchUrl(releaseVersion) {
      return `${packBaseUrl.replace(/\/$/, '')}/api/v1/releases/${releaseVersion}/pack`;
    },
  };
}
