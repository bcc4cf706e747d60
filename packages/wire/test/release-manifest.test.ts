// Goal: the release manifest format (src/release-manifest.ts) reads back what it writes, refuses
// every hostile field with WIRE_RELEASE_MANIFEST_INVALID naming the field (unsafe paths first of
// all: a bundle path must never escape the bundle folder), and a signature verifies only over the
// exact manifest bytes and only under a trusted key. Method: a small manifest built here, one
// mutation per case, and node:crypto keys standing in for the PKCS#11 release key.
import { generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import {
  encodeReleaseManifest,
  encodeReleaseSignature,
  fingerprint,
  isSafeReleasePath,
  parseReleaseManifest,
  publicKeySpkiDer,
  type ReleaseManifest,
  releaseManifestDigest,
  releaseTimestamp,
  verifyReleaseSignature,
  WireError,
} from '../src/index.js';

const manifest: ReleaseManifest = {
  format: 'bianmin-release/1',
  product: 'kiosk',
  version: '0.1.0',
  platform: 'linux',
  arch: 'arm64',
  nodeVersion: '20.20.2',
  builtAt: releaseTimestamp(Date.UTC(2026, 11, 5, 5, 0, 0)),
  files: [
    { path: 'bin/node', sizeBytes: 3, sha256: 'a'.repeat(64), mode: 0o755 },
    { path: 'app/node_modules/pino/package.json', sizeBytes: 0, sha256: 'b'.repeat(64), mode: 0o644 },
  ],
};
const bytes = encodeReleaseManifest(manifest);
const json = () =>
  JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> & {
    files: Record<string, unknown>[];
  };
const codeOf = (run: () => unknown): string => {
  try {
    run();
    return 'none';
  } catch (error) {
    return error instanceof WireError ? `${error.code} ${String(error.details.field ?? '')}` : 'other';
  }
};

t.test('round trip: sorted files, Beijing time, the same bytes again', async (t) => {
  const parsed = parseReleaseManifest(bytes);
  t.same(
    parsed.files.map((file) => file.path),
    ['app/node_modules/pino/package.json', 'bin/node'],
  );
  t.equal(parsed.builtAt, '2026-12-05T13:00:00+08:00');
  t.same(encodeReleaseManifest(parsed), bytes);
});

t.test('unsafe paths are refused', async (t) => {
  for (const path of [
    '../etc/passwd',
    '/etc/passwd',
    'a//b',
    'a/./b',
    'a/../../b',
    'a\\b',
    '',
    'a/b c',
    '.hidden',
    `a/${'x'.repeat(600)}`,
  ]) {
    t.equal(isSafeReleasePath(path), false, JSON.stringify(path.slice(0, 40)));
    const doc = json();
    doc.files = [{ path, sizeBytes: 1, sha256: 'c'.repeat(64), mode: 0o644 }];
    t.equal(
      codeOf(() => parseReleaseManifest(new TextEncoder().encode(JSON.stringify(doc)))),
      'WIRE_RELEASE_MANIFEST_INVALID files[0].path',
    );
  }
  t.equal(isSafeReleasePath('app/node_modules/@bianmin/wire/dist/index.js'), true);
});

t.test('each bad field is named', async (t) => {
  const cases: [string, (doc: ReturnType<typeof json>) => void, string][] = [
    [
      'format',
      (doc) => {
        doc.format = 'other/1';
      },
      'format',
    ],
    [
      'arch',
      (doc) => {
        doc.arch = 'mips';
      },
      'arch',
    ],
    [
      'version',
      (doc) => {
        doc.version = '1.0';
      },
      'version',
    ],
    [
      'builtAt without +08:00',
      (doc) => {
        doc.builtAt = '2026-12-05T05:00:00Z';
      },
      'builtAt',
    ],
    [
      'size not an integer',
      (doc) => {
        doc.files[0]!.sizeBytes = 1.5;
      },
      'files[0].sizeBytes',
    ],
    [
      'negative size',
      (doc) => {
        doc.files[0]!.sizeBytes = -1;
      },
      'files[0].sizeBytes',
    ],
    [
      'upper-case hash',
      (doc) => {
        doc.files[0]!.sha256 = 'A'.repeat(64);
      },
      'files[0].sha256',
    ],
    [
      'setuid mode',
      (doc) => {
        doc.files[0]!.mode = 0o4755;
      },
      'files[0].mode',
    ],
    [
      'a path twice',
      (doc) => {
        doc.files[1] = { ...doc.files[0]! };
      },
      'files[1].path',
    ],
    [
      'no files',
      (doc) => {
        doc.files = [];
      },
      'files',
    ],
  ];
  for (const [name, mutate, field] of cases) {
    const doc = json();
    mutate(doc);
    t.equal(
      codeOf(() => parseReleaseManifest(new TextEncoder().encode(JSON.stringify(doc)))),
      `WIRE_RELEASE_MANIFEST_INVALID ${field}`,
      name,
    );
  }
  t.equal(
    codeOf(() => parseReleaseManifest(new Uint8Array([0xff, 0xfe]))),
    'WIRE_RELEASE_MANIFEST_INVALID (document)',
  );
  t.equal(
    codeOf(() => parseReleaseManifest(new Uint8Array(5 * 1024 * 1024))),
    'WIRE_TOO_LARGE ',
  );
});

t.test('the signature covers the exact bytes, under a trusted key only', async (t) => {
  const release = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signatureFile = (key: typeof release, over: Uint8Array) =>
    encodeReleaseSignature({
      format: 'bianmin-release-signature/1',
      algorithm: 'ECDSA-P256-SHA256',
      keyId: fingerprint(publicKeySpkiDer(key.publicKey)),
      signature: new Uint8Array(sign('sha256', over, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })),
    });
  t.equal(releaseManifestDigest(bytes).length, 32);
  const good = signatureFile(release, bytes);
  t.equal(
    verifyReleaseSignature(bytes, good, [other.publicKey, release.publicKey]),
    fingerprint(publicKeySpkiDer(release.publicKey)),
  );
  const changed = new Uint8Array(bytes);
  changed[changed.length - 3] ^= 0x01;
  t.equal(
    codeOf(() => verifyReleaseSignature(changed, good, [release.publicKey])),
    'WIRE_RELEASE_SIGNATURE_INVALID signature',
  );
  t.equal(
    codeOf(() => verifyReleaseSignature(bytes, signatureFile(other, bytes), [release.publicKey])),
    'WIRE_RELEASE_KEY_UNKNOWN ',
  );
  const forged = JSON.parse(new TextDecoder().decode(signatureFile(other, bytes)));
  forged.keyId = fingerprint(publicKeySpkiDer(release.publicKey)); // another key's signature under the trusted key's id
  t.equal(
    codeOf(() =>
      verifyReleaseSignature(bytes, new TextEncoder().encode(JSON.stringify(forged)), [release.publicKey]),
    ),
    'WIRE_RELEASE_SIGNATURE_INVALID signature',
  );
});
