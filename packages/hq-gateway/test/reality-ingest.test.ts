// Goal (R8 账实相符 through ingest): after a stored daily close, HQ checks the station's day
// against the bank simulator's settlement, once the bank has settled what was posted before it;
// a withdrawal HQ holds as posted that the bank never settled is HQ_RECON_BANK_MISSING; a close
// without a drawer count is "not declared"; a later CashDeclared (payload type 13) is checked
// against the day's expected cash (¥50.00 short: HQ_RECON_CASH_SHORT) and a second one is
// HQ_RECON_CASH_DECLARED_TWICE; each difference is a discrepancy (an alert) and a line of
// `hq report daily`. Method: a simulated station through the in-process broker, the real bank
// simulator and SQLite store; results read from the pipeline's 'reality-checked' event and the store.
import { randomUUID } from 'node:crypto';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { dailyReport } from '../src/cli/reports.js';
import type { RealityDifference, RealityResult } from '../src/domain/reality-check.js';
import { type HqFixture, startHqFixture } from './helpers/hq-memory-fixture.js';
import { luhnPan, shanghaiDate } from './helpers/station-sim.js';

const pan = luhnPan('622848', 16);
let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['R1'], {
    bankAccounts: [{ pan, pin: '123456', balanceFen: 1_000_000, dailyLimitFen: 500_000 }],
  });
});
t.teardown(async () => {
  await fx.close();
});

type Checked = RealityResult & { added: RealityDifference[] };

function nextCheck(): Promise<Checked> {
  return new Promise((resolve) => fx.gateway.pipeline.once('reality-checked', resolve));
}

t.test(
  'close, then a late count, then a second count: each difference found once, with its reason',
  async (t) => {
    const [r1] = fx.stations;
    const station = r1!;
    const date = shanghaiDate(Date.now());
    // Quota for a bill (R3), then the bill: ¥123.00 in cash.
    const purchase = await fx.gateway.operations.purchaseQuota('R1', 100_000);
    const applied = station.quotaApplied(purchase.purchaseId, 100_000);
    await station.publish('event', applied.bytes);
    const bill = station.billPayment(12_300);
    await station.publish('event', bill.bytes);
    // An authorised, posted withdrawal of ¥500.00: the bank settles it.
    const requestId = `req-${randomUUID()}`;
    const transactionId = `txn-${randomUUID()}`;
    await station.publish(
      'auth-req',
      station.authRequest({ requestId, transactionId, pan, pin: '123456', tpk: fx.tpk, amountFen: 50_000 })
        .bytes,
    );
    t.equal((await station.waitForAuth(requestId)).decision, 1, 'approved');
    await station.publish(
      'event',
      station.withdrawalEvent('authorised', { requestId, transactionId, pan, amountFen: 50_000 }).bytes,
    );
    await station.publish(
      'event',
      station.withdrawalEvent('posted', { requestId, transactionId, pan, amountFen: 50_000 }).bytes,
    );
    // A ¥200.00 withdrawal "posted" without any authorisation: the bank never saw it.
    const forged = { requestId: 'req-never-authorised', transactionId: 'txn-never', pan, amountFen: 20_000 };
    const lastPosted = station.withdrawalEvent('posted', forged);
    await station.publish('event', lastPosted.bytes);
    await station.waitForAck(lastPosted.seq);

    const closed = nextCheck();
    const close = station.seal(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, {
      businessDate: date,
      totals: [],
      closeHash: 'c'.repeat(64),
      previousCloseHash: '0'.repeat(64),
      firstSeq: 1,
      lastSeq: lastPosted.seq,
      quotaFenOpening: 0,
      quotaFenClosing: 87_700,
      closedAtMs: Date.now(),
      closeSequence: 1,
      holdsPendingCount: 0,
    });
    await station.publish('event', close.bytes);
    const first = await closed;
    t.match(first, { hqPostedCount: 2, bankPostedCount: 1, declaredCashFen: null, expectedCashFen: null });
    t.same(
      first.added.map((d) => [d.code, d.reference]),
      [['HQ_RECON_BANK_MISSING', 'req-never-authorised']],
      'the bank settled the authorised withdrawal (HQ waited for it), not the forged one',
    );

    // The next morning's count: float ¥1,000.00 + ¥123.00 in - ¥700.00 out = ¥423.00 expected; ¥373.00 counted.
    const counted = nextCheck();
    const declaration = station.seal(PayloadType.PAYLOAD_TYPE_CASH_DECLARED, {
      businessDate: date,
      closeHash: 'c'.repeat(64),
      declaration: { cashFenCounted: 37_300, floatFenOpening: 100_000, declaredAtMs: Date.now() },
    });
    await station.publish('event', declaration.bytes);
    const second = await counted;
    t.match(second, { declaredCashFen: 37_300, expectedCashFen: 42_300 });
    t.same(
      second.added.map((d) => [d.code, d.reference, d.expectedFen, d.actualFen]),
      [['HQ_RECON_CASH_SHORT', declaration.eventId, 42_300, 37_300]],
      'only the new difference is raised again; the bank one was recorded once',
    );
    t.match(second.added[0]?.reasonZh, /现金短款 ¥50\.00：申报 ¥373\.00，应有 ¥423\.00/);

    const again = nextCheck();
    const twice = station.seal(PayloadType.PAYLOAD_TYPE_CASH_DECLARED, {
      businessDate: date,
      closeHash: 'c'.repeat(64),
      declaration: { cashFenCounted: 42_300, floatFenOpening: 100_000, declaredAtMs: Date.now() },
    });
    await station.publish('event', twice.bytes);
    const third = await again;
    t.same(
      third.added.map((d) => d.code),
      ['HQ_RECON_CASH_DECLARED_TWICE'],
    );
    t.equal(third.declaredCashFen, 37_300, 'the first count stays the one compared');
    await fx.gateway.flush();

    const codes = (await fx.gateway.store.discrepancies(100)).map((d) => d.code);
    for (const code of ['HQ_RECON_BANK_MISSING', 'HQ_RECON_CASH_SHORT', 'HQ_RECON_CASH_DECLARED_TWICE']) {
      t.equal(codes.filter((c) => c === code).length, 1, `${code}: one discrepancy row (an alert)`);
    }
    const report = await dailyReport(fx.gateway.store, date, await fx.gateway.reality.realityDays(date));
    t.match(
      report.text,
      /账实相符 \(R8\): 3 difference\(s\); bank settled 1 withdrawal\(s\) ¥501\.00, HQ posted 2 ¥702\.00; cash declared ¥373\.00, expected ¥423\.00/,
    );
    t.match(
      report.text,
      /HQ_RECON_BANK_MISSING req-never-authorised: 取款 req-never-authorised：总部记录已入账 ¥200\.00/,
    );
  },
);
