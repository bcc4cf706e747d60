// Goal: one source of R5 withdrawal limits — HQ's ledger mirror applies the limits HQ signs into
// the station config (not core-ledger's defaults), and HQ declines an authorisation request that
// breaks them (per transaction, per card per day, per station per day) with its reason before the
// bank sees it; a released hold stops counting; and the gateway exposes HQ's quota view per
// station (R2, R3). Method: the in-process broker, the gateway in-process with station defaults of its
// own, a simulated station sending signed requests and events; answers on down/auth-resp.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { stationDefaults } from '../src/app/operations.js';
import { ledgerLimitsOf, WithdrawalTally } from '../src/domain/withdrawal-limits.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-memory-fixture.js';
import { luhnPan } from './helpers/station-sim.js';

const panA = luhnPan('622850', 16);
const panB = luhnPan('622851', 16);
const limits = {
  ...stationDefaults,
  withdrawalFenMaxPerTransaction: 160_000,
  withdrawalFenMaxPerCardPerDay: 200_000,
  withdrawalFenMaxPerStationPerDay: 300_000,
};
let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['L1'], {
    stationDefaults: limits,
    bankAccounts: [
      { pan: panA, pin: '123456', balanceFen: 5_000_000, dailyLimitFen: 5_000_000 },
      { pan: panB, pin: '123456', balanceFen: 5_000_000, dailyLimitFen: 5_000_000 },
    ],
  });
});
t.teardown(async () => {
  await fx.close();
});

async function authorise(pan: string, amountFen: number) {
  const [l1] = fx.stations;
  const requestId = `req-${randomUUID()}`;
  const transactionId = `txn-${randomUUID()}`;
  const request = l1!.authRequest({ requestId, transactionId, tpk: fx.tpk, pan, pin: '123456', amountFen });
  await l1!.publish('auth-req', request.bytes);
  const response = await l1!.waitForAuth(requestId);
  return { requestId, transactionId, decision: response.decision, declineReason: response.declineReason };
}

t.test('the ledger mirror applies the config limits: ¥1,200 is authorised and posted cleanly', async (t) => {
  const [l1] = fx.stations;
  const ok = await authorise(panA, 120_000);
  t.equal(ok.decision, 1, 'approved (core-ledger default per transaction is 100,000)');
  const common = { requestId: ok.requestId, transactionId: ok.transactionId, pan: panA, amountFen: 120_000 };
  await l1!.publish('event', l1!.withdrawalEvent('authorised', common).bytes);
  const posted = l1!.withdrawalEvent('posted', common);
  await l1!.publish('event', posted.bytes);
  await l1!.waitForAck(posted.seq);
  await fx.gateway.flush();
  t.equal((await fx.gateway.store.counts()).discrepancies, 0, 'no HQ_DISCREPANCY_LEDGER_REFUSED');
});

t.test('HQ declines before the bank what breaks the config limits (R5, R21 order)', async (t) => {
  const overTransaction = await authorise(panB, 160_001);
  t.same([overTransaction.decision, overTransaction.declineReason], [2, 6], 'TRANSACTION_LIMIT');
  const overCard = await authorise(panA, 90_000);
  t.same([overCard.decision, overCard.declineReason], [2, 4], 'CARD_DAILY_LIMIT: 120,000 + 90,000');
  const second = await authorise(panB, 150_000);
  t.equal(second.decision, 1, 'another card, within every limit');
  const overStation = await authorise(panB, 40_000);
  t.same([overStation.decision, overStation.declineReason], [2, 5], 'STATION_DAILY_LIMIT: 270,000 + 40,000');
  t.equal(fx.gateway.bank.availableFen(panB), 5_000_000 - 150_100, 'the bank held only the approved one');

  // A reversal releases the hold: its amount no longer counts against the day.
  const [l1] = fx.stations;
  const reversed = l1!.withdrawalEvent('reversed', {
    requestId: second.requestId,
    transactionId: second.transactionId,
    pan: panB,
    amountFen: 150_000,
  });
  const settled = fx.gateway.pipeline.counters.settlements;
  await l1!.publish('event', reversed.bytes);
  await until(fx.gateway.pipeline, ['idle-check'], () => fx.gateway.pipeline.counters.settlements > settled);
  const afterRelease = await authorise(panB, 40_000);
  t.equal(afterRelease.decision, 1, 'approved once the reversed hold is released');
});

t.test('the tally: every broken limit at once, idempotent by request id', async (t) => {
  const tally = new WithdrawalTally();
  const config = ledgerLimitsOf(limits);
  const ask = {
    requestId: 'r1',
    cardKey: 'c1',
    stationId: 'S',
    businessDate: '2026-11-28',
    amountFen: 150_000,
  };
  t.same(tally.check(config, ask), []);
  tally.approved(ask);
  tally.approved(ask);
  t.same(tally.check(config, ask), [], 'the same request is not counted against itself');
  t.same(
    tally.check(config, { ...ask, requestId: 'r2', amountFen: 200_000 }),
    ['HQ_AUTH_OVER_TRANSACTION_LIMIT', 'HQ_AUTH_OVER_CARD_DAILY_LIMIT', 'HQ_AUTH_OVER_STATION_DAILY_LIMIT'],
    'every reason, in order',
  );
  t.same(
    tally.check(config, { ...ask, requestId: 'r3', businessDate: '2026-11-29' }),
    [],
    'another business day starts from zero',
  );
  tally.released('r1');
  tally.released('r1');
  t.same(tally.check(config, { ...ask, requestId: 'r4' }), [], 'released');
  t.throws(() => ledgerLimitsOf({ ...limits, withdrawalFenMaxPerTransaction: 0 }), 'limits are positive fen');
});

t.test("the gateway exposes HQ's quota view per station (R2, R3)", async (t) => {
  const [l1] = fx.stations;
  t.equal(fx.gateway.quotaFenAvailable('L1'), 0, 'no purchase yet');
  const purchase = await fx.gateway.operations.purchaseQuota('L1', 100_000);
  const applied = l1!.quotaApplied(purchase.purchaseId, 100_000);
  await l1!.publish('event', applied.bytes);
  const bill = l1!.billPayment(12_345);
  await l1!.publish('event', bill.bytes);
  await l1!.waitForAck(bill.seq);
  t.equal(fx.gateway.quotaFenAvailable('L1'), 100_000 - 12_345, 'purchase minus the bill payment');
  t.equal(fx.gateway.quotaFenAvailable('NOPE'), 0, 'an unknown station has none');
});
