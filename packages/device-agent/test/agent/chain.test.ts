// Goal: the journal's hash chain finds any change to the past, and the SQLite store refuses to
// start on a tampered journal. Method: chain rows in memory and verify; then write a real
// SQLite journal, change one byte of one row behind the store's back, and run the start-up check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { checkJournalIntegrity } from '../../src/adapters/sqlite/integrity.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { canonicalJson, chainRow, type JournalRow, verifyChain } from '../../src/domain/journal/chain.js';

function rows(count: number): JournalRow[] {
  const out: JournalRow[] = [];
  for (let index = 0; index < count; index += 1) {
    out.push(
      chainRow(out.at(-1) ?? null, {
        kind: 'bill.paid',
        txId: `tx-${index}`,
        createdAtMs: 1_000 + index,
        payloadJson: canonicalJson({ amountFen: 100 + index }),
        eventSeq: index + 1,
      }),
    );
  }
  return out;
}

t.test('an untouched chain verifies; every kind of change is found at the right row', async (t) => {
  const good = rows(5);
  t.match(verifyChain(good), { ok: true, rowCount: 5 });
  const changed = good.map((row, index) => (index === 2 ? { ...row, payloadJson: '{"amountFen":1}' } : row));
  t.match(verifyChain(changed), { ok: false, badIndex: 2, reason: 'hash_mismatch' });
  const removed = good.filter((_, index) => index !== 3);
  t.match(verifyChain(removed), { ok: false, badIndex: 3, reason: 'index_gap' });
  const rehashed = [...good];
  rehashed[1] = chainRow(good[0] ?? null, { ...good[1]!, payloadJson: '{"amountFen":9}' });
  t.match(verifyChain(rehashed), { ok: false, badIndex: 2, reason: 'prev_hash_mismatch' });
});

t.test('canonical JSON sorts keys, so equal content hashes equal', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
});

t.test('AGENT_JOURNAL_CHAIN_BROKEN: a tampered SQLite journal is detected at start-up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-chain-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kiosk.db');
  const db = new KioskDb({ path });
  for (let index = 0; index < 4; index += 1) {
    db.append({ kind: 'bill.paid', txId: `tx-${index}`, createdAtMs: index, payload: { amountFen: 500 } });
  }
  db.close();
  t.match(checkJournalIntegrity(path), { status: 'ok', rowCount: 4 });
  const raw = new Database(path);
  raw.prepare('UPDATE journal SET payload_json = \'{"amountFen":5}\' WHERE idx = 1').run();
  raw.close();
  t.match(checkJournalIntegrity(path), {
    status: 'corrupt',
    code: 'AGENT_JOURNAL_CHAIN_BROKEN',
    badIndex: 1,
  });
  t.match(checkJournalIntegrity(join(dir, 'none.db')), { status: 'missing' });
});

t.test('AGENT_OUTBOX_GAP and AGENT_JOURNAL_UNREADABLE', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-chain-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kiosk.db');
  const db = new KioskDb({ path });
  for (let seq = 1; seq <= 3; seq += 1) {
    db.append({
      kind: 'bill.paid',
      txId: `tx-${seq}`,
      createdAtMs: seq,
      payload: {},
      event: { seq, eventId: `e-${seq}`, payloadType: 'BILL_PAYMENT', envelopeBytes: new Uint8Array([seq]) },
    });
  }
  db.close();
  const raw = new Database(path);
  raw.prepare('DELETE FROM outbox WHERE seq = 2').run();
  raw.close();
  t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_OUTBOX_GAP' });
  const junk = join(dir, 'junk.db');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(junk, 'this is not a database at all, not even close'.repeat(100));
  t.match(checkJournalIntegrity(junk), { status: 'corrupt', code: 'AGENT_JOURNAL_UNREADABLE' });
});
