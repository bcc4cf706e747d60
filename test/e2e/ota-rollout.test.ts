// Goal: a rollout over a fleet of kiosks behaves end to end: a good release reaches every station
// group by group; a broken release (it fails its health check on the kiosk) makes the first
// group's kiosks roll back by themselves and report why, the rollout stops at its error threshold,
// and the later groups are never offered it and keep the good release. Method: HQ's rollout app
// (hq-gateway app/rollouts.ts) on the memory operations store with a fake clock, and six kiosks,
// each the real OTA runner with its state file and release slots on its own temp folder (real
// links and renames); HQ's offers and the kiosks' reports are handed over in process (the signed
// wire message is not part of this test: docs/ota-rollout.md), restarts are new runners booting.
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  bootUntilSettled,
  buildPack,
  type KioskWorld,
  kioskWorld,
  offerFor,
  releaseKey,
  runnerFor,
} from '../../packages/device-agent/test/ota/ota-fixture.js';
import { MemoryOperationsStore } from '../../packages/hq-gateway/src/adapters/memory/operations-store.js';
import {
  createRollout,
  operateRollout,
  type RolloutResult,
  readRollout,
  reportProgress,
  rolloutHistory,
} from '../../packages/hq-gateway/src/app/rollouts.js';
import { FakeClock } from '../../packages/hq-gateway/test/helpers/fake-clock.js';

const key = releaseKey();
const stationIds = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];

interface Fleet {
  readonly hq: { store: MemoryOperationsStore; clock: FakeClock };
  readonly kiosks: Map<string, KioskWorld>;
  readonly packs: Map<string, Uint8Array>;
}

function fleet(): Fleet {
  const hq = { store: new MemoryOperationsStore(), clock: new FakeClock() };
  const kiosks = new Map(stationIds.map((id) => [id, kioskWorld('1.3.0')]));
  return { hq, kiosks, packs: new Map() };
}

/** Offers the release to every station of each group HQ started, until nothing more starts. */
async function drive(f: Fleet, rolloutId: string, first: RolloutResult): Promise<void> {
  const pending = [first];
  while (pending.length > 0) {
    const result = pending.shift();
    if (result === undefined || !result.ok) throw new Error(`HQ refused: ${JSON.stringify(result)}`);
    for (const event of result.events) {
      if (event.type !== 'group-started') continue;
      const version = result.state.spec.releaseVersion;
      for (const stationId of result.state.groups[event.groupIndex] ?? []) {
        const world = f.kiosks.get(stationId);
        if (world === undefined) throw new Error(stationId);
        world.forward = async (report) => {
          pending.push(
            await reportProgress(f.hq, report.rolloutId, stationId, report.progress, report.reason),
          );
        };
        const runner = runnerFor(world, [key.publicKey]);
        await runner.offer(offerFor(world, version, f.packs.get(version) ?? new Uint8Array(), rolloutId));
        // systemd restarts the agent into the new slot; the new process judges its health.
        if (runner.restarted) await bootUntilSettled(world, [key.publicKey]);
      }
    }
  }
}

const current = (world: KioskWorld | undefined) => readlinkSync(join(world?.root ?? '', 'current'));

t.test(
  'a good release goes group by group to every kiosk; a broken one stops at the threshold',
  async (t) => {
    const f = fleet();
    f.packs.set('1.4.0', buildPack('1.4.0', key));
    f.packs.set('1.5.0', buildPack('1.5.0', key));
    const spec = (rolloutId: string, releaseVersion: string) => ({
      rolloutId,
      releaseVersion,
      stationIds,
      groupSize: 2,
      successThresholdPercent: 100,
      errorThresholdPercent: 50,
      stationTimeoutMs: 3_600_000,
    });

    await createRollout(f.hq, spec('R-good', '1.4.0'), 'li.wei', '十二月版本');
    await drive(f, 'R-good', await operateRollout(f.hq, 'R-good', 'start', 'li.wei', ''));
    const good = await readRollout(f.hq, 'R-good');
    t.equal(good?.status, 'finished', 'every group became healthy');
    t.same(
      [...(good?.stations.values() ?? [])].map((s) => s.progress),
      ['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy'],
    );
    t.ok(
      stationIds.every((id) => current(f.kiosks.get(id)) === join('releases', '1.4.0')),
      'all kiosks on 1.4.0',
    );

    // 1.5.0 installs and starts, but its health check fails on every kiosk (a broken release).
    for (const world of f.kiosks.values()) world.broken.add('1.5.0');
    await createRollout(f.hq, spec('R-broken', '1.5.0'), 'li.wei', '');
    await drive(f, 'R-broken', await operateRollout(f.hq, 'R-broken', 'start', 'li.wei', ''));
    const broken = await readRollout(f.hq, 'R-broken');
    t.equal(broken?.status, 'stopped', 'the error threshold stopped the rollout');
    t.same(
      [...(broken?.stations ?? [])].map(([id, s]) => [id, s.progress, s.reason]),
      [
        ['S1', 'rolled-back', 'doctor: broker session refused'],
        ['S2', 'rolled-back', 'doctor: broker session refused'],
        ['S3', 'pending', ''],
        ['S4', 'pending', ''],
        ['S5', 'pending', ''],
        ['S6', 'pending', ''],
      ],
      'the first group rolled back with its reason; later groups were never offered',
    );
    t.ok(
      stationIds.every((id) => current(f.kiosks.get(id)) === join('releases', '1.4.0')),
      'every kiosk runs 1.4.0',
    );
    t.ok(
      stationIds.every(
        (id) => f.kiosks.get(id)?.reports.every((r) => r.rolloutId !== 'R-broken') !== id < 'S3',
      ),
      'only S1 and S2 heard of 1.5.0',
    );
    const history = await rolloutHistory(f.hq, 'R-broken');
    t.same(
      history.map((r) => r.actor),
      [
        'li.wei',
        'li.wei',
        'station:S1',
        'station:S1',
        'station:S1',
        'station:S2',
        'station:S2',
        'station:S2',
      ],
      'every transition recorded with who',
    );
    const last = history.at(-1)?.payload.events as { type: string }[];
    t.same(
      last.map((e) => e.type),
      ['station', 'stopped'],
      "S2's roll-back report stopped it",
    );
  },
);
