// Goal: the kiosk installs a signed release into its inactive slot, switches `current` only when
// the update lock allows, keeps the release that passes its health check and rolls back by itself
// from one that fails, refuses a tampered or foreign-signed pack with a stable code, and after a
// kill at EVERY step boots a working release without touching the journal. Method: the real OTA
// runner, state file and release slots on a temp folder (real symlinks, renames, fsync); fakes for
// the download source, lock, health check, restart and HQ report (test/ota/ota-fixture.ts). A kill
// is an exception thrown from the runner's effect hook before or after each effect, then a new
// runner boots from the files as a restarted process would.
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FsReleaseSlots } from '../../src/adapters/ota/release-slots.js';
import { isAgentError } from '../../src/errors.js';

function codeOf(work: () => unknown): string {
  try {
    work();
    return 'no error';
  } catch (error) {
    return isAgentError(error) ? error.code : String(error);
  }
}

import {
  bootUntilSettled,
  buildPack,
  journalBytes,
  Killed,
  kioskWorld,
  offerFor,
  releaseKey,
  runnerFor,
} from './ota-fixture.js';

const key = releaseKey();
const otherKey = releaseKey();
const keys = [key.publicKey];
const journalBefore = 'journal: 1042 events, chain head 9f2c…\n';

t.test('happy path: download in chunks, verify, unpack, switch, restart, healthy', async (t) => {
  const world = kioskWorld('1.3.0');
  const runner = runnerFor(world, keys);
  await runner.offer(offerFor(world, '1.4.0', buildPack('1.4.0', key)));
  t.ok(runner.restarted, 'the switch ends with a restart through systemd');
  t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.4.0'));
  t.equal(readlinkSync(join(world.root, 'previous')), join('releases', '1.3.0'));
  t.ok(world.fetches.length > 3, `downloaded in ${world.fetches.length} chunks`);
  const after = await bootUntilSettled(world, keys);
  t.same(after.state, { goodVersion: '1.4.0', phase: { name: 'idle' } }, 'marked good, the report taken');
  t.same(
    world.reports.map((r) => r.progress),
    ['downloading', 'installed', 'healthy'],
  );
  t.equal(
    readFileSync(join(world.root, 'releases', '1.4.0', 'bin', 'kiosk'), 'utf8'),
    '#!/bin/sh\necho kiosk 1.4.0\n',
  );
  t.equal(statSync(join(world.root, 'releases', '1.4.0', 'bin', 'kiosk')).mode & 0o777, 0o755);
  t.equal(journalBytes(world), journalBefore, 'the journal is never touched by an install');
  t.ok(existsSync(join(world.root, 'ota', 'journal-backups')), 'a backup folder exists');
});

t.test('a release that fails its health check rolls back and reports why', async (t) => {
  const world = kioskWorld('1.3.0');
  world.broken.add('1.4.0');
  await runnerFor(world, keys).offer(offerFor(world, '1.4.0', buildPack('1.4.0', key)));
  const after = await bootUntilSettled(world, keys);
  t.same(after.state, { goodVersion: '1.3.0', phase: { name: 'idle' } });
  t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.3.0'), 'back on the previous slot');
  t.same(world.reports.at(-1), {
    rolloutId: 'R1',
    progress: 'rolled-back',
    reason: 'doctor: broker session refused',
  });
  t.equal(world.restarts, 2, 'one restart into the new release, one back');
  t.equal(journalBytes(world), journalBefore, 'a rollback loses no journaled event');
});

t.test('refusals: tampered, foreign key, wrong version, malformed, unsafe path, link down', async (t) => {
  const cases = [
    {
      name: 'tampered payload',
      pack: () => buildPack('1.4.0', key, { tamper: true }),
      code: 'AGENT_OTA_HASH_MISMATCH',
    },
    {
      name: 'signed by another key',
      pack: () => buildPack('1.4.0', otherKey),
      code: 'AGENT_OTA_SIGNATURE_INVALID',
    },
    {
      name: 'manifest of another version',
      pack: () => buildPack('1.4.0', key, { manifestVersion: '9.9.9' }),
      code: 'AGENT_OTA_VERSION_MISMATCH',
    },
    {
      name: 'not a pack',
      pack: () => new Uint8Array(Buffer.from('{"version":"1.4.0"} junk junk')),
      code: 'AGENT_OTA_PACK_INVALID',
    },
    {
      name: 'a path out of the slot',
      pack: () => buildPack('1.4.0', key, { files: { '../../etc/cron.d/x': 'evil' } }),
      code: 'AGENT_OTA_PACK_INVALID',
    },
  ];
  for (const c of cases) {
    const world = kioskWorld('1.3.0');
    const runner = runnerFor(world, keys);
    await runner.offer(offerFor(world, '1.4.0', c.pack()));
    t.same(runner.state, { goodVersion: '1.3.0', phase: { name: 'idle' } }, `${c.name}: back to idle`);
    t.same(
      world.reports.at(-1),
      { rolloutId: 'R1', progress: 'failed', reason: c.code },
      `${c.name}: ${c.code}`,
    );
    t.equal(
      readlinkSync(join(world.root, 'current')),
      join('releases', '1.3.0'),
      `${c.name}: current untouched`,
    );
    t.notOk(existsSync(join(world.root, 'releases', '1.4.0')), `${c.name}: no slot left`);
    t.notOk(existsSync(join(world.root, 'ota', 'downloads', '1.4.0.pack')), `${c.name}: download discarded`);
    t.equal(world.restarts, 0);
  }
  const world = kioskWorld('1.3.0');
  world.failFetch = true;
  const runner = runnerFor(world, keys);
  await runner.offer(offerFor(world, '1.4.0', buildPack('1.4.0', key)));
  t.same(world.reports.at(-1)?.reason, 'AGENT_OTA_DOWNLOAD_FAILED');
});

t.test(
  'the update lock: no switch while the station is open or a transaction is in flight (R20)',
  async (t) => {
    const world = kioskWorld('1.3.0');
    world.lockReasons = ['station-open', 'transaction-in-flight'];
    const runner = runnerFor(world, keys);
    await runner.offer(offerFor(world, '1.4.0', buildPack('1.4.0', key)));
    t.equal(runner.state.phase.name, 'staged');
    t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.3.0'), 'still the old release');
    await runner.tick();
    t.equal(runner.state.phase.name, 'staged', 'held on the next tick too');
    world.lockReasons = [];
    await runner.tick();
    t.ok(runner.restarted, 'switched once the lock is free');
    t.equal(runner.state.phase.name, 'trial');
  },
);

t.test('a trial past its deadline rolls back, even when the check would pass', async (t) => {
  const world = kioskWorld('1.3.0');
  const runner = runnerFor(world, keys);
  await runner.offer(offerFor(world, '1.4.0', buildPack('1.4.0', key)));
  world.nowMs += 600_000;
  const after = await bootUntilSettled(world, keys);
  t.equal(after.state.goodVersion, '1.3.0');
  t.same(world.reports.at(-1)?.progress, 'rolled-back');
  t.match(world.reports.at(-1)?.reason ?? '', /deadline/);
});

t.test('resume: a download killed half-way continues from the bytes already stored', async (t) => {
  const world = kioskWorld('1.3.0');
  const pack = buildPack('1.4.0', key);
  world.killAt = 6; // hooks 0-1: the report; 2-5: two downloads; 6: before the third
  const killed = await runnerFor(world, keys)
    .offer(offerFor(world, '1.4.0', pack))
    .then(
      () => false,
      (error: unknown) => error instanceof Killed,
    );
  t.ok(killed, 'killed during the download');
  world.killAt = undefined;
  const firstAfterBoot = world.fetches.length;
  await bootUntilSettled(world, keys);
  t.equal(
    world.fetches[firstAfterBoot],
    2 * world.chunkBytes,
    'the first fetch after the kill starts at byte 128',
  );
  t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.4.0'));
});

for (const broken of [false, true]) {
  t.test(`a kill at every step, then a restart (${broken ? 'broken' : 'good'} release)`, async (t) => {
    const pack = buildPack('1.4.0', key);
    const probe = kioskWorld('1.3.0');
    if (broken) probe.broken.add('1.4.0');
    await runnerFor(probe, keys).offer(offerFor(probe, '1.4.0', pack));
    await bootUntilSettled(probe, keys);
    const hooks = probe.hookCalls;
    t.ok(hooks > 20, `${hooks} kill points`);
    const expected = broken ? '1.3.0' : '1.4.0';
    const wrong: string[] = [];
    for (let killAt = 0; killAt < hooks; killAt += 1) {
      const world = kioskWorld('1.3.0');
      if (broken) world.broken.add('1.4.0');
      world.killAt = killAt;
      try {
        const first = runnerFor(world, keys);
        await first.offer(offerFor(world, '1.4.0', pack));
        if (first.restarted) await bootUntilSettled(world, keys);
      } catch (error) {
        if (!(error instanceof Killed)) throw error;
      }
      world.killAt = undefined;
      const settled = await bootUntilSettled(world, keys);
      const current = readlinkSync(join(world.root, 'current'));
      const ok =
        settled.state.phase.name === 'idle' &&
        settled.state.goodVersion === expected &&
        current === join('releases', expected) &&
        journalBytes(world) === journalBefore &&
        world.reports.at(-1)?.progress === (broken ? 'rolled-back' : 'healthy');
      if (!ok) wrong.push(`kill at ${killAt}: ${JSON.stringify(settled.state)} current=${current}`);
    }
    t.same(wrong, [], `every kill point ends on ${expected} with the journal untouched`);
  });
}

t.test('stable codes for a bad state file and a missing slot', async (t) => {
  const world = kioskWorld('1.3.0');
  runnerFor(world, keys);
  writeFileSync(join(world.root, 'ota', 'state.json'), '{"goodVersion": 7');
  t.equal(
    codeOf(() => runnerFor(world, keys)),
    'AGENT_OTA_STATE_INVALID',
  );
  writeFileSync(join(world.root, 'ota', 'state.json'), '{"goodVersion":"1.3.0","phase":{"name":"flying"}}');
  t.equal(
    codeOf(() => runnerFor(world, keys)),
    'AGENT_OTA_STATE_INVALID',
  );
  const slots = new FsReleaseSlots({
    root: world.root,
    releaseKeys: keys,
    backupJournal: () => {},
    nowMs: () => 0,
  });
  t.equal(
    codeOf(() => slots.switchTo('2.0.0')),
    'AGENT_OTA_SLOT_INVALID',
  );
  t.equal(
    codeOf(() => slots.switchTo('../etc')),
    'AGENT_OTA_SLOT_INVALID',
  );
  t.equal(slots.current(), '1.3.0', 'current untouched');
});
