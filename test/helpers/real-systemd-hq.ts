// Test helper: HQ's release side for a kiosk under a real systemd (test/helpers/real-systemd-kiosk.ts),
// made of hq-gateway's own code: each bundle is published by `publishRelease` (what `hq release
// publish` runs: signature, listing, every hash) into a release store on disk; the gateway's pack
// route serves it on a real HTTP port (HTTP Range, as `hq serve` does); a rollout is created and
// started by the rollout app on a memory operations store, its offers are built by `sendOffers`
// and go out as HQ-signed commands on the station's down/cmd through the fake HQ's broker session,
// and every OtaProgress the fake HQ verified and stored is fed to `ingestOtaProgress`, one after
// the other, as the gateway's ingest does after a batch commit. What HQ then knows of a station is
// `readRollout`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Test } from 'tap';
import type { FakeHq, OtaProgressSeen } from '../../packages/device-agent/test/agent/fake-hq.js';
import { registerReleasePackRoute } from '../../packages/hq-gateway/src/adapters/http/release-pack-route.js';
import { MemoryOperationsStore } from '../../packages/hq-gateway/src/adapters/memory/operations-store.js';
import { ReleasePacks } from '../../packages/hq-gateway/src/adapters/release/release-packs.js';
import { publishRelease } from '../../packages/hq-gateway/src/adapters/release/release-store.js';
import {
  ingestOtaProgress,
  type RolloutWireDeps,
  sendOffers,
} from '../../packages/hq-gateway/src/app/rollout-wire.js';
import { createRollout, operateRollout, readRollout } from '../../packages/hq-gateway/src/app/rollouts.js';
import type { RolloutState } from '../../packages/hq-gateway/src/domain/rollout/rollout.js';
import type { StationEvent } from '../../packages/hq-gateway/src/domain/types.js';
import { silentLog } from '../../packages/hq-gateway/src/ports/log.js';

export interface HqReleases {
  /** Creates and starts a one-station rollout of a published release; the offer goes out signed. */
  rollout(rolloutId: string, releaseVersion: string, stationId: string): Promise<void>;
  /** What HQ's rollout app knows (after every report ingested so far). */
  read(rolloutId: string): Promise<RolloutState | undefined>;
  /** Reports the rollout refused (their codes): none expected. */
  readonly refusals: string[];
}

export async function startHqReleases(
  t: Test,
  fakeHq: FakeHq,
  bundleDirs: readonly string[],
  releaseKeyPem: string,
): Promise<HqReleases> {
  const releasesDir = mkdtempSync(join(tmpdir(), 'hq-releases-'));
  t.teardown(() => rmSync(releasesDir, { recursive: true, force: true }));
  for (const bundleDir of bundleDirs)
    publishRelease({ bundleDir, trustedKeys: [releaseKeyPem], releasesDir, nowMs: Date.now() });
  const app = Fastify();
  // The route reads the store; the catalog (offers' fetch URL) needs the port, known after listen.
  registerReleasePackRoute(app, new ReleasePacks(releasesDir, 'http://127.0.0.1'));
  // The kiosk reaches the host's loopback: the namespace shares the host's network.
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const packs = new ReleasePacks(releasesDir, base);
  const deps: RolloutWireDeps = {
    store: new MemoryOperationsStore(),
    clock: { nowMs: () => Date.now() },
    catalog: packs,
    send: (stationId, command) => fakeHq.publishCommand(stationId, command),
    log: silentLog,
    offerValidityMs: 86_400_000,
  };
  const refusals: string[] = [];
  let ingested = Promise.resolve();
  fakeHq.onOtaProgress = (seen) => {
    ingested = ingested.then(async () => {
      const result = await ingestOtaProgress(deps, stationEventOf(seen));
      if (!result.ok) refusals.push(...result.reasons.map((reason) => reason.code));
    });
  };
  return {
    refusals,
    async rollout(rolloutId, releaseVersion, stationId) {
      const spec = {
        rolloutId,
        releaseVersion,
        stationIds: [stationId],
        groupSize: 1,
        successThresholdPercent: 100,
        errorThresholdPercent: 0,
        stationTimeoutMs: 3_600_000,
      };
      const created = await createRollout(deps, spec, 'li.wei', 'systemd e2e');
      if (!created.ok) throw new Error(`rollout refused: ${JSON.stringify(created.reasons)}`);
      const started = await operateRollout(deps, rolloutId, 'start', 'li.wei', '');
      const offered = await sendOffers(deps, started);
      if (offered.length !== 1) throw new Error(`offered to ${offered.join(',')}`);
    },
    async read(rolloutId) {
      await ingested;
      return readRollout(deps, rolloutId);
    },
  };
}

/** The stored event as the gateway's ingest hands an OTA_PROGRESS to the rollout. */
function stationEventOf(seen: OtaProgressSeen): StationEvent {
  return {
    eventId: seen.eventId,
    stationId: seen.stationId,
    seq: seen.seq,
    kind: 'OTA_PROGRESS',
    createdAtMs: Date.now(),
    businessDate: '',
    businessType: null,
    transactionId: null,
    amountFen: 0,
    feeFen: 0,
    quotaFenAfter: null,
    detail: seen.body,
    envelope: new Uint8Array(),
    envelopeSha256: '',
  };
}
