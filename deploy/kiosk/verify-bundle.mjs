#!/usr/bin/env node
// Verifies a kiosk release bundle on the kiosk before it is installed (deploy/kiosk/install.sh;
// OTA will call the same check, docs/ota.md): the signature over manifest.json's exact bytes under
// a trusted HQ release key, the manifest's fields, the folder listing against the manifest (no
// missing, extra, resized or non-regular file), then every file's SHA-256.
// It ships inside each bundle as bin/verify-bundle.mjs and uses that bundle's @bianmin/wire
// (release-manifest.ts, the format's one home). The installer runs the INSTALLED release's copy
// with the installed Node on a new bundle, so trusted code checks untrusted bytes; only the very
// first install runs the new bundle's own copy (docs/operations.md: compare the manifest's SHA-256
// with the one HQ published).
//
// Usage: verify-bundle.mjs BUNDLE_DIR --release-key FILE [--release-key FILE ...] [--apply-modes]
// --apply-modes: after a successful check, set each file's mode to the manifest's (0755 / 0644),
// for the installer's copy (files arrive with the umask's modes; the signed manifest decides).
// Prints one JSON line: {"ok":true,version,arch,keyId,manifestSha256,fileCount} or
// {"ok":false,"code":…,"problems":[…]}. Exit 0 ok, 1 refused, 2 usage.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const wire = await import(new URL('../app/node_modules/@bianmin/wire/dist/index.js', import.meta.url).href);
const problemsListedMax = 20;

function listBundle(root, prefix = '') {
  const entries = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (prefix === '' && (path === wire.releaseManifestName || path === wire.releaseSignatureName)) continue;
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

function readBounded(path, sizeBytesMax) {
  const stat = lstatSync(path);
  if (!stat.isFile() || stat.size > sizeBytesMax)
    throw new Error(`${path}: not a regular file of at most ${sizeBytesMax} bytes`);
  return readFileSync(path);
}

function verify(bundleDir, keyPems) {
  const manifestBytes = readBounded(
    join(bundleDir, wire.releaseManifestName),
    wire.limits.releaseManifestBytesMax,
  );
  const signatureBytes = readBounded(
    join(bundleDir, wire.releaseSignatureName),
    wire.limits.releaseSignatureFileBytesMax,
  );
  const keyId = wire.verifyReleaseSignature(manifestBytes, signatureBytes, keyPems);
  const manifest = wire.parseReleaseManifest(manifestBytes);
  const problems = wire
    .releaseListingDifferences(manifest, listBundle(bundleDir))
    .map((difference) => `${difference.kind}: ${difference.path}`);
  if (problems.length === 0) {
    for (const file of manifest.files) {
      const sha256 = createHash('sha256')
        .update(readFileSync(join(bundleDir, file.path)))
        .digest('hex');
      if (sha256 !== file.sha256) problems.push(`hash: ${file.path}`);
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, problemsListedMax);
    if (problems.length > problemsListedMax) listed.push(`and ${problems.length - problemsListedMax} more`);
    return { ok: false, code: 'RELEASE_BUNDLE_MISMATCH', problems: listed };
  }
  return {
    ok: true,
    version: manifest.version,
    arch: manifest.arch,
    keyId,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    fileCount: manifest.files.length,
    manifest,
  };
}

function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { 'release-key': { type: 'string', multiple: true }, 'apply-modes': { type: 'boolean' } },
    });
  } catch (error) {
    return { exit: 2, answer: { ok: false, code: 'RELEASE_USAGE', problems: [error.message] } };
  }
  const keyFiles = parsed.values['release-key'] ?? [];
  if (parsed.positionals.length !== 1 || keyFiles.length === 0) {
    return {
      exit: 2,
      answer: {
        ok: false,
        code: 'RELEASE_USAGE',
        problems: ['verify-bundle.mjs BUNDLE_DIR --release-key FILE'],
      },
    };
  }
  let keyPems;
  try {
    keyPems = keyFiles.map((file) => readFileSync(file, 'utf8'));
  } catch (error) {
    return {
      exit: 1,
      answer: { ok: false, code: 'RELEASE_INSTALL_NO_KEY', problems: [String(error.message)] },
    };
  }
  try {
    const { manifest, ...answer } = verify(parsed.positionals[0], keyPems);
    if (answer.ok && parsed.values['apply-modes'] === true) {
      for (const file of manifest.files) chmodSync(join(parsed.positionals[0], file.path), file.mode);
    }
    return { exit: answer.ok ? 0 : 1, answer };
  } catch (error) {
    const code =
      typeof error?.code === 'string' && error.code.startsWith('WIRE_')
        ? error.code
        : 'RELEASE_BUNDLE_MISMATCH';
    return { exit: 1, answer: { ok: false, code, problems: [String(error.message)] } };
  }
}

const { exit, answer } = main();
process.stdout.write(`${JSON.stringify(answer)}\n`);
process.exitCode = exit;
