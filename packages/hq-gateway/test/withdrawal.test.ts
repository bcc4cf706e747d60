// Goal: withdrawal authorisation through HQ's bank simulator (R5): the PIN is checked by
// deciphering the ISO 9564 format 4 PIN block with the test TPK; wrong PIN, insufficient funds and
// the daily limit are declined with their reasons; a posted withdrawal moves amount + fee from the
// customer to the station; a reversal releases the hold once, however often it arrives. Method:
// signed requests from a simulated station through the in-process broker; answers on down/auth-resp.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { type HqFixture, startHqFixture, until } from './helpers/hq-memory-fixture.js';
import { luhnPan } from './helpers/station-sim.js';

const pan = luhnPan('622848', 16);
const poorPan = luhnPan('622849', 16);
let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['W1'], {
    bankAccounts: [
      // The bank's own daily limit sits below HQ's per-card one (core-ledger's default, 300,000), so
      // the bank's is tested.
      { pan, pin: '123456', balanceFen: 1_000_000, dailyLimitFen: 120_000 },
      { pan: poorPan, pin: '1111', balanceFen: 10_000, dailyLimitFen: 500_000 },
    ],
  });
});
t.teardown(async () => {
  await fx.close();
});

async function authorise(input: { pan: string; pin: string; amountFen: number; feeFen?: number }) {
  const [w1] = fx.stations;
  const requestId = `req-${randomUUID()}`;
  const transactionId = `txn-${randomUUID()}`;
  const request = w1!.authRequest({ requestId, transactionId, tpk: fx.tpk, ...input });
  await w1!.publish('auth-req', request.bytes);
  const response = await w1!.waitForAuth(requestId);
  return { requestId, transactionId, response, request };
}

t.test('approved, then posted: customer pays amount + fee, station receives amount + fee (R5)', async (t) => {
  const [w1] = fx.stations;
  const { requestId, transactionId, response } = await authorise({ pan, pin: '123456', amountFen: 50_000 });
  t.equal(response.decision, 1, 'approved');
  t.equal(response.feeFen, 100, 'the 1-yuan fee');
  t.equal(fx.gateway.bank.availableFen(pan), 1_000_000 - 50_100, 'amount + fee held');
  const authorised = w1!.withdrawalEvent('authorised', { requestId, transactionId, pan, amountFen: 50_000 });
  const posted = w1!.withdrawalEvent('posted', { requestId, transactionId, pan, amountFen: 50_000 });
  await w1!.publish('event', authorised.bytes);
  await w1!.publish('event', posted.bytes);
  await w1!.waitForAck(posted.seq);
  await until(fx.gateway.pipeline, ['idle-check'], () => fx.gateway.pipeline.counters.settlements >= 1);
  await fx.gateway.flush();
  t.equal(fx.gateway.bank.balanceFen(pan), 1_000_000 - 50_100, 'customer paid amount + fee');
  t.equal(fx.gateway.bank.stationBalanceFen('W1'), 50_100, 'station received amount + fee');
  t.equal((await fx.gateway.store.counts()).discrepancies, 0);
});

t.test('wrong PIN is declined (HQ_BANK_PIN_WRONG)', async (t) => {
  const { response } = await authorise({ pan, pin: '654321', amountFen: 10_000 });
  t.same([response.decision, response.declineReason], [2, 1], 'declined: WRONG_PIN');
});

t.test('insufficient funds is declined (HQ_BANK_INSUFFICIENT_FUNDS)', async (t) => {
  const { response } = await authorise({ pan: poorPan, pin: '1111', amountFen: 9_950 });
  t.same(
    [response.decision, response.declineReason],
    [2, 3],
    'declined: INSUFFICIENT_FUNDS (amount + fee > balance)',
  );
});

t.test('the daily limit is declined (HQ_BANK_DAILY_LIMIT)', async (t) => {
  // Within HQ's per-transaction limit (core-ledger's default, 100,000); over the bank's day.
  const { response } = await authorise({ pan, pin: '123456', amountFen: 100_000 });
  t.same([response.decision, response.declineReason], [2, 4], 'declined: CARD_DAILY_LIMIT');
});

t.test('unknown card and a fee beyond the schedule are declined', async (t) => {
  const unknown = await authorise({ pan: luhnPan('999999', 16), pin: '1234', amountFen: 100 });
  t.same(
    [unknown.response.decision, unknown.response.declineReason],
    [2, 7],
    'HQ_BANK_ACCOUNT_UNKNOWN: CARD_INVALID',
  );
  const fee = await authorise({ pan, pin: '123456', amountFen: 100, feeFen: 200 });
  t.same([fee.response.decision, fee.response.declineReason], [2, 13], 'FEE_MISMATCH (R6)');
});

t.test('a reversal releases the hold once, however often it arrives (冲正)', async (t) => {
  const [w1] = fx.stations;
  const before = fx.gateway.bank.availableFen(pan)!;
  const { requestId, transactionId, response } = await authorise({ pan, pin: '123456', amountFen: 20_000 });
  t.equal(response.decision, 1);
  t.equal(fx.gateway.bank.availableFen(pan), before - 20_100, 'held');
  const reversed = w1!.withdrawalEvent('reversed', { requestId, transactionId, pan, amountFen: 20_000 });
  const settled = fx.gateway.pipeline.counters.settlements;
  await w1!.publish('event', reversed.bytes);
  await w1!.waitForAck(reversed.seq);
  await until(fx.gateway.pipeline, ['idle-check'], () => fx.gateway.pipeline.counters.settlements > settled);
  t.equal(fx.gateway.bank.availableFen(pan), before, 'released');
  t.equal(
    await fx.gateway.bank.release(requestId, Date.now()),
    'already_done',
    'a second release changes nothing',
  );
  t.equal(fx.gateway.bank.availableFen(pan), before);
  t.equal(await fx.gateway.bank.post('no-such-request', Date.now()), 'HQ_BANK_HOLD_UNKNOWN');
});

t.test(
  'a bad PIN block and a bad amount are declined by the bank (HQ_BANK_PIN_BLOCK_INVALID, HQ_BANK_AMOUNT_INVALID)',
  async (t) => {
    const bank = fx.gateway.bank;
    const common = {
      transactionId: 'x',
      stationId: 'W1',
      pan,
      businessDate: '2026-11-28',
      atMs: Date.now(),
      feeFen: 100,
    };
    const garbage = await bank.authorise({
      ...common,
      requestId: 'bad-block',
      pinBlock: new Uint8Array(16),
      amountFen: 100,
    });
    t.same(garbage, { approved: false, code: 'HQ_BANK_PIN_BLOCK_INVALID', responseCode: '81' });
    const zero = await bank.authorise({
      ...common,
      requestId: 'bad-amount',
      pinBlock: new Uint8Array(16),
      amountFen: 0,
    });
    t.same(zero, { approved: false, code: 'HQ_BANK_AMOUNT_INVALID', responseCode: '13' });
  },
);
