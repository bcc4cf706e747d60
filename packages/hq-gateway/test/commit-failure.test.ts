// Goal: a batch that fails to commit is dropped cleanly: its event ids and seqs are forgotten (so
// the station's resend is stored, not taken for a duplicate), no ack covers it, the station is
// asked to resend, and the gateway keeps running. Method: the real gateway over the in-process broker; the
// store's commitBatch is made to throw once; the station resends on HQ's Command{resend_from}.
import t from 'tap';
import { SeqTracker } from '../src/domain/seq-tracker.js';
import type { IngestBatch } from '../src/ports/store.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-memory-fixture.js';

let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['F1']);
});
t.teardown(async () => {
  await fx.close();
});

t.test('a failed commit drops its ids and seqs; the resend is stored once and acked', async (t) => {
  const [f1] = fx.stations;
  const pipeline = fx.gateway.pipeline;
  const first = f1!.billPayment(100, { quotaFenAfter: 0 });
  await f1!.publish('event', first.bytes);
  await f1!.waitForAck(first.seq);

  const store = fx.gateway.store;
  const commitBatch = store.commitBatch.bind(store);
  let failures = 1;
  store.commitBatch = async (batch: IngestBatch): Promise<void> => {
    if (failures > 0) {
      failures -= 1;
      throw new Error('disk full (test)');
    }
    await commitBatch(batch);
  };
  const second = f1!.billPayment(100, { quotaFenAfter: 0 });
  const resendAsked = new Promise<number>((resolve) => f1!.once('resend', resolve));
  await f1!.publish('event', second.bytes);
  await until(pipeline, ['dropped'], () => pipeline.counters.batchesDropped === 1);
  t.equal(pipeline.ackedSeq('F1'), first.seq, 'the ack point falls back below the dropped seq');
  t.equal(await resendAsked, second.seq, 'the station is asked to resend from the dropped seq');

  const duplicates = pipeline.counters.duplicates;
  await f1!.publish('event', second.bytes);
  await f1!.waitForAck(second.seq);
  await fx.gateway.flush();
  t.equal(pipeline.counters.duplicates, duplicates, 'the resend is not taken for a duplicate');
  t.same(pipeline.counters.quarantinedByReason, {}, 'nothing quarantined');
  const stored = await store.eventsOfStation('F1');
  t.same(
    stored.map((e) => e.seq),
    [first.seq, second.seq],
    'stored once each',
  );
});

t.test('SeqTracker.forget: the ack point falls back, later seqs stay recorded', async (t) => {
  const tracker = new SeqTracker(0);
  for (const seq of [1, 2, 3, 4, 6]) tracker.accept(seq);
  t.equal(tracker.ackedSeq, 4);
  tracker.forget([2]);
  t.equal(tracker.ackedSeq, 1, 'below the forgotten seq');
  t.ok(tracker.has(3) && tracker.has(4) && tracker.has(6), 'the others are still recorded');
  t.notOk(tracker.has(2));
  tracker.forget([6]);
  t.equal(tracker.highWaterSeq, 4, 'the high-water mark follows');
  tracker.accept(2);
  t.equal(tracker.ackedSeq, 4, 'refilled: the ack point moves on again');
  t.throws(() => tracker.forget([0]), 'seqs are positive');
});
