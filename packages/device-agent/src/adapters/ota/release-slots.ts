// Release slots on a real directory layout (the installer's, docs/ota.md):
//
//   <root>/releases/<version>/         one slot per release; the running one is never written
//   <root>/current -> releases/<v>     what systemd starts; switched by rename of a new link
//   <root>/previous -> releases/<v>    the slot `current` named before the last switch
//   <root>/ota/downloads/<v>.pack      the resumable download (domain/ota/release-pack.ts)
//   <root>/ota/journal-backups/        a copy of the journal made before every switch
//
// Verification reads the pack in bounded chunks (a 95 MB release on a 100 MB box): the manifest's
// signature under one of the pinned release public keys (ECDSA P-256 over SHA-256 of manifest.json,
// the bundle's own format), the manifest's version against the offer, then each file's SHA-256.
// Unpacking writes releases/<v>.partial, fsyncs every file, then renames it to releases/<v>: a
// slot folder either is complete or does not exist. The journal is never opened here; the backup
// is the caller's function (SQLite's online backup in the agent, a file copy in tests).
import { createHash, type KeyObject, verify as verifySignature } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type DecodedPack, decodePack } from '../../domain/ota/release-pack.js';
import { AgentError } from '../../errors.js';
import { otaChunkBytesMax, otaManifestBytesMax, otaPackFilesMax } from '../../limits.js';
import type { ReleaseSlots, VerifyOutcome } from '../../ports/ota.js';

export interface ReleaseSlotsOptions {
  readonly root: string;
  /** Pinned release public keys (P-256); the pack must be signed by one of them. */
  readonly releaseKeys: readonly KeyObject[];
  /** Copies the journal to `toPath` (consistent copy) before a switch. */
  readonly backupJournal: (toPath: string) => void;
  /** Milliseconds for the backup's file name. */
  readonly nowMs: () => number;
  /** Where slots are unpacked (default <root>/releases; the staging folder under a root switch). */
  readonly slotsDir?: string;
  /** Downloads and journal backups (default <root>/ota). */
  readonly otaDir?: string;
}

const versionPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeDurably(path: string, bytes: Uint8Array): void {
  const out = openSync(path, 'w', 0o644);
  try {
    writeSync(out, bytes);
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

export class FsReleaseSlots implements ReleaseSlots {
  readonly #options: ReleaseSlotsOptions;
  readonly #slotsDir: string;
  readonly #otaDir: string;

  constructor(options: ReleaseSlotsOptions) {
    this.#options = options;
    this.#slotsDir = options.slotsDir ?? join(options.root, 'releases');
    this.#otaDir = options.otaDir ?? join(options.root, 'ota');
    mkdirSync(this.#slotsDir, { recursive: true });
    mkdirSync(join(this.#otaDir, 'downloads'), { recursive: true });
    mkdirSync(join(this.#otaDir, 'journal-backups'), { recursive: true });
  }

  #pack(version: string): string {
    if (!versionPattern.test(version))
      throw new AgentError('AGENT_OTA_SLOT_INVALID', `version ${JSON.stringify(version)}`);
    return join(this.#otaDir, 'downloads', `${version}.pack`);
  }

  /** The folder a verified release is unpacked into (releases/<version>, or staging/<version>). */
  slotPath(version: string): string {
    if (!versionPattern.test(version))
      throw new AgentError('AGENT_OTA_SLOT_INVALID', `version ${JSON.stringify(version)}`);
    return join(this.#slotsDir, version);
  }

  #slot(version: string): string {
    return this.slotPath(version);
  }

  /** Where the journal is copied before switching to `version`. */
  backupPath(version: string): string {
    return join(this.#otaDir, 'journal-backups', `before-${version}-${this.#options.nowMs()}.db`);
  }

  downloadedBytes(version: string): number {
    const path = this.#pack(version);
    return existsSync(path) ? statSync(path).size : 0;
  }

  storeChunk(version: string, fromByte: number, bytes: Uint8Array): void {
    const fd = openSync(this.#pack(version), existsSync(this.#pack(version)) ? 'r+' : 'w+', 0o600);
    try {
      // A chunk written before a crash but not recorded in the state is simply written again.
      ftruncateSync(fd, fromByte);
      writeSync(fd, bytes, 0, bytes.length, fromByte);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #decode(fd: number): DecodedPack | string {
    const size = fstatSync(fd).size;
    const head = readAt(fd, 0, Math.min(size, otaManifestBytesMax + 4 + 64 * 1024 + 4));
    const decoded = decodePack(
      head,
      { filesMax: otaPackFilesMax, manifestBytesMax: otaManifestBytesMax },
      size,
    );
    return decoded.ok ? decoded.pack : decoded.problem;
  }

  verify(version: string): VerifyOutcome {
    const fd = openSync(this.#pack(version), 'r');
    try {
      const pack = this.#decode(fd);
      if (typeof pack === 'string') return { ok: false, code: 'AGENT_OTA_PACK_INVALID', message: pack };
      if (!this.#signatureValid(pack)) {
        return {
          ok: false,
          code: 'AGENT_OTA_SIGNATURE_INVALID',
          message: 'not signed by a pinned release key',
        };
      }
      if (pack.version !== version && !version.startsWith(`${pack.version}-`)) {
        return {
          ok: false,
          code: 'AGENT_OTA_VERSION_MISMATCH',
          message: `manifest is ${pack.version}, offer ${version}`,
        };
      }
      for (const file of pack.files) {
        const hash = createHash('sha256');
        for (let at = 0; at < file.sizeBytes; at += otaChunkBytesMax) {
          hash.update(readAt(fd, file.offset + at, Math.min(otaChunkBytesMax, file.sizeBytes - at)));
        }
        if (hash.digest('hex') !== file.sha256) {
          return {
            ok: false,
            code: 'AGENT_OTA_HASH_MISMATCH',
            message: `${file.path}: SHA-256 differs from the manifest`,
          };
        }
      }
      return { ok: true };
    } finally {
      closeSync(fd);
    }
  }

  #signatureValid(pack: DecodedPack): boolean {
    let signature: Buffer;
    try {
      const parsed = JSON.parse(Buffer.from(pack.signatureBytes).toString('utf8')) as { signature?: unknown };
      signature = Buffer.from(String(parsed.signature), 'base64');
    } catch {
      return false;
    }
    if (signature.length !== 64) return false;
    return this.#options.releaseKeys.some((key) =>
      verifySignature('sha256', pack.manifestBytes, { key, dsaEncoding: 'ieee-p1363' }, signature),
    );
  }

  unpack(version: string): void {
    const slot = this.#slot(version);
    if (existsSync(slot)) return; // a complete slot (renamed last): unpacked before a crash
    const partial = `${slot}.partial`;
    rmSync(partial, { recursive: true, force: true });
    const fd = openSync(this.#pack(version), 'r');
    try {
      const pack = this.#decode(fd);
      if (typeof pack === 'string') throw new AgentError('AGENT_OTA_PACK_INVALID', pack);
      for (const file of pack.files) {
        const target = join(partial, file.path);
        mkdirSync(dirname(target), { recursive: true });
        const out = openSync(target, 'w', file.mode);
        try {
          for (let at = 0; at < file.sizeBytes; at += otaChunkBytesMax) {
            writeSync(out, readAt(fd, file.offset + at, Math.min(otaChunkBytesMax, file.sizeBytes - at)));
          }
          fsyncSync(out);
        } finally {
          closeSync(out);
        }
      }
      // The signed manifest travels with the slot: the slot is a bundle the installer's verifier
      // (bin/verify-bundle.mjs) can check again, as the root switch does (ota.switchVia "unit").
      mkdirSync(partial, { recursive: true });
      writeDurably(join(partial, 'manifest.json'), pack.manifestBytes);
      writeDurably(join(partial, 'manifest.sig'), pack.signatureBytes);
    } finally {
      closeSync(fd);
    }
    fsyncPath(partial);
    renameSync(partial, slot);
    fsyncPath(dirname(slot));
  }

  current(): string {
    return basename(readlinkSync(join(this.#options.root, 'current')));
  }

  #link(name: 'current' | 'previous', version: string): void {
    const link = join(this.#options.root, name);
    const temp = `${link}.tmp`;
    rmSync(temp, { force: true });
    symlinkSync(join('releases', version), temp);
    renameSync(temp, link);
  }

  switchTo(version: string): void {
    if (!existsSync(this.#slot(version))) {
      throw new AgentError('AGENT_OTA_SLOT_INVALID', `releases/${version} is missing or incomplete`);
    }
    const before = existsSync(join(this.#options.root, 'current')) ? this.current() : undefined;
    if (before === version) return; // switched before a crash: nothing to do
    this.#options.backupJournal(this.backupPath(version));
    if (before !== undefined) this.#link('previous', before);
    this.#link('current', version);
    fsyncPath(this.#options.root);
  }

  discard(version: string): void {
    const named = (link: string) =>
      existsSync(join(this.#options.root, link))
        ? basename(readlinkSync(join(this.#options.root, link)))
        : '';
    rmSync(this.#pack(version), { force: true });
    rmSync(`${this.#slot(version)}.partial`, { recursive: true, force: true });
    // Never the running slot nor the one a rollback would go back to.
    if (version !== named('current') && version !== named('previous')) {
      rmSync(this.#slot(version), { recursive: true, force: true });
    }
  }
}
