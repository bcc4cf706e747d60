// Goal: the per-station bounds hold in the ingest pipeline (issue 8): a station that floods
// out-of-order seqs, or sends only refused messages, is suspended with its reason while another
// station keeps being stored; its later messages are quarantined HQ_STATION_SUSPENDED without a
// signature check; the suspension survives a pipeline restart and resumeStation lifts it. Method:
// the pipeline on in-memory fakes with small bounds (helpers/fakes.ts), so a flood is a few messages.
import { generateKeyPairSync } from 'node:crypto';
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { type Harness, startHarness } from './helpers/fakes.js';
import { until } from './helpers/until.js';

const bounds = { seqAheadMax: 1_000, outOfOrderSeqsMax: 3, refusalsMax: 2 };

async function ingest(h: Harness, stationId: string, messages: readonly Uint8Array[]): Promise<void> {
  for (const bytes of messages) h.pipeline.handleMessage(upTopic(stationId, 'event'), bytes);
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  await h.pipeline.flush();
}

const reasons = (h: Harness, stationId: string): string[] =>
  h.store.quarantined.filter((q) => q.stationId === stationId).map((q) => q.reasonCode);

t.test(
  'a flood of out-of-order seqs suspends the station; the other is served; a restart keeps it',
  async (t) => {
    const h = await startHarness(['F1', 'G1'], { stationBounds: bounds });
    const [f1, g1] = h.stations;
    const flood = [3, 5, 7, 9, 11].map((seq) => f1!.billPayment(100, { seq, quotaFenAfter: 0 }).bytes);
    await ingest(h, 'F1', flood);
    t.match(
      h.pipeline.suspension('F1'),
      { reasonCode: 'HQ_STATION_SUSPENDED' },
      'suspended at the 4th out-of-order seq',
    );
    t.same(reasons(h, 'F1'), ['HQ_STATION_SUSPENDED', 'HQ_STATION_SUSPENDED']);
    t.equal(h.store.eventsOf('F1').length, 3, 'only the seqs within the bound were taken');
    await ingest(h, 'G1', [g1!.billPayment(100, { quotaFenAfter: 0 }).bytes]);
    t.equal(h.store.eventsOf('G1').length, 1, 'another station is stored');
    const checks = h.verifier.checks;
    await ingest(h, 'F1', [f1!.billPayment(100, { seq: 1, quotaFenAfter: 0 }).bytes]);
    t.equal(h.verifier.checks, checks, 'a suspended station costs no signature check');
    t.equal(reasons(h, 'F1').length, 3);
    await h.pipeline.close();
    await h.restart();
    t.match(h.pipeline.suspension('F1'), { reasonCode: 'HQ_STATION_SUSPENDED' }, 'persisted');
    await h.integrity.resume('F1');
    t.ok(h.pipeline.resumeStation('F1'));
    await ingest(h, 'F1', [f1!.billPayment(100, { seq: 1, quotaFenAfter: 0 }).bytes]);
    t.equal(h.store.eventsOf('F1').length, 4, 'served again after resume');
    await h.pipeline.close();
  },
);

t.test('a station sending only refused messages is suspended past refusalsMax', async (t) => {
  const h = await startHarness(['R1'], { stationBounds: bounds });
  const r1 = h.stations[0]!;
  const { privateKey: other } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forged = [1, 2, 3].map(() => r1.billPayment(100, { key: other, quotaFenAfter: 0 }).bytes);
  await ingest(h, 'R1', forged);
  t.match(h.pipeline.suspension('R1'), { reasonCode: 'HQ_STATION_SUSPENDED', detail: /3 refused messages/ });
  t.same(reasons(h, 'R1'), ['HQ_SIGNATURE_INVALID', 'HQ_SIGNATURE_INVALID', 'HQ_SIGNATURE_INVALID']);
  await h.pipeline.close();
});
