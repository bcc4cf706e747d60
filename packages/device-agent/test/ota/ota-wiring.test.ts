// Goal: the agent's OTA ports built from its config (src/ota-wiring.ts, issue 13) hang together:
// the pinned release key and slots under releasesRoot, the trial health check naming the doctor's
// peripherals, token and disk checks, the broker and journal-chain checks, the systemd restart, and the journal backup taken before a
// switch (SQLite VACUUM INTO on the real journal); with ota.switchVia "unit" the staging folder, a
// root switch request and no systemctl; the config key's values. Method: a real kiosk folder and a real KioskDb
// in a temp dir, fakes for the link, the service manager and spawn.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { checkPaths, type PathProbe, validateStructure } from '../../src/config/validate.js';
import { otaSwitchOutcomeBytesMax } from '../../src/limits.js';
import { otaWiringOf } from '../../src/ota-wiring.js';
import type { LinkState, PublisherPort } from '../../src/ports/publisher.js';

import { ManualClock } from '../agent/helpers.js';
import { kioskRoot, releaseKey } from './ota-fixture.js';
import { answering, testSigner } from './trial-fixture.js';

t.test('health, restart and the journal backup from the config', async (t) => {
  const { root } = kioskRoot('1.3.0');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const keyPath = join(root, 'release-key.pem');
  writeFileSync(keyPath, String(releaseKey().publicKey.export({ type: 'spki', format: 'pem' })));
  const dir = mkdtempSync(join(tmpdir(), 'ota-wiring-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = new KioskDb({ path: join(dir, 'kiosk.db') });
  t.teardown(() => db.close());
  let state: LinkState = { kind: 'idle' };
  const listeners: ((s: LinkState) => void)[] = [];
  const link = {
    state: () => state,
    onStateChange: (handler: (s: LinkState) => void) => listeners.push(handler),
  } as unknown as PublisherPort;
  const spawned: string[] = [];
  const notified: string[] = [];
  let peripherals = true;
  const clock = new ManualClock();
  const wiring = otaWiringOf({
    ota: { releasesRoot: root, releaseKeyPath: keyPath, healthDeadlineMs: 30_000 },
    clock,
    serviceManager: { notify: (a) => notified.push(...a), close: async () => undefined },
    journal: db,
    link: () => link,
    peripherals: async () => ({
      cardReader: peripherals ? answering('CR-1') : { link: 'backoff', errorCode: 'AGENT_SERIAL_TIMEOUT' },
      pinPad: answering('PP-1'),
    }),
    recordedSerials: { cardReader: 'CR-1', pinPad: 'PP-1' },
    diskFreeBytes: () => 1024 ** 3,
    diskReserveBytes: 64 * 1024 ** 2,
    signer: testSigner('ST-1'),
    stationId: 'ST-1',
    fetchUrlOf: () => undefined,
    spawnDetached: (command, args) => spawned.push(`${command} ${args.join(' ')}`),
  });
  t.equal(wiring.slots.current(), '1.3.0', 'slots under releasesRoot');
  t.equal(wiring.timings.trialMs, 600_000, 'default trial: 10 minutes');

  // The broker session comes up during the check: healthy.
  const first = wiring.health.run();
  await Promise.resolve();
  state = { kind: 'online', sinceMs: 0, bdSeq: 1 };
  for (const listener of listeners) listener(state);
  t.same(await first, { ok: true, reason: '' });

  // A device that never answers is asked every second; its last answer, naming it, comes before
  // the deadline (30 s: 28 attempts).
  peripherals = false;
  let silent: { ok: boolean; reason: string } | undefined;
  void wiring.health.run().then((verdict) => {
    silent = verdict;
  });
  for (let second = 0; silent === undefined; second += 1) {
    if (second > 60) throw new Error('the peripherals check never ended');
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1000);
  }
  t.same(silent, {
    ok: false,
    reason: 'peripherals: card reader does not answer (AGENT_SERIAL_TIMEOUT)',
  });
  peripherals = true;
  state = { kind: 'idle' };
  const waiting = listeners.length;
  const late = wiring.health.run();
  // Until the broker check (after the peripherals, token and disk checks) listens for the session.
  for (let turn = 0; listeners.length === waiting; turn += 1) {
    if (turn > 1000) throw new Error('the broker check never started');
    await new Promise((resolve) => setImmediate(resolve));
  }
  clock.advance(30_000);
  t.same(await late, { ok: false, reason: 'broker: no answer within 30000 ms' });

  wiring.restarter.restart();
  t.same(spawned, ['systemctl restart --no-block bianmin-kiosk.service']);
  t.ok(notified.includes('STOPPING=1'));

  const backup = join(dir, 'backup.db');
  db.backupTo(backup);
  t.ok(existsSync(backup), 'VACUUM INTO wrote the backup');
  const copy = new KioskDb({ path: backup });
  t.equal(copy.verify().ok, true, 'the backup is a journal whose chain verifies');
  copy.close();
});

t.test(
  'switchVia "unit": staging and state under stateDir, no systemctl, a root switch request',
  async (t) => {
    const { root, journalPath } = kioskRoot('1.3.0');
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const keyPath = join(root, 'release-key.pem');
    writeFileSync(keyPath, String(releaseKey().publicKey.export({ type: 'spki', format: 'pem' })));
    const stateDir = mkdtempSync(join(tmpdir(), 'ota-state-'));
    t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
    const spawned: string[] = [];
    const notified: string[] = [];
    const wiring = otaWiringOf({
      ota: { releasesRoot: root, releaseKeyPath: keyPath, switchVia: 'unit', stateDir },
      clock: new ManualClock(),
      serviceManager: { notify: (a) => notified.push(...a), close: async () => undefined },
      journal: {
        verify: () => ({ ok: true }),
        backupTo: (to) => writeFileSync(to, readFileSync(journalPath)),
      },
      link: () => undefined,
      peripherals: () => undefined,
      recordedSerials: { cardReader: 'CR-1', pinPad: 'PP-1' },
      diskFreeBytes: () => 1024 ** 3,
      diskReserveBytes: 64 * 1024 ** 2,
      signer: testSigner('ST-1'),
      stationId: 'ST-1',
      fetchUrlOf: () => undefined,
      spawnDetached: (command, args) => spawned.push(`${command} ${args.join(' ')}`),
    });
    t.equal(wiring.slots.current(), '1.3.0', 'current read from releasesRoot');
    t.ok(wiring.switchOutcomes, 'the runner reads root outcomes');
    t.ok(existsSync(join(stateDir, 'staging')), 'slots are staged under stateDir');
    t.notOk(existsSync(join(root, 'ota')), 'nothing written under releasesRoot');
    wiring.restarter.restart();
    t.same(spawned, [], 'the agent never runs systemctl under the unit');
    t.match(notified, ['STATUS=waiting for the root OTA switch (bianmin-ota-switch.service)']);
    mkdirSync(join(stateDir, 'staging', '1.4.0'));
    wiring.slots.switchTo('1.4.0');
    t.match(readFileSync(join(stateDir, 'switch-request'), 'utf8'), /^id=switch-1\.4\.0\naction=switch\n/);
    t.equal(readdirSync(join(stateDir, 'journal-backups')).length, 1, 'the journal backed up first');
    t.equal(readlinkSync(join(root, 'current')), join('releases', '1.3.0'), 'current untouched');
    t.throws(
      () => wiring.slots.switchTo('9.9.9'),
      { code: 'AGENT_OTA_SLOT_INVALID' },
      'neither staged nor previous',
    );
    // The outcome root writes (deploy/kiosk/ota-switch.sh), as the next start reads it.
    const outcomes = wiring.switchOutcomes;
    if (outcomes === undefined) throw new Error('assert: switchOutcomes under the unit');
    const outcomePath = join(stateDir, 'switch-outcome');
    t.same(outcomes.verdict('1.3.0'), { kind: 'done' }, 'current names it');
    t.same(outcomes.verdict('1.4.0'), { kind: 'waiting' }, 'no outcome yet');
    writeFileSync(
      outcomePath,
      'id=switch-1.4.0\nok=0\ncode=RELEASE_OTA_SWITCH_PATH_ESCAPE\ndetail=outside\n',
    );
    t.same(outcomes.verdict('1.4.0'), {
      kind: 'refused',
      code: 'RELEASE_OTA_SWITCH_PATH_ESCAPE',
      detail: 'outside',
    });
    t.same(outcomes.verdict('1.5.0'), { kind: 'waiting' }, 'an outcome for another request');
    writeFileSync(outcomePath, 'id=switch-1.4.0\nok=1\ncode=\n');
    t.match(
      outcomes.verdict('1.4.0'),
      { kind: 'refused', code: 'AGENT_OTA_SWITCH_OUTCOME_INVALID' },
      'ok, not current',
    );
    writeFileSync(outcomePath, `id=switch-1.4.0\n${'x'.repeat(otaSwitchOutcomeBytesMax)}`);
    t.match(
      outcomes.verdict('1.4.0'),
      { kind: 'refused', code: 'AGENT_OTA_SWITCH_OUTCOME_INVALID' },
      'too large',
    );
  },
);

t.test('config: ota.switchVia is "direct" or "unit" (AGENT_CONFIG_BAD_VALUE otherwise)', async (t) => {
  const base = {
    station: { id: 'ST-0001', orgCode: '3301000001' },
    serial: { cardReader: { path: '/dev/null' }, pinPad: { path: '/dev/null' } },
    token: { modulePath: '/lib/p11.so', serial: 'abc', keyLabel: 'k', userPin: { env: 'PIN' } },
    journal: { path: '/var/lib/k/kiosk.db' },
    operatorApi: { socketPath: '/run/k/op.sock' },
    hq: { configPublicKeyPath: '/etc/k/hq.pem' },
    mqtt: { url: 'mqtt://a:1883' },
    log: { dir: '/var/log/k' },
  };
  const problems = (ota: Record<string, unknown>) =>
    validateStructure({
      ...base,
      ota: { releasesRoot: '/opt/bianmin/kiosk', releaseKeyPath: '/etc/k/r.pem', ...ota },
    }).problems.map((p) => `${p.code} ${p.key}`);
  t.same(problems({}), [], 'absent: direct');
  t.same(problems({ switchVia: 'unit', stateDir: '/var/lib/bianmin/ota' }), []);
  t.same(problems({ switchVia: 'direct' }), []);
  t.same(problems({ switchVia: 'root' }), ['AGENT_CONFIG_BAD_VALUE ota.switchVia']);
  t.same(problems({ switchVia: 1 }), ['AGENT_CONFIG_BAD_TYPE ota.switchVia']);
  // Under the unit root switches: releasesRoot only has to be readable (it is root's, read-only).
  const roleOf = (ota: Record<string, unknown>) =>
    validateStructure({
      ...base,
      ota: { releasesRoot: '/opt/bianmin/kiosk', releaseKeyPath: '/etc/k/r.pem', ...ota },
    }).paths.find((path) => path.key === 'ota.releasesRoot')?.role;
  t.equal(roleOf({}), 'writable-dir', 'direct: the agent writes the slots');
  t.equal(roleOf({ switchVia: 'unit' }), 'readable-dir');
  const readOnly: PathProbe = { kind: () => 'dir', readable: () => true, writable: () => false };
  const check = (role: 'readable-dir' | 'writable-dir', probe: PathProbe) =>
    checkPaths([{ key: 'ota.releasesRoot', path: '/opt/bianmin/kiosk', role }], probe).map((p) => p.code);
  t.same(check('readable-dir', readOnly), [], 'a read-only /opt is fine under the unit');
  t.same(check('writable-dir', readOnly), ['AGENT_CONFIG_PATH_UNREACHABLE'], 'but not for the direct switch');
  t.same(
    check('readable-dir', { kind: () => null, readable: () => false, writable: () => false }),
    ['AGENT_CONFIG_PATH_MISSING'],
    'missing',
  );
});
