// Goal (issue 9): a full disk never corrupts the store and never crashes its caller for a write
// HQ does not need: an append that cannot be written commits nothing and says so with
// AGENT_STORE_WRITE_FAILED (the seq is not used up); an ack that cannot be written is kept in
// memory and written once space returns; afterwards the store passes its start-up check and holds
// every append that was reported committed, once. Method: a real 3 MiB tmpfs, filled with a
// filler file to ENOSPC mid-run, then freed.
import t from 'tap';
import { checkJournalIntegrity } from '../../src/adapters/sqlite/integrity.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { isAgentError } from '../../src/errors.js';
import { mountSmallFs } from '../helpers/small-fs.js';

function append(db: KioskDb, seq: number) {
  return db.append({
    kind: 'bill.paid',
    txId: `tx-${seq}`,
    createdAtMs: seq,
    payload: { amountFen: 100 * seq, filler: 'x'.repeat(800) },
    event: {
      seq,
      eventId: `event-${seq}`,
      payloadType: 'PAYLOAD_TYPE_BILL_PAYMENT',
      envelopeBytes: new Uint8Array(600).fill(seq % 256),
    },
    metaUpdates: { 'receipt_counter:2026-12-04': String(seq) },
  });
}

t.test('AGENT_STORE_WRITE_FAILED: a full disk refuses the append, keeps the ack, and resumes', async (t) => {
  const fs = mountSmallFs(3 * 1024 * 1024);
  t.teardown(() => fs.unmount());
  const path = `${fs.dir}/kiosk.db`;
  const db = new KioskDb({ path });
  const committed: number[] = [];
  for (let seq = 1; seq <= 20; seq += 1) {
    append(db, seq);
    committed.push(seq);
  }
  fs.fill();
  let refused = 0;
  let seq = committed.length + 1;
  for (let attempt = 0; attempt < 200 && refused < 3; attempt += 1) {
    try {
      append(db, seq);
      committed.push(seq);
      seq += 1;
    } catch (error) {
      t.ok(
        isAgentError(error, 'AGENT_STORE_WRITE_FAILED'),
        `refused with AGENT_STORE_WRITE_FAILED (${String(error)})`,
      );
      refused += 1;
    }
  }
  t.equal(refused, 3, 'the full disk refused appends');
  t.equal(db.nextEventSeq(), seq, 'a refused append used up no seq');
  t.match(db.writeFault(), { sqliteCode: /SQLITE_(FULL|IOERR)/ }, 'the fault is visible for readiness');
  t.doesNotThrow(() => db.acknowledgeThrough(10), 'an ack on a full disk does not throw');
  t.equal(db.ackedThroughSeq(), 10, 'the ack counts at once');
  t.equal(db.ackDeferred(), true, 'its write waits for space');
  t.equal(db.checkpoint().ok, false, 'a checkpoint on a full disk reports failure, never throws');
  fs.free();
  t.equal(db.retryDeferred(), 10, 'once space returns the deferred ack deletes its rows');
  t.equal(db.ackDeferred(), false);
  append(db, seq);
  committed.push(seq);
  t.equal(db.writeFault(), null, 'a successful write clears the fault');
  t.equal(db.checkpoint().ok, true, 'and the checkpoint runs');
  db.close();
  t.match(checkJournalIntegrity(path), {
    status: 'ok',
    lastEventSeq: committed.length,
    ackedThroughSeq: 10,
    outboxDepth: committed.length - 10,
  });
  const reopened = new KioskDb({ path, readOnly: true });
  t.teardown(() => reopened.close());
  const seqs = [...reopened.rows(0)].map((row) => row.eventSeq);
  t.same(seqs, committed, 'every committed append is in the journal once, in order');
});
