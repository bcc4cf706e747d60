// Goal (issue 9): `kiosk doctor` reports what the kiosk's hardware did to it: the journal store
// checked in full (SQLite integrity_check, the chain, outbox and counters against the journal),
// free space against the configured reserve, and the clock drift against HQ the agent last
// measured. Method: real SQLite files written through KioskDb (one damaged behind its back), the
// doctor check functions with injected free space and time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { checkClockDrift, checkDisk, checkJournal } from '../../src/cli/doctor/checks.js';
import { sqliteJournalCheck } from '../../src/cli/run.js';
import { encodeClockVerdict, META_CLOCK_OFFSET } from '../../src/domain/health/clock-skew.js';

const NOW_MS = Date.parse('2026-12-04T02:00:00Z');
const DAY_MS = 24 * 3600 * 1000;

function store(t: { teardown(fn: () => void): void }): { path: string; db: KioskDb } {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-doctor-hw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kiosk.db');
  const db = new KioskDb({ path });
  for (let seq = 1; seq <= 3; seq += 1) {
    db.append({
      kind: 'bill.paid',
      txId: `tx-${seq}`,
      createdAtMs: NOW_MS,
      payload: { amountFen: 100 },
      event: { seq, eventId: `e-${seq}`, payloadType: 'BILL', envelopeBytes: new Uint8Array(64).fill(seq) },
      metaUpdates: { 'receipt_counter:2026-12-04': String(seq) },
    });
  }
  return { path, db };
}

t.test('journal: PASS names integrity_check; a changed receipt counter FAILs with its code', async (t) => {
  const { path, db } = store(t);
  db.close();
  const pass = checkJournal(path, sqliteJournalCheck);
  t.equal(pass.status, 'PASS');
  t.match(pass.detail, /integrity_check ok, chain intact, outbox 3 row\(s\) and counters match the journal/);
  const raw = new Database(path);
  raw.prepare("UPDATE meta SET value = '1' WHERE key = 'receipt_counter:2026-12-04'").run();
  raw.close();
  const fail = checkJournal(path, sqliteJournalCheck);
  t.same([fail.status, fail.code], ['FAIL', 'AGENT_DOCTOR_JOURNAL_BROKEN']);
  t.match(
    fail.detail,
    /AGENT_STORE_META_MISMATCH: meta receipt_counter:2026-12-04 is "1", the journal says "3"/,
  );
});

t.test('disk: below the configured reserve FAILs whatever the fixed thresholds say', async (t) => {
  const mib = 1024 * 1024;
  const fail = checkDisk('/var/lib/bianmin/kiosk.db', () => 300 * mib, 512 * mib);
  t.same([fail.status, fail.code], ['FAIL', 'AGENT_DOCTOR_DISK_LOW']);
  t.match(fail.detail, /below the reserve of 512 MiB: the agent refuses new business \(AGENT_TX_DISK_LOW\)/);
  t.equal(checkDisk('/var/lib/bianmin/kiosk.db', () => 5000 * mib, 64 * mib).status, 'PASS');
});

t.test('AGENT_DOCTOR_CLOCK_SKEW: the last measured drift against HQ', async (t) => {
  const { path, db } = store(t);
  t.match(checkClockDrift(path, NOW_MS), { status: 'SKIP', detail: /not measured yet/ });
  const measured = (low: number, high: number, measuredAtMs = NOW_MS - 60_000) =>
    db.setMeta(
      META_CLOCK_OFFSET,
      encodeClockVerdict({
        kind: 'measured',
        offsetMsLow: low,
        offsetMsHigh: high,
        measuredAtMs,
        sampleCount: 4,
      }),
    );
  measured(DAY_MS - 500, DAY_MS + 500);
  const ahead = checkClockDrift(path, NOW_MS);
  t.same([ahead.status, ahead.code], ['FAIL', 'AGENT_DOCTOR_CLOCK_SKEW']);
  t.match(ahead.detail, /kiosk ahead of HQ by 86399\.5\.\.86400\.5 s/);
  t.match(ahead.hint, /timedatectl set-ntp true/);
  measured(-400, 900);
  t.match(checkClockDrift(path, NOW_MS), { status: 'PASS', detail: /within 0\.9 s of HQ/ });
  measured(DAY_MS - 500, DAY_MS + 500, NOW_MS + DAY_MS);
  t.match(
    checkClockDrift(path, NOW_MS),
    { status: 'WARN', code: 'AGENT_DOCTOR_CLOCK_SKEW', hint: /clock has changed since/ },
    'measured before the clock was set back: a warning, not a failure',
  );
  db.close();
  t.match(checkClockDrift(join(path, 'nope.db'), NOW_MS), { status: 'SKIP', detail: 'no journal' });
});
