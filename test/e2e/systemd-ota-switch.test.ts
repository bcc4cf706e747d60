// Goal (issue 13): the kiosk's OTA switch works end to end under a real systemd, with the shipped
// units and root helper as install.sh lays them out: a request file written the way the agent
// writes it (as user bianmin: staged folder + temp file renamed to switch-request) fires
// bianmin-ota-switch.path, bianmin-ota-switch.service runs /usr/lib/bianmin/ota-switch as root,
// which verifies, switches the links and restarts bianmin-kiosk.service; the agent comes up READY on
// the new release. A release that cannot start (its launcher exits 1) makes the kiosk unit fail
// after its start limit; OnFailure= runs bianmin-kiosk-rollback.service once, which puts the
// previous release back, and the agent is READY on it again; no second rollback follows.
// Method: as test/e2e/systemd-kiosk-unit.test.ts (real systemd in its own namespaces, the x64
// bundle, the agent's world on the host); the new releases are re-signed copies of the bundle.
// Assertions are on the links, the outcome file, and systemd's own unit states and journal.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  hostProblems,
  hostState,
  nsShare,
  RealSystemd,
  realSystemdUnavailable,
} from '../helpers/real-systemd.js';
import { inside, type KioskWorld, kioskUnit, startKioskWorld } from '../helpers/real-systemd-kiosk.js';

const kiosk = '/opt/bianmin/kiosk';
const otaDir = '/var/lib/bianmin/ota';
const good = '0.2.0-linux-x64';
const broken = '0.3.0-linux-x64';
const unavailable = realSystemdUnavailable();
if (unavailable !== null) {
  t.plan(0, `skipped: real systemd cannot run here: ${unavailable}`);
} else {
  await main();
}

async function main(): Promise<void> {
  const host = hostState();
  const startedMs = Date.now();
  const systemd = await RealSystemd.boot();
  t.teardown(() => systemd.stop()); // on a failure too; a no-op after the last subtest's stop
  const world = await startKioskWorld(t, systemd, [
    { slot: good, version: '0.2.0', edit: () => {} },
    {
      slot: broken,
      version: '0.3.0',
      edit: (copy) =>
        writeFileSync(
          join(copy, 'bin/kiosk-agent'),
          '#!/bin/sh\necho "broken release: cannot start" >&2\nexit 1\n',
        ),
    },
  ]);
  t.comment(`systemd booted, release built and installed, world up: ${Date.now() - startedMs} ms`);
  // RestartSec=5s in the shipped unit: 10 failed starts take a minute before OnFailure=; 200 ms
  // here. The start limit itself (StartLimitBurst=10 in 600 s) is the shipped one.
  systemd.writeFile(`/etc/systemd/system/${kioskUnit}.d/test-restart.conf`, '[Service]\nRestartSec=200ms\n');
  inside(systemd, 'systemctl', ['daemon-reload']);
  inside(systemd, 'systemctl', ['start', kioskUnit]);
  const first = await activeOn(world, world.version);
  t.comment(`agent READY on ${world.version} (pid ${first}): ${Date.now() - startedMs} ms`);

  await t.test('switch: path unit → root helper → links → agent READY on the new release', async (t) => {
    const birthsBefore = world.fakeHq.births;
    const switchRuns = runsOf(world, 'bianmin-ota-switch.service');
    requestAsAgent(world, good);
    const service = await ranAgain(world, 'bianmin-ota-switch.service', switchRuns);
    t.match(service, { Result: 'success', ExecMainStatus: '0' }, 'root helper exit 0');
    t.equal(inside(systemd, 'readlink', [`${kiosk}/current`]).trim(), `releases/${good}`);
    t.equal(inside(systemd, 'readlink', [`${kiosk}/previous`]).trim(), `releases/${world.version}`);
    t.match(outcome(world), { action: 'switch', ok: '1', code: '', current: good, previous: world.version });
    t.equal(systemd.run('test', ['-e', `${otaDir}/switch-request`]).status, 1, 'request removed');
    await activeOn(world, good);
    await world.fakeHq.until(() => world.fakeHq.births > birthsBefore);
    t.ok(world.fakeHq.births > birthsBefore, 'the new release reported to HQ (signed birth)');
    t.equal(
      systemd.show('bianmin-ota-switch.path', ['ActiveState']).ActiveState,
      'active',
      'path unit waits again',
    );
  });

  await t.test(
    'a release that cannot start: OnFailure= rolls back once, READY on the previous',
    async (t) => {
      const rollbackRuns = runsOf(world, 'bianmin-kiosk-rollback.service');
      requestAsAgent(world, broken);
      const rollback = await ranAgain(world, 'bianmin-kiosk-rollback.service', rollbackRuns);
      t.match(rollback, { Result: 'success', ExecMainStatus: '0' });
      t.equal(
        inside(systemd, 'readlink', [`${kiosk}/current`]).trim(),
        `releases/${good}`,
        'back on the good one',
      );
      t.equal(inside(systemd, 'readlink', [`${kiosk}/previous`]).trim(), `releases/${broken}`);
      t.equal(inside(systemd, 'cat', [`${kiosk}/rolled-back-from`]).trim(), broken, 'the loop guard');
      t.match(outcome(world), {
        id: 'on-failure',
        action: 'rollback',
        ok: '1',
        current: good,
        previous: broken,
      });
      await activeOn(world, good);
      const kioskJournal = systemd.journal(kioskUnit).join('\n');
      t.match(kioskJournal, /broken release: cannot start/, 'the broken launcher ran');
      t.match(kioskJournal, /Start request repeated too quickly/, 'it failed at the shipped start limit');
      t.match(kioskJournal, /Triggering OnFailure= dependencies/);
      const rolledBack = systemd
        .journal('bianmin-kiosk-rollback.service')
        .filter((line) => line.startsWith('ota-switch: rolled back'));
      t.same(
        rolledBack,
        [`ota-switch: rolled back: current -> releases/${good} (from ${broken})`],
        'rolled back once',
      );
    },
  );

  t.test('stopped: SIGKILL of PID 1; the host is untouched', async (t) => {
    await systemd.stop();
    t.same(
      hostProblems(host),
      [],
      'PostgreSQL answers, /tmp kept its canary, no /run/systemd, /dev as before',
    );
  });
}

/** When the unit's main process last exited (monotonic µs, "0" before its first run). */
function runsOf(world: KioskWorld, unit: string): string {
  return String(world.systemd.show(unit, ['ExecMainExitTimestampMonotonic']).ExecMainExitTimestampMonotonic);
}

/** Waits until a oneshot unit has run again since `lastExit` and is no longer running. */
function ranAgain(world: KioskWorld, unit: string, lastExit: string): Promise<Record<string, string>> {
  return world.systemd.waitFor(
    unit,
    ['ActiveState', 'Result', 'ExecMainStatus', 'ExecMainExitTimestampMonotonic'],
    (fields) =>
      fields.ExecMainExitTimestampMonotonic !== lastExit &&
      (fields.ActiveState === 'inactive' || fields.ActiveState === 'failed'),
    `${unit} ran`,
  );
}

/** Stages `slot` and writes the request as the agent does: user bianmin, temp file + rename. */
function requestAsAgent(world: KioskWorld, slot: string): void {
  const staged = `${otaDir}/staging/${slot}`;
  const request = `id=switch-${slot}\naction=switch\nversion=${slot}\nstaged=${staged}\n`;
  inside(world.systemd, 'runuser', [
    '-u',
    'bianmin',
    '--',
    'sh',
    '-c',
    `set -e; umask 027; cp -R ${nsShare}/${slot} ${staged}; printf '${request.replaceAll('\n', '\\n')}' > ${otaDir}/.switch-request.tmp; mv ${otaDir}/.switch-request.tmp ${otaDir}/switch-request`,
  ]);
}

function outcome(world: KioskWorld): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of inside(world.systemd, 'cat', [`${otaDir}/switch-outcome`]).split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

/** Waits until the kiosk unit is active (READY=1) with its main process the Node of `release`. */
async function activeOn(world: KioskWorld, release: string): Promise<string> {
  const node = `${kiosk}/releases/${release}/bin/node`;
  const fields = await world.systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'MainPID'],
    (fields) =>
      fields.ActiveState === 'active' &&
      world.systemd.run('readlink', [`/proc/${fields.MainPID}/exe`]).stdout.trim() === node,
    `READY on ${release}`,
  );
  return String(fields.MainPID);
}
