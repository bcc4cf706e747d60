// Goal: the agent's OTA ports built from its config (src/ota-wiring.ts, issue 13) hang together:
// the pinned release key and slots under releasesRoot, the trial health check naming the doctor's
// peripherals, token and disk checks, the broker and journal-chain checks, the systemd restart, and the journal backup taken before a
// switch (SQLite VACUUM INTO on the real journal). Method: a real kiosk folder and a real KioskDb
// in a temp dir, fakes for the link, the service manager and spawn.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
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

  peripherals = false;
  t.same(await wiring.health.run(), {
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
