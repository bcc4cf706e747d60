// Goal (issue 9): the technician's three hardware faults as `kiosk doctor` shows them on a real
// kiosk set-up, with the output docs/operations.md quotes: a full disk (the journal on a real
// tmpfs filled to the brim), a corrupted journal (an outbox envelope changed behind the store's
// back, then `kiosk repair`), and a wrong clock (the agent measured a day's drift against HQ).
// Method: test/cli/kiosk-setup.ts (SoftHSM2, simulators on PTYs, Mosquitto), provision, then
// doctor in-process; each text report is printed as test comments.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { encodeClockVerdict, META_CLOCK_OFFSET } from '../../src/domain/health/clock-skew.js';
import { mountSmallFs } from '../helpers/small-fs.js';
import { runCli, startKioskSetup } from './kiosk-setup.js';

const setup = await startKioskSetup();
t.teardown(() => setup.close());
const env = { BIANMIN_LOG_DIR: process.env.BIANMIN_LOG_DIR ?? join(setup.dir, 'log') };
const templatePath = setup.writeConfig(setup.config, join(setup.dir, 'etc', 'template.json'));
const configPath = join(setup.dir, 'etc', 'kiosk.json');
const provisioned = await runCli(
  [
    'provision',
    '--config',
    configPath,
    '--template',
    templatePath,
    '--station-id',
    'ST-0042',
    '--org-code',
    '3301000042',
    '--json',
  ],
  { env },
);
if (provisioned.code !== 0) throw new Error(provisioned.err);

function writeJournal(path: string): KioskDb {
  const db = new KioskDb({ path });
  for (let seq = 1; seq <= 3; seq += 1) {
    db.append({
      kind: 'bill.paid',
      txId: `bp-${seq}`,
      createdAtMs: Date.now(),
      payload: { amountFen: 5_000 },
      event: {
        seq,
        eventId: `event-${seq}`,
        payloadType: 'PAYLOAD_TYPE_BILL_PAYMENT',
        envelopeBytes: new Uint8Array(300).fill(seq),
      },
      metaUpdates: { 'receipt_counter:2026-12-04': String(seq) },
    });
  }
  return db;
}

async function doctor(t: import('tap').Test, config: string) {
  const run = await runCli(['doctor', '--config', config], { env });
  for (const line of run.out.trimEnd().split('\n')) t.comment(line);
  return run;
}

function configWith(journalPath: string, name: string): string {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { journal: { path: string } };
  config.journal.path = journalPath;
  return setup.writeConfig(config, join(setup.dir, 'etc', name));
}

t.test('full disk: the disk row FAILs below the reserve', async (t) => {
  const fs = mountSmallFs(8 * 1024 * 1024);
  t.teardown(() => fs.unmount());
  writeJournal(join(fs.dir, 'kiosk.db')).close();
  fs.fill();
  const run = await doctor(t, configWith(join(fs.dir, 'kiosk.db'), 'full-disk.json'));
  t.equal(run.code, 1);
  t.match(run.out, /disk\s+FAIL\s+AGENT_DOCTOR_DISK_LOW: .*: 0 MiB free, below the reserve of 64 MiB/);
  t.match(run.out, /journal\s+PASS/, 'the journal itself is intact');
});

t.test('corrupted journal: doctor names the damage, kiosk repair rebuilds, doctor passes', async (t) => {
  const dir = join(setup.dir, 'corrupt');
  mkdirSync(dir, { recursive: true });
  const journalPath = join(dir, 'kiosk.db');
  writeJournal(journalPath).close();
  const raw = new Database(journalPath);
  const envelope = raw.prepare('SELECT envelope FROM outbox WHERE seq = 2').pluck().get() as Buffer;
  envelope[10] = envelope[10]! ^ 0x04;
  raw.prepare('UPDATE outbox SET envelope = ? WHERE seq = 2').run(envelope);
  raw.close();
  const config = configWith(journalPath, 'corrupt.json');
  const before = await doctor(t, config);
  t.equal(before.code, 1);
  t.match(
    before.out,
    /journal\s+FAIL\s+AGENT_DOCTOR_JOURNAL_BROKEN: AGENT_STORE_OUTBOX_MISMATCH: outbox seq 2 differs/,
  );
  const repair = await runCli(['repair', '--config', config], { env });
  for (const line of repair.out.trimEnd().split('\n')) t.comment(line);
  t.equal(repair.code, 0, repair.err);
  const after = await doctor(t, config);
  t.match(after.out, /journal\s+PASS/);
});

t.test('wrong clock: the drift the agent measured against HQ FAILs doctor', async (t) => {
  const dir = join(setup.dir, 'clock');
  mkdirSync(dir, { recursive: true });
  const journalPath = join(dir, 'kiosk.db');
  const db = writeJournal(journalPath);
  const dayMs = 24 * 3600 * 1000;
  db.setMeta(
    META_CLOCK_OFFSET,
    encodeClockVerdict({
      kind: 'measured',
      offsetMsLow: dayMs - 412,
      offsetMsHigh: dayMs + 377,
      measuredAtMs: Date.now() - 120_000,
      sampleCount: 9,
    }),
  );
  db.close();
  const run = await doctor(t, configWith(journalPath, 'clock.json'));
  t.equal(run.code, 1);
  t.match(
    run.out,
    /clock drift\s+FAIL\s+AGENT_DOCTOR_CLOCK_SKEW: kiosk ahead of HQ by 86399\.6\.\.86400\.4 s/,
  );
});
