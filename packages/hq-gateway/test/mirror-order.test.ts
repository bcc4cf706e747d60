// Goal: HQ's ledger mirror re-checks a station's events in seq order even when they arrive out
// of order (after an HQ restart the broker can deliver seqs queued for HQ before the kiosk
// resends the seqs HQ lost), so an honest kiosk never shows a quota discrepancy; and it survives
// a restart with a gap still open. Method: the gateway in-process over the in-process broker
// (hq-fixture); messages are handed to the pipeline in a chosen order.
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { type HqFixture, startHqFixture } from './helpers/hq-memory-fixture.js';

let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['M1']);
});
t.teardown(async () => {
  await fx.close();
});

async function ingest(messages: readonly Uint8Array[]): Promise<void> {
  for (const bytes of messages) fx.gateway.pipeline.handleMessage(upTopic('M1', 'event'), bytes);
  await fx.gateway.flush();
}

t.test('events after a gap wait for it: no discrepancy for an honest kiosk', async (t) => {
  const [m1] = fx.stations;
  const purchase = await fx.gateway.operations.purchaseQuota('M1', 100_000);
  await m1!.waitForConfig(1);
  const sealed = [
    m1!.quotaApplied(purchase.purchaseId, 100_000),
    ...Array.from({ length: 9 }, (_, index) => m1!.billPayment(1_000 + index)),
  ];
  const bytes = sealed.map((s) => s.bytes);
  // Seqs 1-3 first, then 7-10 (beyond a gap), then 4-6.
  await ingest(bytes.slice(0, 3));
  await ingest(bytes.slice(6));
  t.equal(fx.gateway.pipeline.ackedSeq('M1'), 3, 'the ack point stops at the gap');
  t.equal(fx.gateway.pipeline.counters.stored, 7, 'events beyond the gap are stored');
  await ingest(bytes.slice(3, 6));
  t.equal(fx.gateway.pipeline.ackedSeq('M1'), 10);
  t.equal(fx.gateway.pipeline.counters.discrepancies, 0, 'no discrepancy');
  t.equal(fx.gateway.quotaFenAvailable('M1'), m1!.quotaFen, "HQ's quota = the kiosk's");
});

t.test('a restart with a gap open: the events beyond it wait for it across the restart', async (t) => {
  const [m1] = fx.stations;
  const bills = Array.from({ length: 6 }, (_, index) => m1!.billPayment(500 + index).bytes);
  await ingest([...bills.slice(0, 1), ...bills.slice(3)]); // seqs 11, 14-16; 12-13 missing
  await fx.gateway.stop();
  await fx.startGateway();
  await ingest(bills.slice(1, 3));
  t.equal(fx.gateway.pipeline.ackedSeq('M1'), 16);
  const discrepancies = await fx.gateway.store.discrepancies(100);
  t.same(discrepancies, [], 'no discrepancy stored');
  t.equal(fx.gateway.quotaFenAvailable('M1'), m1!.quotaFen, "HQ's quota = the kiosk's after the restart");
});
