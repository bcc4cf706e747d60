// Goal: HQ's R5 withdrawal tally (per card per day, per station per day) survives an HQ restart:
// approvals are stored (card digest, never the PAN) before the bank is asked and restored at
// start-up, so the next request over a daily limit is still declined before the bank; a hold
// released (voided, or declined by the bank) frees its room, also after a restart. Method: the
// in-process broker, the gateway in-process on a temp SQLite file, stopped and started again on the same
// file (the fixture's startGateway); a simulated station sends signed requests and events, and the
// answers arrive on down/auth-resp. The bank's own daily limit is set high, so every limit decline
// here is HQ's.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { stationDefaults } from '../src/app/operations.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-memory-fixture.js';
import { luhnPan } from './helpers/station-sim.js';

const panA = luhnPan('622860', 16);
const panB = luhnPan('622861', 16);
const panC = luhnPan('622862', 16);
const limits = {
  ...stationDefaults,
  withdrawalFenMaxPerTransaction: 160_000,
  withdrawalFenMaxPerCardPerDay: 200_000,
  withdrawalFenMaxPerStationPerDay: 300_000,
};
const balanceFen = 5_000_000;
let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['TR1', 'TR2'], {
    stationDefaults: limits,
    bankAccounts: [
      { pan: panA, pin: '123456', balanceFen, dailyLimitFen: balanceFen },
      { pan: panB, pin: '123456', balanceFen, dailyLimitFen: balanceFen },
      { pan: panC, pin: '123456', balanceFen, dailyLimitFen: balanceFen },
    ],
  });
});
t.teardown(async () => {
  await fx.close();
});

async function authorise(pan: string, amountFen: number, pin = '123456', stationIndex = 0) {
  const station = fx.stations[stationIndex];
  const requestId = `req-${randomUUID()}`;
  const transactionId = `txn-${randomUUID()}`;
  const request = station!.authRequest({ requestId, transactionId, tpk: fx.tpk, pan, pin, amountFen });
  await station!.publish('auth-req', request.bytes);
  const response = await station!.waitForAuth(requestId);
  return { requestId, transactionId, decision: response.decision, declineReason: response.declineReason };
}

async function restartGateway(): Promise<void> {
  await fx.gateway.stop();
  await fx.startGateway();
}

interface ApprovalRow {
  request_id: string;
  card_key: string;
  station_id: string;
  amount_fen: number;
  released_at_ms: number | null;
}

function approvalRow(requestId: string): ApprovalRow | undefined {
  return (fx.gateway.store as SqliteStore).db
    .prepare('SELECT * FROM withdrawal_approvals WHERE request_id = ?')
    .get(requestId) as ApprovalRow | undefined;
}

let heldA: { requestId: string; transactionId: string };

t.test('approvals survive a restart: the next request over a daily limit is declined', async (t) => {
  const firstA = await authorise(panA, 150_000);
  t.equal(firstA.decision, 1, 'card A: 150,000 approved');
  heldA = firstA;
  const firstB = await authorise(panB, 100_000);
  t.equal(firstB.decision, 1, 'card B: 100,000 approved');
  const row = approvalRow(firstA.requestId);
  t.ok(row, 'the approval is stored');
  t.same([row?.station_id, row?.amount_fen, row?.released_at_ms], ['TR1', 150_000, null]);
  t.match(row?.card_key, /^[0-9a-f]{64}$/, 'the card key is a digest');
  const raw = JSON.stringify(
    (fx.gateway.store as SqliteStore).db.prepare('SELECT * FROM withdrawal_approvals').all(),
  );
  t.notOk(raw.includes(panA) || raw.includes(panB), 'no PAN is stored (R24)');

  await restartGateway();
  const heldFenA = fx.gateway.bank.availableFen(panA);
  const overCard = await authorise(panA, 60_000);
  t.same(
    [overCard.decision, overCard.declineReason],
    [2, 4],
    'HQ_AUTH_OVER_CARD_DAILY_LIMIT after the restart: 150,000 + 60,000 > 200,000',
  );
  t.equal(fx.gateway.bank.availableFen(panA), heldFenA, 'declined before the bank: nothing held');
  const overStation = await authorise(panB, 60_000);
  t.same(
    [overStation.decision, overStation.declineReason],
    [2, 5],
    'HQ_AUTH_OVER_STATION_DAILY_LIMIT after the restart: 250,000 + 60,000 > 300,000',
  );
  const within = await authorise(panB, 40_000);
  t.equal(within.decision, 1, 'still within every limit: approved (the tally is not over-counted)');
});

t.test('a bank decline releases its stored approval', async (t) => {
  const wrongPin = await authorise(panB, 10_000, '654321');
  t.same([wrongPin.decision, wrongPin.declineReason], [2, 1], 'HQ_BANK_PIN_WRONG');
  await fx.gateway.flush();
  t.ok(approvalRow(wrongPin.requestId)?.released_at_ms, 'stored, then released');
});

t.test('a voided hold frees its room, and stays released after a restart', async (t) => {
  const [station] = fx.stations;
  const common = { ...heldA, pan: panA, amountFen: 150_000 };
  await station!.publish('event', station!.withdrawalEvent('authorised', common).bytes);
  const voided = station!.withdrawalEvent('voided', common);
  const settled = fx.gateway.pipeline.counters.settlements;
  await station!.publish('event', voided.bytes);
  await station!.waitForAck(voided.seq);
  await until(fx.gateway.pipeline, ['idle-check'], () => fx.gateway.pipeline.counters.settlements > settled);
  t.ok(approvalRow(heldA.requestId)?.released_at_ms, 'the release is stored');

  await restartGateway();
  const again = await authorise(panA, 60_000);
  t.equal(again.decision, 1, "card A's room is free after the restart: 0 + 60,000 is approved");
  const overStation = await authorise(panA, 110_000);
  t.same(
    [overStation.decision, overStation.declineReason],
    [2, 5],
    'the station day still holds B (140,000) and the new A (60,000): + 110,000 > 300,000',
  );
});

t.test('an approval that cannot be stored: the bank is not asked, no answer, nothing counted', async (t) => {
  const [station] = fx.stations;
  const store = fx.gateway.store;
  const pipeline = fx.gateway.pipeline;
  const availableFen = fx.gateway.bank.availableFen(panB);
  // The pipeline holds this very store object: an own property shadows the class's method.
  Object.assign(store, {
    recordWithdrawalApproval: async () => {
      throw new Error('disk full');
    },
  });
  const requestId = `req-${randomUUID()}`;
  const request = station!.authRequest({
    requestId,
    transactionId: `txn-${randomUUID()}`,
    tpk: fx.tpk,
    pan: panB,
    pin: '123456',
    amountFen: 10_000,
  });
  const asked = pipeline.counters.authRequests;
  await station!.publish('auth-req', request.bytes);
  await until(pipeline, ['idle-check'], () => pipeline.counters.authRequests > asked);
  await fx.gateway.flush();
  Reflect.deleteProperty(store, 'recordWithdrawalApproval');
  t.equal(fx.gateway.bank.availableFen(panB), availableFen, 'the bank held nothing');
  t.equal(station!.authResponses.has(requestId), false, 'no answer: the kiosk times out and reverses');
  t.equal(approvalRow(requestId), undefined, 'nothing stored');
  // B's card day holds 140,000: 60,000 more fits only if the failed 10,000 was not kept.
  const fits = await authorise(panB, 60_000);
  t.equal(fits.decision, 1, 'the reservation was taken back');
});

t.test(
  "R5 across gateways (issue 14): another HQ process's approval of the card, in the store, counts",
  async (t) => {
    const first = await authorise(panC, 50_000, '123456', 1);
    t.equal(first.decision, 1, 'card C at TR2: 50,000 approved');
    const cardKey = approvalRow(first.requestId)?.card_key;
    t.ok(cardKey !== undefined, 'the approval is stored under the card digest');
    // Another gateway (owning another partition) approved the same card for 120,000: the row its
    // store write left. This gateway's own tally never heard of it.
    await fx.gateway.store.recordWithdrawalApproval(
      {
        requestId: `other-gw-${randomUUID()}`,
        cardKey: cardKey ?? '',
        stationId: 'TR1',
        businessDate: approvalBusinessDate(first.requestId),
        amountFen: 120_000,
        approvedAtMs: Date.now(),
      },
      limits.withdrawalFenMaxPerCardPerDay,
    );
    const heldFen = fx.gateway.bank.availableFen(panC);
    const over = await authorise(panC, 40_000, '123456', 1);
    t.same(
      [over.decision, over.declineReason],
      [2, 4],
      "HQ_AUTH_OVER_CARD_DAILY_LIMIT from the store: 50,000 + 120,000 + 40,000 > 200,000, though this gateway's tally holds 50,000",
    );
    t.equal(fx.gateway.bank.availableFen(panC), heldFen, 'declined before the bank: nothing held');
    t.equal(approvalRow(over.requestId), undefined, 'the refused approval is not stored');
    const fits = await authorise(panC, 30_000, '123456', 1);
    t.equal(
      fits.decision,
      1,
      "exactly to the cap (200,000): approved, and this gateway's tally let go of the refused 40,000",
    );
  },
);

function approvalBusinessDate(requestId: string): string {
  const row = (fx.gateway.store as SqliteStore).db
    .prepare('SELECT business_date FROM withdrawal_approvals WHERE request_id = ?')
    .get(requestId) as { business_date: string } | undefined;
  return row?.business_date ?? '';
}
