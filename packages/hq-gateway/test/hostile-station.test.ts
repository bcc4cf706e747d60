// Goal: HQ trusts provenance, not claims, keeps time on its own clock, and contains one hostile
// station (issues 8, 9). Through a real Mosquitto, an enrolled station with its own key:
// claims a quota purchase HQ never recorded and spends it; posts a withdrawal HQ never
// authorised; signs requests with a clock a day ahead to get a fresh R5 daily limit; replays a
// birth; sends a seq far ahead; while an honest station transacts. Each act is a recorded
// discrepancy or refusal, the hostile station is suspended (persisted across a restart, lifted by
// resume), the honest one keeps being served. An R6 fee change is in force: the new fee is
// approved, the old declined. Quarantined authorisation requests hold no PAN and no PIN block.
// Method: the gateway in-process (hq-fixture), simulated stations sealing with the wire package.
import { randomUUID } from 'node:crypto';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { stationDefaults } from '../src/app/operations.js';
import { stationQuotaView } from '../src/app/quota-view.js';
import { statusReport } from '../src/cli/reports.js';
import type { HqFeeSchedule } from '../src/domain/fee-check.js';
import { defaultCalendarDir, loadCalendarYears } from '../src/main.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-fixture.js';
import { luhnPan, type SimStation, shanghaiDate } from './helpers/station-sim.js';

const dayMs = 86_400_000;
const pan = luhnPan('622860', 16);
const panHonest = luhnPan('622861', 16);
// R6: the standard fee (1.00 yuan) until a change announced a month ago took effect yesterday.
const feeSchedules: HqFeeSchedule[] = [
  {
    version: 1,
    effectiveDate: '2025-01-01',
    announcedAtMs: 0,
    withdrawalFeeFen: 100,
    billPaymentFeeFen: 0,
    mobileTopupFeeFen: 0,
  },
  {
    version: 2,
    effectiveDate: shanghaiDate(Date.now() - dayMs),
    announcedAtMs: Date.now() - 30 * dayMs,
    withdrawalFeeFen: 150,
    billPaymentFeeFen: 0,
    mobileTopupFeeFen: 0,
  },
];
const fee = 150;
let fx: HqFixture;
let hostile: SimStation;
let honest: SimStation;

t.before(async () => {
  fx = await startHqFixture(['HX1', 'HN1'], {
    // R5 as the issue states it: 5,000 yuan per card per day, 3,000 per withdrawal.
    stationDefaults: {
      ...stationDefaults,
      feeSchedules,
      withdrawalFenMaxPerTransaction: 300_000,
      withdrawalFenMaxPerCardPerDay: 500_000,
      withdrawalFenMaxPerStationPerDay: 50_000_000,
    },
    bankAccounts: [
      { pan, pin: '123456', balanceFen: 50_000_000, dailyLimitFen: 50_000_000 },
      { pan: panHonest, pin: '123456', balanceFen: 50_000_000, dailyLimitFen: 50_000_000 },
    ],
  });
  [hostile, honest] = fx.stations as [SimStation, SimStation];
});
t.teardown(async () => {
  await fx.close();
});

async function discrepancyCodes(stationId: string): Promise<string[]> {
  await fx.gateway.flush();
  return (await fx.gateway.store.discrepancies(1_000))
    .filter((d) => d.stationId === stationId)
    .map((d) => d.code);
}

async function ask(
  station: SimStation,
  amountFen: number,
  options: { feeFen?: number; createdAtMs?: number; card?: string } = {},
) {
  const requestId = `req-${randomUUID()}`;
  const transactionId = `txn-${randomUUID()}`;
  const createdAtMs = options.createdAtMs ?? Date.now();
  const request = station.authRequest({
    requestId,
    transactionId,
    tpk: fx.tpk,
    pan: options.card ?? pan,
    pin: '123456',
    amountFen,
    feeFen: options.feeFen ?? fee,
    createdAtMs,
    expiresAtMs: createdAtMs + 60_000,
  });
  await station.publish('auth-req', request.bytes);
  const response = await station.waitForAuth(requestId);
  return { requestId, transactionId, ...response };
}

t.test('R6: after a fee change the new fee is approved and the old one declined', async (t) => {
  const approved = await ask(honest, 10_000, { card: panHonest });
  t.equal(approved.decision, 1, 'the fee in force (1.50 yuan) is approved');
  const common = {
    requestId: approved.requestId,
    transactionId: approved.transactionId,
    pan: panHonest,
    amountFen: 10_000,
    feeFen: fee,
  };
  await honest.publish('event', honest.withdrawalEvent('authorised', common).bytes);
  const posted = honest.withdrawalEvent('posted', common);
  await honest.publish('event', posted.bytes);
  await honest.waitForAck(posted.seq);
  t.same(await discrepancyCodes('HN1'), [], 'a withdrawal HQ granted: held and posted without discrepancy');
  const old = await ask(honest, 10_000, { card: panHonest, feeFen: 100 });
  t.same([old.decision, old.declineReason], [2, 13], 'the old fee is FEE_MISMATCH');
});

t.test(
  'quota only from purchases HQ recorded (R3): a forged purchase and its spending are discrepancies',
  async (t) => {
    const forged = hostile.quotaApplied('never-bought', 1_000_000);
    await hostile.publish('event', forged.bytes);
    const bill = hostile.billPayment(20_000);
    await hostile.publish('event', bill.bytes);
    await hostile.waitForAck(bill.seq);
    const codes = await discrepancyCodes('HX1');
    t.ok(codes.includes('HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN'), 'the purchase HQ never made');
    t.ok(codes.includes('HQ_DISCREPANCY_QUOTA_OVERDRAWN'), 'spending against it');
    t.equal(fx.gateway.quotaFenAvailable('HX1'), 0, 'nothing credited');
    const bought = await fx.gateway.operations.purchaseQuota('HX1', { yuan: '500' }, 'OUTLET-HX1-1');
    t.same([bought.outcome, bought.amountYuan], ['recorded', '500.00']);
    hostile.quotaFen = 0;
    const honestApply = hostile.quotaApplied('OUTLET-HX1-1', 50_000, bought.configVersion);
    await hostile.publish('event', honestApply.bytes);
    await hostile.waitForAck(honestApply.seq);
    await fx.gateway.flush();
    t.equal(fx.gateway.quotaFenAvailable('HX1'), 50_000, 'a recorded purchase is credited');
    const offline = await stationQuotaView(
      fx.gateway.store,
      fx.gateway.integrity,
      loadCalendarYears(defaultCalendarDir),
      'HX1',
    );
    t.equal(
      offline.quotaFen,
      50_000,
      'the offline quota view (hq config send) does not count the forged purchase',
    );
  },
);

t.test('a withdrawal HQ never authorised is a discrepancy and never revenue (R5)', async (t) => {
  const unauthorised = async () =>
    (await discrepancyCodes('HX1')).filter((c) => c === 'HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED').length;
  const before = await unauthorised();
  const common = {
    requestId: 'req-forged',
    transactionId: 'txn-forged',
    pan,
    amountFen: 300_000,
    feeFen: fee,
  };
  await hostile.publish('event', hostile.withdrawalEvent('authorised', common).bytes);
  const posted = hostile.withdrawalEvent('posted', common);
  await hostile.publish('event', posted.bytes);
  await hostile.waitForAck(posted.seq);
  t.equal((await unauthorised()) - before, 2, 'authorised and posted both flagged');
  const granted = await ask(hostile, 10_000);
  t.equal(granted.decision, 1);
  const inflated = {
    requestId: granted.requestId,
    transactionId: granted.transactionId,
    pan,
    amountFen: 250_000,
    feeFen: fee,
  };
  const event = hostile.withdrawalEvent('authorised', inflated);
  await hostile.publish('event', event.bytes);
  await hostile.waitForAck(event.seq);
  t.equal((await unauthorised()) - before, 3, 'an amount above the grant');
});

t.test("R5 daily limits on HQ's clock: a kiosk a day ahead gets no fresh limit (issue 9)", async (t) => {
  const card = luhnPan('622862', 16);
  await fx.gateway.bank.seedAccounts([
    { pan: card, pin: '123456', balanceFen: 50_000_000, dailyLimitFen: 50_000_000 },
  ]);
  // The card's whole day (R5 defaults: core-ledger's), in withdrawals at the per-transaction cap.
  const perTransactionFen = stationDefaults.withdrawalFenMaxPerTransaction;
  const approved: number[] = [];
  for (let usedFen = 0; usedFen + perTransactionFen <= stationDefaults.withdrawalFenMaxPerCardPerDay; ) {
    approved.push((await ask(hostile, perTransactionFen, { card })).decision);
    usedFen += perTransactionFen;
  }
  t.ok(
    approved.length > 0 && approved.every((decision) => decision === 1),
    "the card's daily limit used today",
  );
  const ahead = await ask(hostile, perTransactionFen, { card, createdAtMs: Date.now() + dayMs });
  t.same(
    [ahead.decision, ahead.declineReason],
    [2, 4],
    'another withdrawal "tomorrow" by the kiosk clock: CARD_DAILY_LIMIT',
  );
  t.ok(
    (await discrepancyCodes('HX1')).includes('HQ_DISCREPANCY_CLOCK_SKEW'),
    'the skewed timestamp is recorded',
  );
});

t.test('a replayed birth does not bring a dead session back (freshness)', async (t) => {
  const birth = hostile.seal(PayloadType.PAYLOAD_TYPE_BIRTH, {
    bdSeq: 7,
    agentVersion: '1.0.0',
    orgCode: hostile.orgCode,
    configVersionApplied: 1,
    lastJournalSeq: 1,
    oldestUnackedSeq: 0,
    outboxDepth: 0,
    bootedAtMs: Date.now(),
    peripherals: [],
    tokenState: 1,
  });
  const status = () => fx.gateway.pipeline.status('HX1')!;
  await hostile.publish('birth', birth.bytes);
  await until(fx.gateway.pipeline, ['status'], () => status().bdSeq === 7 && status().online);
  await hostile.publish('death', hostile.seal(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq: 7 }).bytes);
  await until(fx.gateway.pipeline, ['status'], () => !status().online);
  const stale = fx.gateway.pipeline.counters.staleStatus;
  await hostile.publish('birth', birth.bytes);
  await until(fx.gateway.pipeline, ['status'], () => fx.gateway.pipeline.counters.staleStatus === stale + 1);
  t.same([status().online, status().offlineReason], [false, 'death'], 'still offline');
});

t.test('quarantined authorisation requests keep no PAN and no PIN block', async (t) => {
  const forged = hostile.seal(
    PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST,
    {
      requestId: 'req-bad-key',
      transactionId: 'txn-bad-key',
      pan,
      pinBlock: new Uint8Array(16).fill(0xab),
      pinBlockFormat: 4,
      tpkKeyId: 'tpk-test',
      card: { maskedPan: `${pan.slice(0, 6)}******${pan.slice(-4)}`, cardToken: 'y' },
      amountFen: 1,
      feeFen: fee,
      feeScheduleVersion: 2,
      expiresAtMs: Date.now() + 60_000,
    },
    { keyId: 'not-the-enrolled-key' },
  );
  await hostile.publish('auth-req', forged.bytes);
  await until(
    fx.gateway.pipeline,
    ['quarantined'],
    () => (fx.gateway.pipeline.counters.quarantinedByReason.HQ_KEY_UNKNOWN ?? 0) >= 1,
  );
  await fx.gateway.flush();
  const row = (await fx.gateway.store.quarantine(1_000)).find((q) => q.reasonCode === 'HQ_KEY_UNKNOWN')!;
  const text = Buffer.from(row.raw).toString('latin1');
  t.notOk(text.includes(pan), 'no full PAN');
  t.notOk(Buffer.from(row.raw).includes(Buffer.alloc(16, 0xab)), 'no PIN block');
  const copy = JSON.parse(Buffer.from(row.raw).toString('utf8'));
  t.match(copy, {
    redacted: 'authorisation-request',
    requestId: 'req-bad-key',
    maskedPan: `${pan.slice(0, 6)}******${pan.slice(-4)}`,
  });
  t.match(copy.envelopeSha256, /^[0-9a-f]{64}$/, 'the envelope hash as evidence');
});

t.test(
  'a station sending a seq far ahead is suspended; the others are served; a restart keeps it',
  async (t) => {
    const far = hostile.billPayment(1_000, { seq: 1_000_000_000 });
    await hostile.publish('event', far.bytes);
    await until(
      fx.gateway.pipeline,
      ['quarantined'],
      () => (fx.gateway.pipeline.counters.quarantinedByReason.HQ_SEQ_TOO_FAR_AHEAD ?? 0) === 1,
    );
    t.match(fx.gateway.pipeline.suspension('HX1'), { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' });
    const next = hostile.billPayment(1_000);
    await hostile.publish('event', next.bytes);
    await until(
      fx.gateway.pipeline,
      ['quarantined'],
      () => (fx.gateway.pipeline.counters.quarantinedByReason.HQ_STATION_SUSPENDED ?? 0) >= 1,
    );
    const bought = await fx.gateway.operations.purchaseQuota('HN1', { yuan: '500.00' }, 'OUTLET-HN1-1');
    await honest.publish('event', honest.quotaApplied('OUTLET-HN1-1', 50_000, bought.configVersion).bytes);
    const served = honest.billPayment(1_000);
    await honest.publish('event', served.bytes);
    await honest.waitForAck(served.seq);
    t.pass('the honest station is acknowledged while HX1 is suspended');
    await fx.gateway.flush();
    const alerts = await fx.gateway.integrity.stationAlerts();
    t.match(
      alerts.find((a) => a.stationId === 'HX1'),
      { suspension: { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' } },
    );
    t.ok(
      (alerts.find((a) => a.stationId === 'HX1')?.discrepancyCount ?? 0) > 0,
      'its discrepancies are alerts too',
    );
    const report = await statusReport(fx.gateway.store);
    t.match(
      report.text,
      /ALERT HX1: suspended \(HQ_SEQ_TOO_FAR_AHEAD\); \d+ discrepancies, newest HQ_/,
      'hq status shows it',
    );
    t.notMatch(report.text, /ALERT HN1/, 'the honest station has no alert');
    await fx.gateway.stop();
    await fx.startGateway();
    t.match(
      fx.gateway.pipeline.suspension('HX1'),
      { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' },
      'persisted across a restart',
    );
    t.equal(await fx.gateway.operations.resumeStation('HX1'), 'resumed');
    t.equal(fx.gateway.pipeline.suspension('HX1'), null);
  },
);
