// Goal: a damaged kiosk store is found at start-up and in `kiosk doctor`, never trusted: an
// outbox envelope, a receipt counter, the last-envelope hash, an index, the ack mark, the link's
// bdSeq. Method: write a real SQLite store through KioskDb, damage one thing behind its back
// (SQL for row content, raw file bytes for an index page), and run the store check; then show
// `kiosk repair` rebuilds what is a copy of the journal and refuses when the journal is damaged.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { checkJournalIntegrity, checkStoreFull } from '../../src/adapters/sqlite/integrity.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { repairStore } from '../../src/adapters/sqlite/repair.js';
import { repairCommand } from '../../src/cli/commands/repair.js';

function freshStore(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'kiosk.db');
}

/** Six rows: five bill payments with events and receipt counters, one local row; seq 1..2 acked. */
function writeStore(path: string): void {
  const db = new KioskDb({ path });
  for (let seq = 1; seq <= 5; seq += 1) {
    db.append({
      kind: 'bill.paid',
      txId: `tx-${seq}`,
      createdAtMs: 1_000 + seq,
      payload: { amountFen: 100 * seq, receiptNumber: `R-${seq}` },
      event: {
        seq,
        eventId: `event-${seq}`,
        payloadType: 'PAYLOAD_TYPE_BILL_PAYMENT',
        envelopeBytes: new Uint8Array(Buffer.from(`signed-envelope-${seq}-`.repeat(8))),
      },
      metaUpdates: { 'receipt_counter:2026-12-04': String(seq) },
    });
  }
  db.append({ kind: 'note', txId: 'local', createdAtMs: 2_000, payload: { text: 'local only' } });
  db.setMeta('bd_seq', '7');
  db.acknowledgeThrough(2);
  db.close();
}

function sql(path: string, statement: string, ...args: unknown[]): void {
  const raw = new Database(path);
  raw.prepare(statement).run(...args);
  raw.close();
}

t.test('an untouched store passes the start-up check and the full check', async (t) => {
  const path = freshStore(t);
  writeStore(path);
  t.match(checkJournalIntegrity(path), { status: 'ok', rowCount: 6, outboxDepth: 3, lastEventSeq: 5 });
  t.match(checkStoreFull(path), { status: 'ok' });
});

t.test('AGENT_STORE_OUTBOX_MISMATCH: a flipped byte in an outbox envelope is found', async (t) => {
  const path = freshStore(t);
  writeStore(path);
  const raw = new Database(path);
  const envelope = raw.prepare('SELECT envelope FROM outbox WHERE seq = 4').pluck().get() as Buffer;
  envelope[5] = envelope[5]! ^ 0x01;
  raw.prepare('UPDATE outbox SET envelope = ? WHERE seq = 4').run(envelope);
  raw.close();
  t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_STORE_OUTBOX_MISMATCH' });
});

t.test(
  'AGENT_STORE_OUTBOX_MISMATCH: a changed event id or payload type in the outbox is found',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    sql(path, "UPDATE outbox SET event_id = 'event-x' WHERE seq = 3");
    t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_STORE_OUTBOX_MISMATCH' });
  },
);

t.test(
  'AGENT_STORE_META_MISMATCH: a changed receipt counter is found (it would repeat a receipt number)',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    sql(path, "UPDATE meta SET value = '4' WHERE key = 'receipt_counter:2026-12-04'");
    t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_STORE_META_MISMATCH' });
  },
);

t.test(
  'AGENT_STORE_META_MISMATCH: a changed last-envelope hash is found (the next chain link would break)',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    sql(path, "UPDATE meta SET value = ? WHERE key = 'last_event_envelope_sha256'", 'ab'.repeat(32));
    t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_STORE_META_MISMATCH' });
  },
);

t.test('AGENT_STORE_META_MISMATCH: a changed last event seq, ack mark or bdSeq is found', async (t) => {
  for (const [key, value] of [
    ['last_event_seq', '4'],
    ['acked_through_seq', '3'],
    ['bd_seq', '6'],
  ] as const) {
    const path = freshStore(t);
    writeStore(path);
    sql(path, 'UPDATE meta SET value = ? WHERE key = ?', value, key);
    t.match(checkJournalIntegrity(path), { status: 'corrupt' }, `${key} changed`);
  }
});

t.test(
  'AGENT_STORE_SQLITE_CORRUPT: an index that disagrees with its table is found at start-up and by doctor',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    // Change one tx id inside the journal_tx_id index page only: the table still says tx-3.
    const raw = new Database(path, { readonly: true });
    const rootPage = raw
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'journal_tx_id'")
      .pluck()
      .get() as number;
    const pageSizeBytes = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    const bytes = readFileSync(path);
    const page = bytes.subarray((rootPage - 1) * pageSizeBytes, rootPage * pageSizeBytes);
    const at = page.indexOf('tx-3');
    t.ok(at > 0, 'the index page holds the key');
    page[at + 3] = '9'.charCodeAt(0);
    writeFileSync(path, bytes);
    const store = new KioskDb({ path, readOnly: true });
    t.same(
      store.rowsOfTx('tx-3'),
      [],
      'looked up through the damaged index, tx-3 is gone (a retry would be new)',
    );
    store.close();
    t.match(checkJournalIntegrity(path), { status: 'corrupt', code: 'AGENT_STORE_SQLITE_CORRUPT' });
    t.match(checkStoreFull(path), { status: 'corrupt', code: 'AGENT_STORE_SQLITE_CORRUPT' });
  },
);

t.test('AGENT_STORE_SQLITE_CORRUPT: a damaged page structure is found by the SQLite check', async (t) => {
  const path = freshStore(t);
  writeStore(path);
  const raw = new Database(path, { readonly: true });
  const rootPage = raw
    .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'outbox'")
    .pluck()
    .get() as number;
  const pageSizeBytes = raw.pragma('page_size', { simple: true }) as number;
  raw.close();
  const bytes = readFileSync(path);
  // The cell count of the outbox's root page (b-tree page header, offset 3..4) says one more cell.
  const headerAt = (rootPage - 1) * pageSizeBytes + (rootPage === 1 ? 100 : 0);
  bytes.writeUInt16BE(bytes.readUInt16BE(headerAt + 3) + 1, headerAt + 3);
  writeFileSync(path, bytes);
  t.match(checkJournalIntegrity(path), { status: 'corrupt' });
});

t.test(
  'repair: the outbox, counters and an index are rebuilt from the journal; the damaged copy is kept',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    const raw = new Database(path);
    const envelope = raw.prepare('SELECT envelope FROM outbox WHERE seq = 4').pluck().get() as Buffer;
    envelope[0] = envelope[0]! ^ 0xff;
    raw.prepare('UPDATE outbox SET envelope = ? WHERE seq = 4').run(envelope);
    raw.prepare('DELETE FROM outbox WHERE seq = 5').run();
    raw.prepare("UPDATE meta SET value = '2' WHERE key = 'receipt_counter:2026-12-04'").run();
    raw.close();
    const result = repairStore(path, Date.parse('2026-12-04T08:00:00Z'));
    t.match(result, {
      status: 'repaired',
      after: { status: 'ok', outboxDepth: 3, lastEventSeq: 5, ackedThroughSeq: 2 },
    });
    if (result.status !== 'repaired') throw new Error('unreachable');
    t.match(result.backupPath, /kiosk\.db\.damaged-2026-12-04T08-00-00-000Z$/);
    t.match(
      checkJournalIntegrity(result.backupPath),
      { status: 'corrupt' },
      'the kept copy is the damaged original',
    );
    t.match(result.actions.join('\n'), /outbox rebuilt from the journal: 3 event\(s\) above seq 2/);
    const db = new KioskDb({ path, readOnly: true });
    t.teardown(() => db.close());
    t.equal(db.getMeta('receipt_counter:2026-12-04'), '5', 'the receipt counter comes back from the journal');
    t.equal(db.getMeta('bd_seq'), '7', 'the seal held: bdSeq kept');
    t.same(
      db.read(3, 5).map((row) => Buffer.from(row.envelopeBytes).toString()),
      [3, 4, 5].map((seq) => `signed-envelope-${seq}-`.repeat(8)),
      'each envelope exactly as signed',
    );
    t.equal([...db.rows(0)].at(-1)?.kind, 'store.repaired', 'the repair is journaled');
  },
);

t.test(
  'repair: a broken seal resets the ack mark and moves bdSeq ahead; a broken chain is refused',
  async (t) => {
    const path = freshStore(t);
    writeStore(path);
    sql(path, "UPDATE meta SET value = '3' WHERE key = 'bd_seq'");
    const result = repairStore(path, Date.parse('2026-12-04T08:00:00Z'));
    t.match(result, { status: 'repaired', after: { status: 'ok', ackedThroughSeq: 0, outboxDepth: 5 } });
    const db = new KioskDb({ path, readOnly: true });
    t.equal(db.getMeta('bd_seq'), '1000003', 'strictly increasing whatever the damage was');
    db.close();
    t.match(repairStore(path, Date.now()), { status: 'intact' }, 'a second run finds nothing');
    sql(path, 'UPDATE journal SET payload_json = \'{"amountFen":1}\' WHERE idx = 2');
    t.match(repairStore(path, Date.now()), {
      status: 'refused',
      reason: /hash chain is broken at row 2/,
      before: { code: 'AGENT_JOURNAL_CHAIN_BROKEN' },
    });
  },
);

t.test('AGENT_STORE_REPAIR_REFUSED: kiosk repair names the journal damage and keeps a copy', async (t) => {
  const path = freshStore(t);
  writeStore(path);
  sql(path, 'UPDATE journal SET payload_json = \'{"amountFen":1}\' WHERE idx = 1');
  const config = join(path, '..', 'kiosk.json');
  writeFileSync(config, JSON.stringify(minimalConfig(path)));
  const out: string[] = [];
  const io = {
    out: (text: string) => out.push(text),
    err: (text: string) => out.push(text),
    env: {},
    nowMs: () => Date.parse('2026-12-04T08:00:00Z'),
    stdin: null,
  };
  const code = await repairCommand.run(
    { values: { config, json: true }, positionals: [] } as never,
    io,
    {} as never,
  );
  t.equal(code, 1);
  const report = JSON.parse(out.join('')) as { problems: { code: string }[]; backup: string };
  t.same(
    report.problems.map((problem) => problem.code),
    ['AGENT_STORE_REPAIR_REFUSED', 'AGENT_JOURNAL_CHAIN_BROKEN'],
  );
  t.match(report.backup, /damaged-/);
});

function minimalConfig(journalPath: string) {
  const dir = join(journalPath, '..');
  return {
    station: { id: 'ST-0042', orgCode: '3301000042' },
    serial: { cardReader: { path: journalPath }, pinPad: { path: journalPath } },
    token: { modulePath: journalPath, label: 'KIOSK-UK', keyLabel: 'k', userPin: { file: journalPath } },
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    journal: { path: journalPath },
    operatorApi: { socketPath: join(dir, 'op.sock') },
    hq: { configPublicKeyPath: journalPath },
    log: { dir },
  };
}
