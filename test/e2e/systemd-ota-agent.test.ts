// Goal (issue 13): the agent's OWN over-the-air update works end to end under a real systemd, with
// the shipped units, the root helper and a release's own root half: HQ publishes a signed release and
// offers it to the station; the installed agent (user bianmin, ota.switchVia "unit") downloads it
// over HTTP Range, verifies and stages it, and writes the switch request itself; the path unit's root
// helper verifies again, switches, puts the NEW release's units in force (here a changed Environment=
// and MemoryMax) and restarts the agent; the new release's agent passes its trial (doctor checks,
// broker session, journal chain) and marks itself good; HQ's rollout sees the station healthy. Then a
// release whose own unit breaks it (no AF_INET: no broker session, so never READY and its trial fails
// at the health deadline) is rolled back by the agent itself: root puts the previous release AND its
// units back, HQ's rollout shows rolled-back with the reason, and a bill payment journaled before the
// updates is still stored once at HQ, acked, in an unbroken chain.
// Method: as test/e2e/systemd-ota-switch.test.ts (the machine's systemd as PID 1 of its own
// namespaces, the x64 bundle installed by its install.sh, the agent's world on the host), plus HQ's
// release side from hq-gateway's own code (test/helpers/real-systemd-hq.ts: publishRelease, the pack
// route on a real port, the rollout app, sendOffers, ingestOtaProgress). Nothing here writes the
// request or the links: only the agent and root do. Waits poll systemd's state, files and HQ's view
// against bounded deadlines; no sleeps, no timing assertions.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PayloadType, v1 } from '@bianmin/wire';
import t, { type Test } from 'tap';
import { ALWAYS_OPEN } from '../../packages/device-agent/test/agent/helpers.js';
import { hostProblems, hostState, RealSystemd, realSystemdUnavailable } from '../helpers/real-systemd.js';
import { type HqReleases, startHqReleases } from '../helpers/real-systemd-hq.js';
import {
  inside,
  type KioskWorld,
  kioskUnit,
  startKioskWorld,
  stationId,
} from '../helpers/real-systemd-kiosk.js';

const kiosk = '/opt/bianmin/kiosk';
const otaDir = '/var/lib/bianmin/ota';
const good = '0.2.0-linux-x64';
const broken = '0.3.0-linux-x64';
/** HQ's view is polled (its store has no change feed): bounded by rolloutWaitMsMax. */
const rolloutPollMs = 250;
const rolloutWaitMsMax = 240_000;
const mib = (count: number) => String(count * 1024 * 1024);
const shippedEnvironment = 'Environment=NODE_ENV=production TZ=Asia/Shanghai';

/**
 * A release whose own root half differs from the installed one: its kiosk unit (`changes`: [old
 * line, new line]) and its helper (a line naming the release, so the successor is told apart).
 */
function releaseEdit(
  version: string,
  changes: readonly (readonly [string, string])[],
): (copy: string) => void {
  return (copy) => {
    const path = join(copy, 'systemd', kioskUnit);
    let text = readFileSync(path, 'utf8');
    for (const [from, to] of changes) {
      if (!text.includes(from)) throw new Error(`the shipped unit has no line ${from}`);
      text = text.replace(from, to);
    }
    writeFileSync(path, text);
    appendFileSync(join(copy, 'bin/ota-switch.sh'), `# the root helper of ${version}\n`);
  };
}

const unavailable = realSystemdUnavailable();
if (unavailable !== null) {
  t.plan(0, `skipped: real systemd cannot run here: ${unavailable}`);
} else {
  // A failed setup fails the test (and tap's teardowns stop systemd and the world) instead of
  // ending the process with the namespace still running.
  await main().catch((error: unknown) => t.fail(`setup: ${String(error)}`));
}

async function main(): Promise<void> {
  const host = hostState();
  const startedMs = Date.now();
  const systemd = await RealSystemd.boot();
  t.teardown(() => systemd.stop()); // on a failure too; a no-op after the last subtest's stop
  const world = await startKioskWorld(
    t,
    systemd,
    [
      {
        slot: good,
        version: '0.2.0',
        edit: releaseEdit('0.2.0', [
          [shippedEnvironment, `${shippedEnvironment} BIANMIN_UNIT_OF=0.2.0`],
          ['MemoryMax=160M', 'MemoryMax=150M'],
        ]),
      },
      {
        slot: broken,
        version: '0.3.0',
        edit: releaseEdit('0.3.0', [
          [shippedEnvironment, `${shippedEnvironment} BIANMIN_UNIT_OF=0.3.0`],
          ['MemoryMax=160M', 'MemoryMax=140M'],
          // The release's unit forgets AF_INET: no broker session, never READY, its trial fails.
          [
            'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
            'RestrictAddressFamilies=AF_UNIX AF_NETLINK',
          ],
        ]),
      },
    ],
    {
      ota: {
        releasesRoot: kiosk,
        releaseKeyPath: '/etc/bianmin/release-keys/release-2026.pem',
        switchVia: 'unit',
        stateDir: otaDir,
        trialMs: 300_000,
        healthDeadlineMs: 15_000,
      },
    },
  );
  const hq = await startHqReleases(
    t,
    world.fakeHq,
    [join(systemd.share, good), join(systemd.share, broken)],
    world.releaseToken.publicKeyPem,
  );
  t.comment(`systemd booted, release built, installed and published, world up: ${Date.now() - startedMs} ms`);
  inside(systemd, 'systemctl', ['start', kioskUnit]);
  await activeOn(world, world.version);
  t.comment(`agent READY on ${world.version}: ${Date.now() - startedMs} ms`);

  let bill = { seq: 0, eventId: '' };
  await t.test('before the updates: a bill payment journaled and acked; the station closed', async (t) => {
    bill = await billPaymentBefore(world);
    t.ok(bill.seq > 0, `a bill payment journaled and acked (seq ${bill.seq})`);
    t.ok(
      await closeForMaintenance(world),
      'config v2 (maintenance all day) applied: the update lock is free',
    );
  });

  await t.test(
    'a good release: offered, staged and requested by the agent, switched by root, healthy',
    async (t) => {
      const switchedMs = Date.now();
      await hq.rollout('R-good', good, stationId);
      const state = await untilRollout(hq, 'R-good', (s) => s.progress === 'healthy');
      t.comment(`offer to healthy at HQ: ${Date.now() - switchedMs} ms`);
      t.match(state, { progress: 'healthy', reason: '' }, "HQ's rollout: the station is healthy");
      t.equal((await hq.read('R-good'))?.status, 'finished');
      t.same(stagesOf(world, good), ['DOWNLOADING', 'STAGED', 'HEALTHY'], 'signed progress, in order');
      t.equal(link(world, 'current'), `releases/${good}`);
      t.equal(link(world, 'previous'), `releases/${world.version}`);
      t.match(outcome(world), { id: `switch-${good}`, action: 'switch', ok: '1', current: good });
      t.equal(
        systemd.run('test', ['-e', `${otaDir}/staging/${good}`]).status,
        1,
        'the agent removed its staged copy',
      );
      t.match(JSON.parse(inside(systemd, 'cat', [`${otaDir}/state.json`])), {
        goodVersion: good,
        phase: { name: 'idle' },
      });
      const pid = await activeOn(world, good);
      await unitInForce(t, world, pid, { of: '0.2.0', memoryMaxBytes: mib(150) });
      t.match(
        systemd.journal('bianmin-ota-switch.service').join('\n'),
        new RegExp(`unit ${kioskUnit} from ${good}[\\s\\S]*helper from ${good}`),
        "root installed the release's unit and its successor helper",
      );
      t.match(
        helperInForce(world),
        /# the root helper of 0\.2\.0\n$/,
        "the helper in force is the new release's",
      );
    },
  );

  await t.test(
    'a release whose unit breaks it: its trial fails, the agent asks root back, the old unit returns',
    async (t) => {
      const rollbackRuns = systemd.show('bianmin-kiosk-rollback.service', ['ExecMainExitTimestampMonotonic']);
      await hq.rollout('R-broken', broken, stationId);
      // While the broken release runs (at least the 15 s health deadline), its own unit is in force.
      const brokenPid = await runningOn(world, broken);
      t.equal(systemd.show(kioskUnit, ['MemoryMax']).MemoryMax, mib(140), "the broken release's MemoryMax");
      t.match(environOf(world, brokenPid), /BIANMIN_UNIT_OF=0\.3\.0/);
      const state = await untilRollout(hq, 'R-broken', (s) => s.progress === 'rolled-back');
      t.match(
        state.reason,
        /^AGENT_OTA_HEALTH_FAILED: .*broker/,
        'HQ told why: the broker session never came up',
      );
      t.equal((await hq.read('R-broken'))?.status, 'stopped', 'the error threshold stopped the rollout');
      t.same(stagesOf(world, broken), ['DOWNLOADING', 'STAGED', 'ROLLED_BACK']);
      t.equal(link(world, 'current'), `releases/${good}`, 'back on the good release');
      t.equal(link(world, 'previous'), `releases/${broken}`);
      t.match(outcome(world), { id: `rollback-${good}`, action: 'rollback', ok: '1', current: good });
      const pid = await activeOn(world, good);
      await unitInForce(t, world, pid, { of: '0.2.0', memoryMaxBytes: mib(150) });
      t.match(
        systemd.show(kioskUnit, ['RestrictAddressFamilies']).RestrictAddressFamilies,
        /AF_INET/,
        'the good unit again',
      );
      t.match(helperInForce(world), /# the root helper of 0\.2\.0\n$/, "the good release's helper back");
      t.match(
        systemd.journal('bianmin-ota-switch.service').join('\n'),
        new RegExp(`helper from ${broken}[\\s\\S]*helper from ${good}\\n.*rolled back`),
        'the broken release brought its helper; the rollback brought the good one back',
      );
      t.same(
        systemd.show('bianmin-kiosk-rollback.service', ['ExecMainExitTimestampMonotonic']),
        rollbackRuns,
        "the agent's own rollback: OnFailure= never ran",
      );
      t.match(JSON.parse(inside(systemd, 'cat', [`${otaDir}/state.json`])), {
        goodVersion: good,
        phase: { name: 'idle' },
      });
    },
  );

  t.test('the journal: nothing lost across two switches and a rollback', async (t) => {
    const { fakeHq } = world;
    await fakeHq.until(() => fakeHq.contiguousSeq() === Math.max(...fakeHq.stored.keys()));
    const bills = [...fakeHq.stored.values()].filter((e) => e.type === PayloadType.PAYLOAD_TYPE_BILL_PAYMENT);
    t.same(
      bills.map((e) => e.eventId),
      [bill.eventId],
      'the bill payment made before the updates is stored once',
    );
    t.ok(fakeHq.contiguousSeq() >= bill.seq, 'and acked (contiguous through it)');
    t.match(fakeHq.chainReport(), { broken: [] }, 'every stored event links to the one before');
    t.equal(fakeHq.quarantined, 0, 'every message verified under the UK key');
    t.same(hq.refusals, [], 'HQ took every progress report');
  });

  t.test('stopped: SIGKILL of PID 1; the host is untouched', async (t) => {
    await systemd.stop();
    t.same(
      hostProblems(host),
      [],
      'PostgreSQL answers, /tmp kept its canary, no /run/systemd, /dev as before',
    );
  });
}

/** One bill payment through the installed release's `kiosk tx` (user bianmin), stored at HQ. */
async function billPaymentBefore(world: KioskWorld): Promise<{ seq: number; eventId: string }> {
  const { fakeHq } = world;
  const typeStored = (type: number) => [...fakeHq.stored.values()].find((e) => e.type === type);
  await fakeHq.until(() => typeStored(PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED) !== undefined);
  inside(world.systemd, 'runuser', [
    '-u',
    'bianmin',
    '--',
    `${kiosk}/current/bin/kiosk`,
    'tx',
    'bill',
    'WATER',
    'W1',
    'ACC-913',
    '2500',
    '--socket',
    '/run/bianmin/operator.sock',
    '--token-file',
    '/etc/bianmin/operator-token',
    '--json',
  ]);
  await fakeHq.until(() => {
    const stored = typeStored(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT);
    return stored !== undefined && fakeHq.contiguousSeq() >= stored.seq;
  });
  const stored = typeStored(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT);
  return { seq: stored?.seq ?? 0, eventId: stored?.eventId ?? '' };
}

/** Config v2: a maintenance window all day, so the update lock (R20) lets the switch happen now. */
async function closeForMaintenance(world: KioskWorld): Promise<boolean> {
  const { fakeHq } = world;
  const applied = () =>
    [...fakeHq.stored.values()].filter((e) => e.type === PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED).length;
  const before = applied();
  await fakeHq.publishConfig(
    stationId,
    world.hq.config(stationId, {
      configVersion: 2,
      serviceHours: { ...ALWAYS_OPEN, maintenanceWindows: [{ startMinute: 0, endMinute: 1440 }] },
    }),
  );
  await fakeHq.until(() => applied() > before);
  return applied() > before;
}

async function untilRollout(
  hq: HqReleases,
  rolloutId: string,
  done: (station: { progress: string; reason: string }) => boolean,
): Promise<{ progress: string; reason: string }> {
  const deadlineMs = Date.now() + rolloutWaitMsMax;
  for (;;) {
    const station = (await hq.read(rolloutId))?.stations.get(stationId);
    if (station !== undefined && done(station)) return station;
    if (Date.now() > deadlineMs)
      throw new Error(
        `rollout ${rolloutId}: station still ${JSON.stringify(station)} after ${rolloutWaitMsMax} ms`,
      );
    await delay(rolloutPollMs);
  }
}

/** The stages of `version`'s signed OtaProgress events HQ stored, in order. */
function stagesOf(world: KioskWorld, version: string): string[] {
  return world.fakeHq.otaProgress
    .filter((seen) => seen.body.releaseVersion === version)
    .map((seen) => String(v1.OtaStage[seen.body.stage]).replace('OTA_STAGE_', ''));
}

function link(world: KioskWorld, name: string): string {
  return inside(world.systemd, 'readlink', [`${kiosk}/${name}`]).trim();
}

function outcome(world: KioskWorld): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of inside(world.systemd, 'cat', [`${otaDir}/switch-outcome`]).split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

function helperInForce(world: KioskWorld): string {
  return inside(world.systemd, 'cat', ['/usr/lib/bianmin/ota-switch']);
}

function environOf(world: KioskWorld, pid: string): string {
  return inside(world.systemd, 'cat', [`/proc/${pid}/environ`]).replaceAll('\0', '\n');
}

/** The kiosk unit's Environment= and MemoryMax in systemd, the agent's environment and its cgroup. */
async function unitInForce(
  t: Test,
  world: KioskWorld,
  pid: string,
  expected: { of: string; memoryMaxBytes: string },
): Promise<void> {
  const { systemd } = world;
  t.equal(systemd.show(kioskUnit, ['MemoryMax']).MemoryMax, expected.memoryMaxBytes, 'MemoryMax of the unit');
  t.match(systemd.show(kioskUnit, ['Environment']).Environment, `BIANMIN_UNIT_OF=${expected.of}`);
  t.match(environOf(world, pid), new RegExp(`^BIANMIN_UNIT_OF=${expected.of.replaceAll('.', '\\.')}$`, 'm'));
  const limit = inside(systemd, 'cat', [
    `/sys/fs/cgroup/memory/system.slice/${kioskUnit}/memory.limit_in_bytes`,
  ]);
  t.equal(limit.trim(), expected.memoryMaxBytes, 'the kernel enforces it on the cgroup');
}

/** Waits until the kiosk unit is active (READY=1) with its main process the Node of `release`. */
async function activeOn(world: KioskWorld, release: string): Promise<string> {
  const fields = await world.systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'MainPID'],
    (fields) => fields.ActiveState === 'active' && exeOf(world, fields.MainPID) === nodeOf(release),
    `READY on ${release}`,
  );
  return String(fields.MainPID);
}

/** Waits until the kiosk unit's main process is the Node of `release` (READY or not). */
async function runningOn(world: KioskWorld, release: string): Promise<string> {
  const fields = await world.systemd.waitFor(
    kioskUnit,
    ['MainPID'],
    (fields) => exeOf(world, fields.MainPID) === nodeOf(release),
    `running on ${release}`,
  );
  return String(fields.MainPID);
}

function nodeOf(release: string): string {
  return `${kiosk}/releases/${release}/bin/node`;
}

function exeOf(world: KioskWorld, pid: string | undefined): string {
  return world.systemd.run('readlink', [`/proc/${pid}/exe`]).stdout.trim();
}
