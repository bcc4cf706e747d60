// Goal: HQ re-applies the core-ledger rules to every stored event and catches a kiosk that lies
// (quota after a payment, a payment over quota), finds and reports sequence gaps until they are
// filled, reconciles a received daily close with its own store (R8), and keeps station status
// from birth, death and telemetry with stale deaths ignored (bdSeq). Method: simulated stations
// through the in-process broker; results read back from the store.
import { closeHash, GENESIS_HASH } from '@bianmin/core-ledger';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { reportTotals } from '../src/domain/ledger-mirror.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-memory-fixture.js';
import { shanghaiDate } from './helpers/station-sim.js';

let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['L1', 'L2', 'L3']);
});
t.teardown(async () => {
  await fx.close();
});

async function fund(index: number, amountFen: number): Promise<void> {
  const station = fx.stations[index]!;
  const purchase = await fx.gateway.operations.purchaseQuota(station.stationId, amountFen);
  const applied = station.quotaApplied(purchase.purchaseId, amountFen);
  await station.publish('event', applied.bytes);
  await station.waitForAck(applied.seq);
}

t.test(
  'a kiosk that lies about its quota is caught (HQ_DISCREPANCY_QUOTA_MISMATCH, _OVERDRAWN)',
  async (t) => {
    await fund(0, 50_000);
    const [l1] = fx.stations;
    const lie = l1!.billPayment(1_000, { quotaFenAfter: 60_000 });
    await l1!.publish('event', lie.bytes);
    const over = l1!.billPayment(80_000, { quotaFenAfter: 0 });
    await l1!.publish('event', over.bytes);
    await l1!.waitForAck(over.seq);
    await fx.gateway.flush();
    const codes = (await fx.gateway.store.discrepancies(100)).map((d) => d.code);
    t.ok(codes.includes('HQ_DISCREPANCY_QUOTA_MISMATCH'), 'quota claim differs from HQ');
    t.ok(codes.includes('HQ_DISCREPANCY_QUOTA_OVERDRAWN'), 'a payment over quota (R2)');
    t.equal((await fx.gateway.store.eventsOfStation('L1')).length, 3, 'the kiosk record is still stored');
  },
);

t.test('a quota purchase below 500 yuan is refused (R3, HQ_QUOTA_PURCHASE_REFUSED)', async (t) => {
  await t.rejects(fx.gateway.operations.purchaseQuota('L1', 49_999), { code: 'HQ_QUOTA_PURCHASE_REFUSED' });
  await t.rejects(fx.gateway.operations.purchaseQuota('NOPE', 50_000), { code: 'HQ_STATION_NOT_FOUND' });
});

t.test('a gap is found, reported, asked to be resent, and closed when filled (HQ_SEQ_GAP)', async (t) => {
  await fund(1, 100_000);
  const [, l2] = fx.stations;
  const first = l2!.billPayment(100);
  const skipped = l2!.billPayment(100);
  const third = l2!.billPayment(100);
  await l2!.publish('event', first.bytes);
  const resend = new Promise<number>((resolve) => l2!.once('resend', resolve));
  await l2!.publish('event', third.bytes);
  t.equal(await resend, skipped.seq, 'HQ asks the station to resend from the missing seq');
  await fx.gateway.flush();
  t.same(
    (await fx.gateway.store.openGaps(10)).map((g) => [g.stationId, g.fromSeq, g.toSeq]),
    [['L2', skipped.seq, skipped.seq]],
    'the gap is recorded',
  );
  t.equal(fx.gateway.pipeline.ackedSeq('L2'), first.seq, 'the ack stops below the gap');
  await l2!.publish('event', skipped.bytes);
  await l2!.waitForAck(third.seq);
  await fx.gateway.flush();
  t.same(await fx.gateway.store.openGaps(10), [], 'the gap is closed');
});

t.test('a daily close is reconciled with the HQ store (R8)', async (t) => {
  await fund(2, 100_000);
  const [, , l3] = fx.stations;
  const bill = l3!.billPayment(12_345);
  await l3!.publish('event', bill.bytes);
  const date = shanghaiDate(Date.now());
  let previousHash = GENESIS_HASH;
  let sequence = 0;
  const close = (billAmountFen: number, lastSeq = bill.seq, forgeHash = false) => {
    sequence += 1;
    const closedAtMs = Date.now();
    const lines = [
      {
        kind: 'BILL_PAYMENT',
        count: 1,
        amountFen: billAmountFen,
        feeFen: 0,
        quotaFenConsumed: billAmountFen,
      },
      { kind: 'QUOTA_PURCHASE', count: 1, amountFen: 100_000, feeFen: 0, quotaFenConsumed: 0 },
    ];
    const hash = closeHash({
      stationId: 'L3',
      businessDate: date,
      sequence,
      closedAtMs,
      totals: reportTotals(lines),
      holdsPendingCount: 0,
      previousHash,
    });
    const sealed = l3!.seal(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, {
      businessDate: date,
      totals: lines.map((line) => ({ ...line, kind: line.kind === 'BILL_PAYMENT' ? 2 : 7 })),
      closeHash: forgeHash ? 'f'.repeat(64) : hash,
      previousCloseHash: previousHash,
      firstSeq: 1,
      lastSeq,
      quotaFenOpening: 0,
      quotaFenClosing: 100_000 - billAmountFen,
      closedAtMs,
      closeSequence: sequence,
      holdsPendingCount: 0,
    });
    previousHash = forgeHash ? 'f'.repeat(64) : hash;
    return sealed;
  };
  const honest = close(12_345);
  const reconciled = new Promise<{ differences: unknown[] }>((resolve) =>
    fx.gateway.pipeline.once('reconciled', resolve),
  );
  await l3!.publish('event', honest.bytes);
  t.same((await reconciled).differences, [], 'kiosk close = HQ store');
  const wrong = close(12_000);
  const second = new Promise<{ differences: Array<{ code: string }> }>((resolve) =>
    fx.gateway.pipeline.once('reconciled', resolve),
  );
  await l3!.publish('event', wrong.bytes);
  const differences = (await second).differences;
  t.ok(differences.length >= 2, 'every difference is listed (amount and quota consumed)');
  t.ok(
    differences.every((d) => d.code === 'LEDGER_RECON_TOTAL_DIFFERS'),
    'the seal is intact, the totals differ',
  );
  const ahead = close(12_345, bill.seq + 50);
  const third = new Promise<{ differences: Array<{ code: string }> }>((resolve) =>
    fx.gateway.pipeline.once('reconciled', resolve),
  );
  await l3!.publish('event', ahead.bytes);
  t.same(
    (await third).differences.map((d) => d.code),
    ['HQ_RECON_DIFFERENCE'],
    'a close covering events HQ does not hold is a difference',
  );
  const forged = close(12_345, bill.seq, true);
  const fourth = new Promise<{ differences: Array<{ code: string }> }>((resolve) =>
    fx.gateway.pipeline.once('reconciled', resolve),
  );
  await l3!.publish('event', forged.bytes);
  t.same(
    (await fourth).differences.map((d) => d.code),
    ['LEDGER_CLOSE_HASH_MISMATCH'],
    'a changed close is found (R7)',
  );
  const broken = close(12_345);
  const fifth = new Promise<{ differences: Array<{ code: string }> }>((resolve) =>
    fx.gateway.pipeline.once('reconciled', resolve),
  );
  await l3!.publish('event', broken.bytes);
  t.same(
    (await fifth).differences.map((d) => d.code),
    [],
    'chained to the forged one as sent',
  );
  await fx.gateway.flush();
  const stored = await fx.gateway.store.reconciliations(date);
  t.equal(stored.filter((r) => r.stationId === 'L3').length, 5, 'every reconciliation is stored');
});

t.test('status from birth, death and telemetry; a stale death is ignored (bdSeq)', async (t) => {
  const [l1] = fx.stations;
  const status = () => fx.gateway.pipeline.status('L1')!;
  const birth = (bdSeq: number) =>
    l1!.seal(PayloadType.PAYLOAD_TYPE_BIRTH, {
      bdSeq,
      agentVersion: '1.0.0',
      orgCode: l1!.orgCode,
      configVersionApplied: 1,
      lastJournalSeq: 3,
      oldestUnackedSeq: 0,
      outboxDepth: 0,
      bootedAtMs: Date.now(),
      peripherals: [{ kind: 1, state: 1, detail: '', sinceMs: Date.now() }],
      tokenState: 1,
    });
  const death = (bdSeq: number) => l1!.seal(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq });
  await l1!.publish('birth', birth(2).bytes);
  await until(fx.gateway.pipeline, ['status'], () => status().bdSeq === 2);
  t.equal(status().online, true, 'online after birth');
  await l1!.publish('death', death(1).bytes);
  await until(fx.gateway.pipeline, ['status'], () => fx.gateway.pipeline.counters.staleDeaths === 1);
  t.equal(status().online, true, 'a death from an older session is ignored');
  await l1!.publish(
    'telemetry',
    l1!.seal(PayloadType.PAYLOAD_TYPE_TELEMETRY, {
      bdSeq: 2,
      peripherals: [{ kind: 2, state: 3, detail: 'EIO', sinceMs: Date.now() }],
      tokenState: 1,
      outboxDepth: 7,
      oldestUnackedSeq: 1,
      lastJournalSeq: 9,
      diskFreeBytes: 1_000_000,
      quotaFenAvailable: 0,
      uptimeMs: 1000,
      agentVersion: '1.0.0',
      configVersionApplied: 1,
      memoryRssBytes: 1,
    }).bytes,
  );
  await until(fx.gateway.pipeline, ['status'], () => status().outboxDepth === 7);
  t.same(status().peripherals, [{ name: 'pin-pad', ok: false, detail: 'EIO' }], 'peripheral health');
  await l1!.publish('death', death(2).bytes);
  await until(fx.gateway.pipeline, ['status'], () => !status().online);
  await fx.gateway.flush();
  const stored = (await fx.gateway.store.loadStatuses()).find((s) => s.stationId === 'L1');
  t.same([stored?.online, stored?.bdSeq, stored?.outboxDepth], [false, 2, 7], 'status is stored');
});
