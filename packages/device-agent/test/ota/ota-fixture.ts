// Test fixture for the kiosk OTA: builds signed release packs (the bundle's manifest format, an
// ECDSA P-256 release key generated per run), a kiosk root on real files (releases/, the current
// link, a journal file) and fakes for the source, lock, health check, restart and HQ report.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsReleaseSlots } from '../../src/adapters/ota/release-slots.js';
import { OtaStateFile } from '../../src/adapters/ota/state-file.js';
import type { OtaWiring } from '../../src/app/ota-link.js';
import { OtaRunner, type OtaRunnerDeps } from '../../src/app/ota-runner.js';
import type { LockReason, OtaEffect, OtaOffer, OtaProgress } from '../../src/domain/ota/ota-machine.js';
import { encodePack } from '../../src/domain/ota/release-pack.js';

export interface ReleaseKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function releaseKey(): ReleaseKey {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function releaseFiles(version: string): Record<string, string> {
  return {
    'bin/kiosk': `#!/bin/sh\necho kiosk ${version}\n`,
    'app/agent.js': `export const version = '${version}';\n`,
    'app/empty.txt': '',
  };
}

/** A signed pack; `tamper` changes one byte of the payload after signing. */
export function buildPack(
  version: string,
  key: ReleaseKey,
  options: { files?: Record<string, string>; manifestVersion?: string; tamper?: boolean } = {},
): Uint8Array {
  const files = options.files ?? releaseFiles(version);
  const paths = Object.keys(files).sort();
  const manifest = {
    format: 'bianmin-release/1',
    product: 'kiosk',
    version: options.manifestVersion ?? version,
    files: paths.map((path) => ({
      path,
      sizeBytes: Buffer.byteLength(files[path] ?? ''),
      sha256: createHash('sha256')
        .update(files[path] ?? '')
        .digest('hex'),
      mode: path.startsWith('bin/') ? 0o755 : 0o644,
    })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const signature = sign('sha256', manifestBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  const signatureBytes = Buffer.from(
    JSON.stringify({
      format: 'bianmin-release-signature/1',
      algorithm: 'ECDSA-P256-SHA256',
      signature: signature.toString('base64'),
    }),
  );
  const contents = paths.map((path) => Buffer.from(files[path] ?? ''));
  const pack = encodePack(manifestBytes, signatureBytes, contents);
  if (options.tamper === true) pack[pack.length - 2] = (pack[pack.length - 2] ?? 0) ^ 0x01;
  return pack;
}

/** A kiosk root with release `goodVersion` installed and running, and a journal file. */
export function kioskRoot(goodVersion: string): { root: string; journalPath: string } {
  const root = mkdtempSync(join(tmpdir(), 'ota-kiosk-'));
  mkdirSync(join(root, 'releases', goodVersion), { recursive: true });
  writeFileSync(join(root, 'releases', goodVersion, 'VERSION'), goodVersion);
  symlinkSync(join('releases', goodVersion), join(root, 'current'));
  const journalPath = join(root, 'journal.db');
  writeFileSync(journalPath, 'journal: 1042 events, chain head 9f2c…\n');
  return { root, journalPath };
}

export class Killed extends Error {}

export interface KioskWorld {
  readonly root: string;
  readonly journalPath: string;
  readonly packs: Map<string, Uint8Array>;
  readonly reports: { rolloutId: string; progress: OtaProgress; reason: string }[];
  lockReasons: LockReason[];
  /** Versions whose health check fails (a broken release). */
  readonly broken: Set<string>;
  nowMs: number;
  /** Bytes the fake source hands out per fetch. */
  chunkBytes: number;
  failFetch: boolean;
  /** fromByte of every fetch, in order (resume is visible here). */
  readonly fetches: number[];
  restarts: number;
  /** When set, the n-th effect hook call (0-based) throws Killed. */
  killAt: number | undefined;
  hookCalls: number;
  /** Also hands each report to this (an in-process HQ in the rollout test). */
  forward?: (report: { rolloutId: string; progress: OtaProgress; reason: string }) => Promise<void>;
}

export function kioskWorld(goodVersion: string): KioskWorld {
  const { root, journalPath } = kioskRoot(goodVersion);
  return {
    root,
    journalPath,
    packs: new Map(),
    reports: [],
    lockReasons: [],
    broken: new Set(),
    nowMs: Date.UTC(2026, 11, 5, 6, 30),
    chunkBytes: 64,
    failFetch: false,
    fetches: [],
    restarts: 0,
    killAt: undefined,
    hookCalls: 0,
  };
}

/** The runner's ports on the world's files (what the agent's OtaLink is given), minus lock, reporter, clock. */
export function wiringFor(world: KioskWorld, keys: readonly KeyObject[]): OtaWiring {
  const slots = new FsReleaseSlots({
    root: world.root,
    releaseKeys: keys,
    backupJournal: (to) => copyFileSync(world.journalPath, to),
    nowMs: () => world.nowMs,
  });
  return {
    store: new OtaStateFile(join(world.root, 'ota', 'state.json')),
    source: {
      fetch: async (offer: OtaOffer, fromByte: number, sizeBytesMax: number) => {
        world.fetches.push(fromByte);
        if (world.failFetch) throw new Error('link down');
        const pack = world.packs.get(offer.version) ?? new Uint8Array();
        return pack.subarray(fromByte, fromByte + Math.min(sizeBytesMax, world.chunkBytes));
      },
    },
    slots,
    health: {
      run: async () =>
        world.broken.has(slots.current())
          ? { ok: false, reason: 'doctor: broker session refused' }
          : { ok: true, reason: '' },
    },
    restarter: {
      restart: () => {
        world.restarts += 1;
      },
    },
    timings: { trialMs: 600_000 },
    onEffect: (_when: 'before' | 'after', _effect: OtaEffect) => {
      const call = world.hookCalls;
      world.hookCalls += 1;
      if (world.killAt !== undefined && call === world.killAt) throw new Killed(`killed at hook ${call}`);
    },
  };
}

/** A fresh runner on the world's files, as a new process would build it. */
export function runnerFor(world: KioskWorld, keys: readonly KeyObject[]): OtaRunner {
  const deps: OtaRunnerDeps = {
    ...wiringFor(world, keys),
    lock: { reasons: () => world.lockReasons },
    reporter: {
      report: async (rolloutId, progress, reason) => {
        world.reports.push({ rolloutId, progress, reason });
        await world.forward?.({ rolloutId, progress, reason });
      },
    },
    nowMs: () => world.nowMs,
  };
  return new OtaRunner(deps);
}

export function offerFor(world: KioskWorld, version: string, pack: Uint8Array, rolloutId = 'R1'): OtaOffer {
  world.packs.set(version, pack);
  return { rolloutId, version, downloadBytes: pack.length };
}

export function journalBytes(world: KioskWorld): string {
  return readFileSync(world.journalPath, 'utf8');
}

/** Runs boot() until no restart is pending, as systemd would (at most `bootsMax` boots). */
export async function bootUntilSettled(
  world: KioskWorld,
  keys: readonly KeyObject[],
  bootsMax = 5,
): Promise<OtaRunner> {
  for (let boot = 0; boot < bootsMax; boot += 1) {
    const runner = runnerFor(world, keys);
    await runner.boot();
    if (!runner.restarted) return runner;
  }
  throw new Error('kiosk did not settle');
}
