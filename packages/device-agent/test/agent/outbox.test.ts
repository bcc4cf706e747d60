// Goal: the outbox keeps every event until HQ's cumulative ack covers it, publishes in seq order
// within a bounded window, and resends after a lost link. Method: the pure window functions
// table-driven, then the SQLite outbox: seq contiguity is asserted and rows leave only on ack.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { backoffDelayMs } from '../../src/domain/outbox/backoff.js';
import { applyAck, markSent, planSends, rewind, startWindow } from '../../src/domain/outbox/window.js';

t.test('window: bounded sends, cumulative acks, rewind on link loss', async (t) => {
  let window = startWindow(0);
  t.same(planSends(window, 10, 4), { fromSeq: 1, toSeq: 4 }, 'at most 4 in flight');
  window = markSent(window, 4);
  t.equal(planSends(window, 10, 4), null, 'window full');
  const ack = applyAck(window, 2, 10);
  t.match(ack, { kind: 'advanced', deleteThroughSeq: 2 });
  if (ack.kind !== 'advanced') throw new Error('unreachable');
  window = ack.window;
  t.same(planSends(window, 10, 4), { fromSeq: 5, toSeq: 6 });
  t.equal(applyAck(window, 1, 10).kind, 'stale', 'a lower ack is ignored');
  t.equal(
    applyAck(window, 11, 10).kind,
    'beyond_head',
    'AGENT_ACK_BEYOND_HEAD: an ack past the head is refused',
  );
  window = rewind(markSent(window, 6));
  t.same(planSends(window, 10, 4), { fromSeq: 3, toSeq: 6 }, 'after rewind, everything unacked again');
});

t.test('backoff is capped, exponential and jittered, never zero', async (t) => {
  const policy = { backoffMsInitial: 100, backoffMsMax: 5_000 };
  t.equal(backoffDelayMs(policy, 1, 0), 50);
  t.equal(backoffDelayMs(policy, 3, 0), 200);
  t.equal(backoffDelayMs(policy, 30, 0.999), 4_997);
  t.ok(backoffDelayMs(policy, 30, 0) >= 2_500, 'cap reached');
});

t.test('SQLite outbox: contiguous seqs, rows deleted only when acked', async (t) => {
  const db = new KioskDb({ path: ':memory:' });
  t.teardown(() => db.close());
  for (let seq = 1; seq <= 5; seq += 1) {
    db.append({
      kind: 'bill.paid',
      txId: `tx-${seq}`,
      createdAtMs: seq,
      payload: {},
      event: { seq, eventId: `e-${seq}`, payloadType: 'BILL_PAYMENT', envelopeBytes: new Uint8Array([seq]) },
    });
  }
  t.throws(
    () =>
      db.append({
        kind: 'x',
        txId: 'x',
        createdAtMs: 0,
        payload: {},
        event: { seq: 7, eventId: 'e-7', payloadType: 'X', envelopeBytes: new Uint8Array(1) },
      }),
    /not contiguous/,
  );
  t.equal(db.depth(), 5);
  t.same(
    db.read(1, 5).map((row) => row.seq),
    [1, 2, 3, 4, 5],
  );
  t.equal(db.acknowledgeThrough(3), 3);
  t.equal(db.depth(), 2);
  t.equal(db.acknowledgeThrough(2), 0, 'stale ack deletes nothing');
  t.equal(db.ackedThroughSeq(), 3);
  t.throws(() => db.acknowledgeThrough(9), /beyond head/);
});

t.test(
  'SQLite journal: the last event envelope hash moves with each event and survives reopening',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-chain-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'kiosk.sqlite');
    const db = new KioskDb({ path });
    t.equal(db.lastEventEnvelopeSha256(), null, 'a fresh journal has no last event');
    const envelope = new Uint8Array([1, 2, 3]);
    db.append({
      kind: 'bill.paid',
      txId: 'tx-1',
      createdAtMs: 1,
      payload: {},
      event: { seq: 1, eventId: 'e-1', payloadType: 'BILL_PAYMENT', envelopeBytes: envelope },
    });
    const expected = new Uint8Array(createHash('sha256').update(envelope).digest());
    t.same(db.lastEventEnvelopeSha256(), expected);
    db.append({ kind: 'note', txId: 'tx-1', createdAtMs: 2, payload: {} });
    t.same(db.lastEventEnvelopeSha256(), expected, 'a journal-only row does not move it');
    db.close();
    const reopened = new KioskDb({ path });
    t.teardown(() => reopened.close());
    t.same(reopened.lastEventEnvelopeSha256(), expected, 'restored from the same commit as the event');
  },
);
