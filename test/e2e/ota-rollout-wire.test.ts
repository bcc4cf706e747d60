// Goal: a rollout runs end to end over the signed wire (issue 13): HQ's gateway offers each started
// group the release as HQ-signed Commands on down/cmd; six kiosks verify the offers under HQ's key,
// judge them (downgrade, replay), install with the real OTA runner on real release folders, restart
// into the new slot and report every step as station-signed, journaled OtaProgress events on
// up/event, which HQ verifies, stores and feeds to the rollout. A good release reaches every group;
// a broken one (fails its health check) rolls back the first group's kiosks by themselves, they
// report why, the rollout stops at its error threshold and no later kiosk is offered it.
// Method: the whole HQ gateway in process over the in-process broker (hq-gateway's test fixture,
// temp SQLite store); each kiosk is a simulated station (its enrolled key signs, HQ's pinned key
// verifies) driving the agent's own OTA runner and offer check; a restart is a new runner booting
// on the same files. The separate agent processes over Mosquitto are not part of this test.
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { v1 } from '@bianmin/wire';
import t from 'tap';
import { otaProgressFields } from '../../packages/device-agent/src/app/ota-link.js';
import { offerRefusals } from '../../packages/device-agent/src/domain/ota/offer-check.js';
import {
  bootUntilSettled,
  buildPack,
  type KioskWorld,
  kioskWorld,
  releaseKey,
  runnerFor,
} from '../../packages/device-agent/test/ota/ota-fixture.js';
import { type ReleaseCatalog, sendOffers } from '../../packages/hq-gateway/src/app/rollout-wire.js';
import { createRollout, operateRollout, readRollout } from '../../packages/hq-gateway/src/app/rollouts.js';
import { startHqFixture } from '../../packages/hq-gateway/test/helpers/hq-memory-fixture.js';
import type { SimStation } from '../../packages/hq-gateway/test/helpers/station-sim.js';

const key = releaseKey();
const stationIds = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
const packs = new Map([
  ['1.4.0', buildPack('1.4.0', key)],
  ['1.5.0', buildPack('1.5.0', key)],
]);
const catalog: ReleaseCatalog = {
  describe: (version) => {
    const pack = packs.get(version);
    if (pack === undefined) return undefined;
    return { manifestSha256: createHash('sha256').update(pack).digest('hex'), packBytes: pack.length };
  },
  fetchUrl: (version) => `https://hq.example.cn/api/v1/releases/${version}/pack`,
};

interface Kiosk {
  readonly station: SimStation;
  readonly world: KioskWorld;
  lastOfferSeq: number;
  work: Promise<void>;
  readonly refusals: string[];
}

/** One kiosk: on a verified offer, judge it, install, restart and report, each report signed. */
function kiosk(station: SimStation): Kiosk {
  const world = kioskWorld('1.3.0');
  for (const [version, pack] of packs) world.packs.set(version, pack);
  const k: Kiosk = { station, world, lastOfferSeq: 0, work: Promise.resolve(), refusals: [] };
  const versions = new Map<string, string>();
  world.forward = async (report) => {
    const releaseVersion = versions.get(report.rolloutId) ?? '';
    const pack = packs.get(releaseVersion) ?? new Uint8Array();
    const sealed = station.seal(v1.PayloadType.PAYLOAD_TYPE_OTA_PROGRESS, {
      rolloutId: report.rolloutId,
      releaseVersion,
      receivedBytes: pack.length,
      totalBytes: pack.length,
      ...otaProgressFields(report.progress, report.reason),
      reportedAtMs: Date.now(),
    });
    await station.publish('event', sealed.bytes);
  };
  station.on('ota-offer', () => {
    const offer = station.otaOffers.at(-1)?.offer;
    if (offer === undefined) return;
    k.work = k.work.then(async () => {
      const runner = runnerFor(world, [key.publicKey]);
      const refused = offerRefusals(
        { releaseVersion: offer.releaseVersion ?? '', offerSeq: Number(offer.offerSeq) },
        {
          goodVersion: runner.state.goodVersion,
          lastOfferSeq: k.lastOfferSeq,
          busy: runner.state.phase.name !== 'idle',
        },
      );
      if (refused.length > 0) {
        k.refusals.push(...refused.map((r) => r.code));
        return;
      }
      k.lastOfferSeq = Number(offer.offerSeq);
      versions.set(offer.rolloutId ?? '', offer.releaseVersion ?? '');
      await runner.offer({
        rolloutId: offer.rolloutId ?? '',
        version: offer.releaseVersion ?? '',
        downloadBytes: Number(offer.packBytes),
      });
      // systemd restarts the agent into the new slot; the new process judges its health.
      if (runner.restarted) await bootUntilSettled(world, [key.publicKey]);
    });
  });
  return k;
}

/** Until neither HQ nor any kiosk has work left: offers, installs, reports, next groups. */
async function settle(flush: () => Promise<void>, kiosks: readonly Kiosk[]): Promise<void> {
  for (let round = 0; round < 50; round += 1) {
    const before = kiosks.map((k) => k.work);
    await Promise.all(before);
    await flush();
    // The in-process broker hands HQ's down messages over on the next turn (setImmediate).
    await new Promise((resolve) => setImmediate(resolve));
    if (kiosks.every((k, index) => k.work === before[index])) return;
  }
  throw new Error('the fleet did not settle');
}

const current = (k: Kiosk | undefined) => readlinkSync(join(k?.world.root ?? '', 'current'));

t.test('a good release reaches every group over the wire; a broken one rolls back and stops', async (t) => {
  const hq = await startHqFixture(stationIds, { releaseCatalog: catalog });
  t.teardown(() => hq.close());
  const kiosks = hq.stations.map(kiosk);
  const deps = hq.gateway.rollouts;
  const flush = () => hq.gateway.flush();
  const spec = (rolloutId: string, releaseVersion: string) => ({
    rolloutId,
    releaseVersion,
    stationIds,
    groupSize: 2,
    successThresholdPercent: 100,
    errorThresholdPercent: 50,
    stationTimeoutMs: 3_600_000,
  });

  t.ok((await createRollout(deps, spec('R-good', '1.4.0'), 'li.wei', '十二月版本')).ok);
  await sendOffers(deps, await operateRollout(deps, 'R-good', 'start', 'li.wei', ''));
  await settle(flush, kiosks);
  const good = await readRollout(deps, 'R-good');
  t.equal(good?.status, 'finished', 'every group became healthy through signed reports');
  t.ok(
    kiosks.every((k) => current(k) === join('releases', '1.4.0')),
    'all six kiosks run 1.4.0',
  );

  for (const k of kiosks) k.world.broken.add('1.5.0');
  t.ok((await createRollout(deps, spec('R-broken', '1.5.0'), 'li.wei', '')).ok);
  await sendOffers(deps, await operateRollout(deps, 'R-broken', 'start', 'li.wei', ''));
  await settle(flush, kiosks);
  const broken = await readRollout(deps, 'R-broken');
  t.equal(broken?.status, 'stopped', 'the error threshold stopped the rollout');
  t.same(
    [...(broken?.stations ?? [])].map(([id, s]) => [id, s.progress, s.reason]),
    [
      ['S1', 'rolled-back', 'AGENT_OTA_HEALTH_FAILED: doctor: broker session refused'],
      ['S2', 'rolled-back', 'AGENT_OTA_HEALTH_FAILED: doctor: broker session refused'],
      ['S3', 'pending', ''],
      ['S4', 'pending', ''],
      ['S5', 'pending', ''],
      ['S6', 'pending', ''],
    ],
    'S1 and S2 rolled back by themselves and said why; the later groups were never offered 1.5.0',
  );
  t.ok(
    kiosks.every((k) => current(k) === join('releases', '1.4.0')),
    'every kiosk runs 1.4.0',
  );
  t.same(
    kiosks.map((k) => k.station.otaOffers.length),
    [2, 2, 1, 1, 1, 1],
    'offers received: S1 and S2 twice, the rest once',
  );
  t.equal(hq.gateway.pipeline.counters.quarantined, 0, 'every report verified under its station key');

  // HQ re-sends an old offer under a new command: the kiosk refuses it as a replay and downgrade.
  const first = kiosks[0];
  const old = first?.station.otaOffers[0];
  if (first === undefined || old === undefined) throw new Error('no offer');
  first.station.otaOffers.push(old);
  first.station.emit('ota-offer', old.offer.rolloutId);
  await first.work;
  t.same(first.refusals, ['AGENT_OTA_OFFER_DOWNGRADE', 'AGENT_OTA_OFFER_REPLAYED']);
});
