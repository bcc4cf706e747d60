// Goal: a kiosk downloads a published release from HQ over HTTP Range and installs it (issue 13):
// HQ serves the pack straight from its release store (manifest, signature, content-addressed blobs)
// one range at a time; the kiosk's HTTP source asks chunk by chunk from the offset it stored,
// survives dropped connections by retrying, refuses a response that is not the range it asked for,
// and the runner verifies the signature and every hash before it stages the slot. Method: a real
// HTTP server on a free port (fastify with the gateway's release route) over a release store laid
// out on disk as `hq release publish` writes it, the agent's HttpReleaseSource with Node's fetch
// (wrapped to cut connections, an immediate pause instead of backoff timers), and the real OTA
// runner on real release folders.
import { createHash, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeReleaseManifest, encodeReleaseSignature, fingerprint, publicKeySpkiDer } from '@bianmin/wire';
import Fastify from 'fastify';
import t from 'tap';
import { HttpReleaseSource } from '../../packages/device-agent/src/adapters/ota/http-source.js';
import { OtaRunner } from '../../packages/device-agent/src/app/ota-runner.js';
import { decodePack, encodePack } from '../../packages/device-agent/src/domain/ota/release-pack.js';
import { kioskWorld, releaseKey, wiringFor } from '../../packages/device-agent/test/ota/ota-fixture.js';
import { registerReleasePackRoute } from '../../packages/hq-gateway/src/adapters/http/release-pack-route.js';
import { ReleasePacks } from '../../packages/hq-gateway/src/adapters/release/release-packs.js';

const key = releaseKey();

/** A pack in the release builder's real format (wire release-manifest.ts), signed with `key`. */
function realPack(version: string, files: Record<string, string>): Uint8Array {
  const paths = Object.keys(files).sort();
  const manifestBytes = encodeReleaseManifest({
    format: 'bianmin-release/1',
    product: 'kiosk',
    version,
    platform: 'linux',
    arch: 'arm64',
    nodeVersion: '20.20.2',
    builtAt: '2026-12-05T13:22:51+08:00',
    files: paths.map((path) => ({
      path,
      sizeBytes: Buffer.byteLength(files[path] ?? ''),
      sha256: createHash('sha256')
        .update(files[path] ?? '')
        .digest('hex'),
      mode: path.startsWith('bin/') ? 0o755 : 0o644,
    })),
  });
  const signatureBytes = encodeReleaseSignature({
    format: 'bianmin-release-signature/1',
    algorithm: 'ECDSA-P256-SHA256',
    keyId: fingerprint(publicKeySpkiDer(key.publicKey)),
    signature: new Uint8Array(
      sign('sha256', manifestBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
    ),
  });
  return encodePack(
    manifestBytes,
    signatureBytes,
    paths.map((path) => Buffer.from(files[path] ?? '')),
  );
}

/** The store as `hq release publish` leaves it, from a fixture pack's own manifest, signature and files. */
function storeOf(version: string, pack: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'hq-releases-'));
  const decoded = decodePack(pack, { filesMax: 100, manifestBytesMax: 1 << 20 });
  if (!decoded.ok) throw new Error(decoded.problem);
  const record = join(dir, 'releases', version);
  mkdirSync(record, { recursive: true });
  writeFileSync(join(record, 'manifest.json'), decoded.pack.manifestBytes);
  writeFileSync(join(record, 'manifest.sig'), decoded.pack.signatureBytes);
  writeFileSync(join(record, 'published.json'), '{}\n');
  for (const file of decoded.pack.files) {
    const blobDir = join(dir, 'blobs', 'sha256', file.sha256.slice(0, 2));
    mkdirSync(blobDir, { recursive: true });
    writeFileSync(join(blobDir, file.sha256), pack.subarray(file.offset, file.offset + file.sizeBytes));
  }
  return dir;
}

t.test(
  'HQ serves the pack by range; the kiosk resumes over dropped connections and installs it',
  async (t) => {
    const files = {
      'bin/kiosk': '#!/bin/sh\necho 1.4.0\n',
      'app/agent.js': 'x'.repeat(3_000_000),
      'app/b.txt': 'b',
    };
    const pack = realPack('1.4.0', files);
    const dir = storeOf('1.4.0', pack);
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const packs = new ReleasePacks(dir, 'http://127.0.0.1');
    const app = Fastify();
    registerReleasePackRoute(app, packs);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    t.teardown(() => app.close());
    const url = `${base}/api/v1/releases/1.4.0/pack`;

    t.equal(packs.sizeBytes('1.4.0'), pack.length, "HQ's pack is the kiosk's format, byte for byte in size");
    const described = packs.describe('1.4.0');
    t.equal(described?.packBytes, pack.length);
    t.equal(packs.fetchUrl('1.4.0'), 'http://127.0.0.1/api/v1/releases/1.4.0/pack');
    t.equal(packs.describe('../etc'), undefined, 'a version that is not a slot name is never a path');

    // Without a range, or past the end: 416 with the pack's size.
    const whole = await fetch(url);
    t.equal(whole.status, 416);
    t.equal(((await whole.json()) as { code?: unknown }).code, 'HQ_RELEASE_RANGE_INVALID');
    const past = await fetch(url, { headers: { range: `bytes=${pack.length}-` } });
    t.equal(past.headers.get('content-range'), `bytes */${pack.length}`);
    t.equal(
      (await fetch(`${base}/api/v1/releases/9.9.9/pack`, { headers: { range: 'bytes=0-' } })).status,
      404,
    );

    // Every second request's connection is cut before the answer: the source retries and goes on.
    let calls = 0;
    const pauses: number[] = [];
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls % 2 === 0) throw new TypeError('fetch failed: socket hang up');
      return fetch(input, init);
    };
    const source = new HttpReleaseSource({
      urlOf: () => url,
      fetch: flaky,
      pause: async (delayMs) => {
        pauses.push(delayMs);
      },
      random01: () => 1,
    });
    const world = kioskWorld('1.3.0');
    const runner = new OtaRunner({
      ...wiringFor(world, [key.publicKey]),
      source,
      lock: { reasons: () => ['station-open'] },
      reporter: { report: async () => undefined },
      nowMs: () => world.nowMs,
    });
    await runner.offer({ rolloutId: 'R-1', version: '1.4.0', downloadBytes: pack.length });
    t.equal(runner.state.phase.name, 'staged', 'downloaded over HTTP, verified and staged');
    t.ok(
      pauses.length > 0 && pauses.every((ms) => ms >= 1_000),
      'each cut connection was retried after a backoff',
    );

    // A server that ignores Range (200 with everything) is never spliced in.
    const ignoring = new HttpReleaseSource({
      urlOf: () => url,
      fetch: async () => new Response(Buffer.from(pack), { status: 200 }),
      pause: async () => undefined,
    });
    await t.rejects(
      ignoring.fetch({ rolloutId: 'R-1', version: '1.4.0', downloadBytes: pack.length }, 0, 1024),
      /HTTP 200, 206 expected/,
    );
    // A pack whose size changed under the same name is refused.
    const other = new HttpReleaseSource({ urlOf: () => url, pause: async () => undefined });
    await t.rejects(
      other.fetch({ rolloutId: 'R-1', version: '1.4.0', downloadBytes: pack.length + 1 }, 0, 1024),
      /Content-Range/,
    );
    t.equal(
      createHash('sha256')
        .update(packs.read('1.4.0', 0, pack.length - 1))
        .digest('hex'),
      createHash('sha256').update(pack).digest('hex'),
      'the whole pack reads back identical',
    );
  },
);
