// Goal (issue 13): the shipped deploy/systemd/bianmin-kiosk.service, laid out by the release's own
// install.sh, works under a real systemd: `systemd-analyze verify` is clean on the installed unit;
// the unit is active only after the agent's READY=1 (Type=notify: while the card reader does not
// answer it stays activating and says why in STATUS=); a SIGSTOPped agent stops its WATCHDOG=1
// pings and systemd kills and restarts it (Restart=on-failure); MemoryMax reaches the cgroup.
// Method: the machine's systemd as PID 1 of its own namespaces (test/helpers/real-systemd.ts: only
// a test target is booted, /run, /tmp and the unit path are private, /etc, /var, /opt, /usr are
// overlays), an x64 bundle from `npm run release`, the agent's world on the host
// (test/helpers/real-systemd-kiosk.ts). Every wait polls systemd's own state (`systemctl show`)
// against a bounded deadline. After the teardown the host is checked: PostgreSQL answers, /tmp
// kept its canary, no /run/systemd, /dev unchanged.
import t, { type Test } from 'tap';
import { hostProblems, hostState, RealSystemd, realSystemdUnavailable } from '../helpers/real-systemd.js';
import { inside, type KioskWorld, kioskUnit, startKioskWorld } from '../helpers/real-systemd-kiosk.js';

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
  t.comment(`systemd booted in the namespace: ${Date.now() - startedMs} ms`);
  const world = await startKioskWorld(t, systemd);
  t.comment(`release built and installed, world up: ${Date.now() - startedMs} ms`);

  t.test('only the test target and what it needs ran (nothing of the host)', async (t) => {
    const units = systemd.systemctl('list-units', '--all', '--plain', '--no-legend', '--state=active');
    const services = units.stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((unit) => unit.endsWith('.service') || unit.endsWith('.timer'));
    t.same(services.sort(), ['systemd-journald.service'], 'journald is the only service running');
    t.match(systemd.systemctl('is-enabled', 'bianmin-ota-switch.path').stdout, /enabled/);
    t.equal(
      systemd.show('bianmin-ota-switch.path', ['ActiveState']).ActiveState,
      'active',
      'install.sh started it',
    );
  });

  t.test('systemd-analyze verify on the installed units: exit 0, not one warning', async (t) => {
    for (const unit of [
      kioskUnit,
      'bianmin-ota-switch.path',
      'bianmin-ota-switch.service',
      'bianmin-kiosk-rollback.service',
    ]) {
      const run = systemd.run('systemd-analyze', ['verify', `/etc/systemd/system/${unit}`]);
      t.equal(run.stderr, '', `${unit}: no warning`);
      t.equal(run.status, 0, unit);
    }
  });

  await t.test('Type=notify: activating until READY=1, with STATUS= naming what it waits for', (t) =>
    readiness(t, world),
  );
  await t.test('watchdog: a SIGSTOPped agent is killed and restarted by systemd', (t) => watchdog(t, world));

  t.test(
    'MemoryMax reaches the kiosk cgroup (cgroup v1 memory controller: memory.limit_in_bytes)',
    async (t) => {
      const memoryMaxBytes = 160 * 1024 * 1024;
      t.equal(systemd.show(kioskUnit, ['MemoryMax']).MemoryMax, String(memoryMaxBytes));
      const limit = inside(systemd, 'cat', [
        `/sys/fs/cgroup/memory/system.slice/${kioskUnit}/memory.limit_in_bytes`,
      ]);
      t.equal(limit.trim(), String(memoryMaxBytes), 'the kernel enforces 160 MiB on the unit');
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

async function readiness(t: Test, world: KioskWorld): Promise<void> {
  const { systemd } = world;
  await world.cardReader.stop();
  systemd.systemctl('start', '--no-block', kioskUnit);
  const waiting = await systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'SubState', 'StatusText'],
    (fields) => (fields.StatusText ?? '').includes('读卡器'),
    'STATUS= says it waits for the peripherals',
  );
  t.match(waiting, { ActiveState: 'activating', SubState: 'start' }, 'not active without READY=1');
  t.match(waiting.StatusText, /^启动中, 等待: .*读卡器\/密码键盘/);
  await world.cardReader.start();
  const ready = await systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'SubState', 'StatusText', 'MainPID', 'NRestarts'],
    (fields) => fields.ActiveState === 'active',
    'active once the card reader answers',
  );
  t.match(ready, { SubState: 'running', NRestarts: '0' });
  t.match(ready.StatusText, /^运行中/, 'READY=1 came with the running status');
  const exe = inside(systemd, 'readlink', [`/proc/${ready.MainPID}/exe`]).trim();
  t.equal(
    exe,
    `/opt/bianmin/kiosk/releases/${world.version}/bin/node`,
    'the bundled Node of the installed release',
  );
  const user = inside(systemd, 'ps', ['-o', 'user=', '-p', String(ready.MainPID)]).trim();
  t.equal(user, 'bianmin', 'runs as the service user');
  await world.fakeHq.until(() => world.fakeHq.births >= 1);
  t.ok(world.fakeHq.births >= 1, 'the agent under systemd reached HQ (signed birth)');
  t.notMatch(
    systemd.journal(kioskUnit).join('\n'),
    /AGENT_CALENDAR_UNAVAILABLE/,
    "the release's own working-day calendar was found (R6 changes not refused)",
  );
}

async function watchdog(t: Test, world: KioskWorld): Promise<void> {
  const { systemd } = world;
  // 30 s in the shipped unit; 3 s here so the test takes seconds (the agent pings every half).
  systemd.writeFile(`/etc/systemd/system/${kioskUnit}.d/test-watchdog.conf`, '[Service]\nWatchdogSec=3s\n');
  inside(systemd, 'systemctl', ['daemon-reload']);
  inside(systemd, 'systemctl', ['restart', kioskUnit]);
  const before = await systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'MainPID', 'NRestarts', 'WatchdogUSec'],
    (fields) => fields.ActiveState === 'active',
    'active again with the short watchdog',
  );
  t.equal(before.WatchdogUSec, '3s');
  inside(systemd, 'kill', ['-STOP', String(before.MainPID)]);
  const after = await systemd.waitFor(
    kioskUnit,
    ['ActiveState', 'MainPID', 'NRestarts', 'Result'],
    (fields) => fields.NRestarts === String(Number(before.NRestarts) + 1) && fields.ActiveState === 'active',
    'restarted after the watchdog fired',
  );
  t.not(after.MainPID, before.MainPID, 'a new agent process');
  const journal = systemd.journal(kioskUnit).join('\n');
  t.match(journal, /Watchdog timeout \(limit 3s\)!/, 'systemd says why');
  t.match(journal, /Failed with result 'watchdog'/);
  t.match(journal, /Scheduled restart job, restart counter is at 1/);
}
