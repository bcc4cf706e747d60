// The OTA download as one byte stream (a "pack"), so a single byte offset resumes it on a mobile
// link: [u32 BE length][manifest.json][u32 BE length][manifest.sig][payload], where the payload is
// every file of the manifest concatenated in manifest order. The manifest and signature are the
// release bundle's own (docs/ota.md: `bianmin-release/1`, ECDSA P-256 over manifest.json's exact
// bytes), so the kiosk checks exactly what `hq release publish` checked. Unpacking needs no archive
// parser: offsets come from the signed sizes and paths from the signed manifest, each path
// checked again here (relative, plain segments, no '..'), so a pack can never write outside its slot.
//
// Pure: decodes and checks shape; the signature and hashes are checked by the adapter (node:crypto).

import { assert } from '../assert.js';

export interface PackFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly mode: number;
  /** Byte offset of the file's content inside the pack. */
  readonly offset: number;
}

export interface DecodedPack {
  readonly manifestBytes: Uint8Array;
  readonly signatureBytes: Uint8Array;
  readonly version: string;
  readonly files: readonly PackFile[];
}

export type PackDecode =
  | { readonly ok: true; readonly pack: DecodedPack }
  | { readonly ok: false; readonly problem: string };

export interface PackLimits {
  readonly filesMax: number;
  readonly manifestBytesMax: number;
}

const segment = /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/;

export function isSafeRelativePath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > 512) return false;
  return path.split('/').every((part) => part !== '..' && segment.test(part));
}

function readFrame(
  bytes: Uint8Array,
  offset: number,
  max: number,
): { frame: Uint8Array; next: number } | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 4);
  const length = view.getUint32(0, false);
  if (length > max || offset + 4 + length > bytes.length) return undefined;
  return { frame: bytes.subarray(offset + 4, offset + 4 + length), next: offset + 4 + length };
}

export function encodePack(
  manifestBytes: Uint8Array,
  signatureBytes: Uint8Array,
  contents: readonly Uint8Array[],
): Uint8Array {
  const header = (length: number) => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, length, false);
    return out;
  };
  const parts = [
    header(manifestBytes.length),
    manifestBytes,
    header(signatureBytes.length),
    signatureBytes,
    ...contents,
  ];
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  assert(at === total, 'every part copied');
  return out;
}

/**
 * Decodes the frames and the manifest's file list from the pack's first bytes (`bytes` holds at
 * least both frames); every offset is checked against the whole pack's size, `packSizeBytes`.
 */
export function decodePack(bytes: Uint8Array, limits: PackLimits, packSizeBytes = bytes.length): PackDecode {
  assert(Number.isSafeInteger(packSizeBytes) && packSizeBytes >= bytes.length, 'pack size covers the head');
  const manifest = readFrame(bytes, 0, limits.manifestBytesMax);
  if (manifest === undefined) return { ok: false, problem: 'manifest frame truncated or too large' };
  const signature = readFrame(bytes, manifest.next, 64 * 1024);
  if (signature === undefined) return { ok: false, problem: 'signature frame truncated or too large' };
  let parsed: { version?: unknown; files?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifest.frame)) as typeof parsed;
  } catch {
    return { ok: false, problem: 'manifest.json is not UTF-8 JSON' };
  }
  if (typeof parsed?.version !== 'string' || !Array.isArray(parsed.files)) {
    return { ok: false, problem: 'manifest: version and files are required' };
  }
  if (parsed.files.length > limits.filesMax)
    return { ok: false, problem: `manifest: more than ${limits.filesMax} files` };
  const files: PackFile[] = [];
  let offset = signature.next;
  const seen = new Set<string>();
  for (const [index, raw] of parsed.files.entries()) {
    const file = raw as { path?: unknown; sizeBytes?: unknown; sha256?: unknown; mode?: unknown };
    const path = String(file?.path);
    if (!isSafeRelativePath(path) || seen.has(path))
      return { ok: false, problem: `files[${index}].path unsafe or repeated` };
    if (!Number.isSafeInteger(file.sizeBytes) || (file.sizeBytes as number) < 0) {
      return { ok: false, problem: `files[${index}].sizeBytes` };
    }
    if (typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256)) {
      return { ok: false, problem: `files[${index}].sha256` };
    }
    if (file.mode !== 0o644 && file.mode !== 0o755)
      return { ok: false, problem: `files[${index}].mode 0644 or 0755` };
    seen.add(path);
    files.push({ path, sizeBytes: file.sizeBytes as number, sha256: file.sha256, mode: file.mode, offset });
    offset += file.sizeBytes as number;
  }
  if (offset !== packSizeBytes) {
    return {
      ok: false,
      problem: `payload is ${packSizeBytes - signature.next} bytes, manifest says ${offset - signature.next}`,
    };
  }
  return {
    ok: true,
    pack: { manifestBytes: manifest.frame, signatureBytes: signature.frame, version: parsed.version, files },
  };
}
