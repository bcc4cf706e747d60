// Goal: the transaction core end to end in one process: HQ-signed config verified before use,
// bill payments and top-ups consume quota with every refusal reason at once (R21, R2, R20), a
// withdrawal goes card → PIN → authorisation → cash confirmed → posted with a checkable receipt
// (R9), no answer → reversal stored and forwarded, and a restart settles what was in flight.
// Method: the real SQLite store and a real SoftHSM signer; the link is in memory so the test can
// play HQ (answers sealed with an HQ key); a manual clock fires the authorisation timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeHash } from '@bianmin/core-ledger';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import type { Logger } from 'pino';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent, type KioskAgentOptions } from '../../src/agent.js';
import { verifyReceiptNumber } from '../../src/domain/tx/receipt.js';
import { AgentError } from '../../src/errors.js';
import { downMessageBytesMax } from '../../src/limits.js';
import type { PinPad } from '../../src/ports/pin-pad.js';
import type { Signer } from '../../src/ports/signer.js';
import {
  fakeCardReader,
  fakePinPad,
  HqKey,
  ManualClock,
  MemoryLink,
  recordingLogger,
  silentLogger,
  softHsmSigner,
  TEN_AM_MS,
} from './helpers.js';

const STATION = 'ST0001';
const PAN = '6222021234567890128';
const uk = softHsmSigner('AGENT-UNIT');
t.teardown(() => uk.close());
const hq = new HqKey();

interface Rig {
  agent: KioskAgent;
  db: KioskDb;
  link: MemoryLink;
  clock: ClockLike;
  path: string;
}
type ClockLike = ManualClock;

async function rig(
  t: import('tap').Test,
  options: {
    path?: string;
    clock?: ManualClock;
    pans?: string[];
    autoDailyClose?: boolean;
    pinPad?: PinPad;
    signer?: Signer;
    logger?: Logger;
  } = {},
): Promise<Rig> {
  let path = options.path;
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-agent-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    path = join(dir, 'kiosk.db');
  }
  const db = new KioskDb({ path });
  const clock = options.clock ?? new ManualClock();
  let link: MemoryLink | undefined;
  const agentOptions: KioskAgentOptions = {
    stationId: STATION,
    keyId: uk.keyId,
    db,
    signer: options.signer ?? uk.signer,
    cardReader: fakeCardReader(options.pans ?? [PAN, PAN, PAN, PAN]),
    pinPad: options.pinPad ?? fakePinPad(),
    clock,
    logger: options.logger ?? silentLogger,
    hqPublicKeys: hq.pinned(),
    cardTokenKey: new Uint8Array(32).fill(7),
    tpkKeyId: 'TPK1',
    mqtt: { brokerUrl: 'mqtt://unused' },
    autoDailyClose: options.autoDailyClose ?? false,
    diskFreeBytes: () => 123_456_789,
    makeLink: () => {
      link = new MemoryLink(db);
      return link;
    },
  };
  const agent = await KioskAgent.open(agentOptions);
  agent.start();
  t.teardown(async () => {
    await agent.stop();
    db.close();
  });
  return { agent, db, link: link!, clock, path };
}

function deliverConfig(r: Rig, overrides = {}): Promise<void> {
  r.link.deliver(downTopic(STATION, 'config'), hq.config(STATION, overrides));
  return waitFor(() => r.agent.status().configVersion > 0);
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200_000 && !check(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error('condition never became true');
}

/** Answers the pending authorisation request the agent sent. */
function answer(r: Rig, decision: 'approve' | 'decline'): void {
  const sent = r.link.direct.at(-1)!;
  const opened = openVerifiedEnvelope(sent.payload, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST) throw new Error('not an auth request');
  const request = opened.body;
  r.link.deliver(
    downTopic(STATION, 'auth-resp'),
    hq.seal(STATION, PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: request.requestId,
      transactionId: request.transactionId,
      decision: decision === 'approve' ? 1 : 2,
      declineReason: decision === 'approve' ? 0 : 1,
      bankResponseCode: decision === 'approve' ? '00' : '55',
      bankReference: decision === 'approve' ? 'BANK-1' : '',
      amountFen: Number(request.amountFen),
      feeFen: decision === 'approve' ? 100 : 0,
      respondedAtMs: TEN_AM_MS,
    }),
  );
}

function outboxTypes(db: KioskDb): string[] {
  return db.read(1, db.headSeq()).map((row) => row.payloadType);
}

t.test(
  'AGENT_TX_NO_CONFIG (R4) until a verified HQ config arrives; badly signed configs are refused',
  async (t) => {
    const r = await rig(t);
    const before = await r.agent.payBill({
      billerKind: 'WATER',
      billerCode: 'W1',
      accountNumber: 'A1',
      amountFen: 1000,
    });
    t.match(before, { ok: false, reasons: [{ code: 'AGENT_TX_NO_CONFIG' }] });
    const forged = hq.config(STATION);
    forged[forged.length - 5] ^= 0xff;
    r.link.deliver(downTopic(STATION, 'config'), forged);
    r.link.deliver(downTopic(STATION, 'config'), hq.config('ST0002'));
    t.equal(
      r.agent.status().configVersion,
      0,
      'AGENT_DOWN_BAD_SIGNATURE / AGENT_DOWN_WRONG_STATION: nothing applied',
    );
    await deliverConfig(r);
    t.equal(r.agent.status().configVersion, 1);
    t.equal(r.agent.quotaFenAvailable(), 100_000);
  },
);

t.test(
  'bill payment and top-up: signed, seq-contiguous events; quota consumed; receipts checkable',
  async (t) => {
    const r = await rig(t);
    await deliverConfig(r);
    const bill = await r.agent.payBill({
      billerKind: 'ELECTRICITY',
      billerCode: 'SGCC',
      accountNumber: '88-1',
      amountFen: 12_345,
      txId: 'bill-00001',
    });
    t.match(bill, { ok: true, payment: { amountFen: 12_345, quotaFenAfter: 87_655 } });
    if (!bill.ok) throw new Error('unreachable');
    t.ok(verifyReceiptNumber(bill.payment.receiptNumber), 'R9 receipt verifies offline');
    const again = await r.agent.payBill({
      billerKind: 'ELECTRICITY',
      billerCode: 'SGCC',
      accountNumber: '88-1',
      amountFen: 12_345,
      txId: 'bill-00001',
    });
    t.same(again, bill, 'same client id, same content: the first result, nothing paid twice');
    const clash = await r.agent.payBill({
      billerKind: 'ELECTRICITY',
      billerCode: 'SGCC',
      accountNumber: '88-1',
      amountFen: 1,
      txId: 'bill-00001',
    });
    t.match(clash, { ok: false, reasons: [{ code: 'AGENT_TX_DUPLICATE_ID' }] });
    const topup = await r.agent.topUp({ phoneNumber: '13800138000', carrier: 'CMCC', amountFen: 5_000 });
    t.match(topup, { ok: true, payment: { quotaFenAfter: 82_655 } });
    const types = outboxTypes(r.db);
    t.same(types, [
      'PAYLOAD_TYPE_CONFIG_APPLIED',
      'PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED',
      'PAYLOAD_TYPE_BILL_PAYMENT',
      'PAYLOAD_TYPE_MOBILE_TOPUP',
    ]);
    const rows = r.db.read(1, r.db.headSeq());
    rows.forEach((row, index) => {
      const opened = openVerifiedEnvelope(row.envelopeBytes, () => uk.publicKeyPem);
      t.equal(opened.header.seq, index + 1, `event ${index + 1} signed by the UK key with its seq`);
    });
    r.link.acknowledged(3);
    t.equal(r.db.depth(), 1, 'acked rows leave the outbox, the rest stays');
  },
);

t.test('R21: over quota, over limit and outside hours are refused together', async (t) => {
  const clock = new ManualClock(TEN_AM_MS + 4.5 * 3600_000); // 14:30, maintenance window
  const r = await rig(t, { clock });
  await deliverConfig(r, {
    quotaPurchases: [{ purchaseId: 'P-SMALL', amountFen: 50_000, purchasedAtMs: TEN_AM_MS }],
  });
  const refused = await r.agent.payBill({
    billerKind: 'GAS',
    billerCode: 'G',
    accountNumber: '1',
    amountFen: 300_000,
  });
  t.match(refused, {
    ok: false,
    reasons: [
      { code: 'AGENT_TX_OVER_LIMIT' },
      { code: 'AGENT_TX_OUTSIDE_SERVICE_HOURS', message: /LEDGER_IN_MAINTENANCE_WINDOW/ },
      { code: 'AGENT_TX_QUOTA_EXCEEDED', message: /LEDGER_QUOTA_INSUFFICIENT/ },
    ],
  });
  t.equal(r.agent.quotaFenAvailable(), 50_000, 'nothing of a refused payment is recorded (R2)');
});

t.test('withdrawal: approved → cash confirmed → posted; declined; timeout → reversal', async (t) => {
  const r = await rig(t);
  await deliverConfig(r);
  const pending = r.agent.startWithdrawal({ amountFen: 50_000, txId: 'wd-000001' });
  await waitFor(() => r.link.direct.length === 1);
  t.equal(r.agent.withdrawal('wd-000001')?.phase, 'auth_requested', 'request journaled before it left');
  answer(r, 'approve');
  t.match(await pending, { ok: true, withdrawal: { phase: 'authorised', feeFen: 100 } });
  t.match(await r.agent.confirmCash('wd-000001'), { ok: true, withdrawal: { phase: 'posted' } });
  t.match(await r.agent.voidWithdrawal('wd-000001'), {
    ok: false,
    reasons: [{ code: 'AGENT_TX_WRONG_PHASE' }],
  });
  t.match(await r.agent.confirmCash('nope'), { ok: false, reasons: [{ code: 'AGENT_OPERATOR_NOT_FOUND' }] });

  const declined = r.agent.startWithdrawal({ amountFen: 1_000, txId: 'wd-000002' });
  await waitFor(() => r.link.direct.length === 2);
  answer(r, 'decline');
  t.match(await declined, { ok: true, withdrawal: { phase: 'declined' } });

  const timedOut = r.agent.startWithdrawal({ amountFen: 2_000, txId: 'wd-000003' });
  await waitFor(() => r.link.direct.length === 3);
  r.clock.advance(5_000);
  t.match(await timedOut, { ok: true, withdrawal: { phase: 'reversed', reasonCode: 'AGENT_AUTH_TIMEOUT' } });

  const voided = r.agent.startWithdrawal({ amountFen: 3_000, txId: 'wd-000004' });
  await waitFor(() => r.link.direct.length === 4);
  answer(r, 'approve');
  await voided;
  t.match(await r.agent.voidWithdrawal('wd-000004'), { ok: true, withdrawal: { phase: 'voided' } });
  t.same(outboxTypes(r.db).slice(2), [
    'PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED',
    'PAYLOAD_TYPE_WITHDRAWAL_POSTED',
    'PAYLOAD_TYPE_WITHDRAWAL_DECLINED',
    'PAYLOAD_TYPE_WITHDRAWAL_REVERSED',
    'PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED',
    'PAYLOAD_TYPE_WITHDRAWAL_VOIDED',
  ]);
  for (const row of r.db.rows())
    t.notMatch(row.payloadJson, /6222021234567890128/, 'no full PAN in the journal (R24)');
  t.match(r.agent.dayTotals('2026-11-28').CASH_WITHDRAWAL, { count: 1, amountFen: 50_000, feeFen: 100 });
  const close = await r.agent.dailyClose('2026-11-28');
  t.match(close, { ok: true, close: { businessDate: '2026-11-28' } });
  t.match(await r.agent.dailyClose('2026-11-28'), {
    ok: false,
    reasons: [{ code: 'AGENT_CLOSE_NOTHING_NEW' }],
  });
});

t.test('restart settles withdrawals in flight: reversed, voided, abandoned (recovery codes)', async (t) => {
  const first = await rig(t);
  await deliverConfig(first);
  await first.agent.payBill({ billerKind: 'GAS', billerCode: 'G1', accountNumber: 'A9', amountFen: 7_000 });
  const quotaBefore = first.agent.quotaFenAvailable();
  void first.agent.startWithdrawal({ amountFen: 1_000, txId: 'wd-inflight' });
  await waitFor(() => first.link.direct.length === 1);
  // The process "dies" here: a second agent opens the same journal.
  const second = await rig(t, { path: first.path });
  t.match(second.agent.withdrawal('wd-inflight'), {
    phase: 'reversed',
    reasonCode: 'AGENT_RECOVERY_REVERSED',
  });
  t.equal(second.agent.status().openTransactions, 0, 'nothing left hanging');
  t.equal(second.agent.status().configVersion, 1, 'last good config kept across restart');
  t.equal(second.agent.quotaFenAvailable(), quotaBefore, 'core-ledger rebuilt from the journal: same quota');
  t.equal(quotaBefore, 93_000);
});

t.test('AGENT_JOURNAL_CHAIN_BROKEN: the agent refuses to open a tampered journal', async (t) => {
  const r = await rig(t);
  await deliverConfig(r);
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(r.path);
  raw.prepare("UPDATE journal SET payload_json = '{}' WHERE idx = 0").run();
  raw.close();
  await t.rejects(
    KioskAgent.open({
      stationId: STATION,
      keyId: uk.keyId,
      db: new KioskDb({ path: r.path }),
      signer: uk.signer,
      cardReader: fakeCardReader([]),
      pinPad: fakePinPad(),
      clock: new ManualClock(),
      logger: silentLogger,
      hqPublicKeys: hq.pinned(),
      cardTokenKey: new Uint8Array(32),
      tpkKeyId: 'TPK1',
      mqtt: { brokerUrl: 'mqtt://unused' },
      makeLink: (o) => new MemoryLink(o.outbox as KioskDb),
    }),
    { code: 'AGENT_JOURNAL_CHAIN_BROKEN' },
  );
});

t.test('R7: the business day closes by itself at Shanghai midnight, sealed and chained', async (t) => {
  const r = await rig(t, { autoDailyClose: true });
  await deliverConfig(r);
  await r.agent.payBill({ billerKind: 'WATER', billerCode: 'W1', accountNumber: 'A1', amountFen: 2_000 });
  r.clock.advance(14 * 3600_000 + 1_000); // 10:00 -> 00:00:01 next day
  await waitFor(() => r.db.getMeta('daily_close:2026-11-28') !== null);
  const rows = r.db.read(1, r.db.headSeq());
  const close = rows.at(-1)!;
  t.equal(close.payloadType, 'PAYLOAD_TYPE_DAILY_CLOSE');
  const opened = openVerifiedEnvelope(close.envelopeBytes, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_DAILY_CLOSE) throw new Error('not a close');
  t.equal(opened.body.businessDate, '2026-11-28');
  t.equal(opened.body.closeSequence, 1);
  t.equal(opened.body.previousCloseHash, '0'.repeat(64), 'first close chains to the genesis hash');
  t.match(opened.body.closeHash, /^[0-9a-f]{64}$/);
  const bill = opened.body.totals.find((line) => line.kind === 2);
  t.match(bill, { count: 1, amountFen: 2_000, quotaFenConsumed: 2_000 }, 'bill payment totals in the close');
  // HQ recomputes the hash with core-ledger from the wire fields alone: every field must get there.
  const kinds = ['', 'CASH_WITHDRAWAL', 'BILL_PAYMENT', 'MOBILE_TOPUP', '', '', 'REVERSAL', 'QUOTA_PURCHASE'];
  const totals = Object.fromEntries(
    opened.body.totals.map((line) => [
      kinds[line.kind ?? 0],
      {
        count: Number(line.count),
        amountFen: Number(line.amountFen),
        feeFen: Number(line.feeFen),
        quotaConsumedFen: Number(line.quotaFenConsumed),
      },
    ]),
  );
  t.equal(
    closeHash({
      stationId: opened.header.stationId,
      businessDate: opened.body.businessDate,
      sequence: opened.body.closeSequence,
      closedAtMs: Number(opened.body.closedAtMs),
      totals: totals as never,
      holdsPendingCount: opened.body.holdsPendingCount,
      previousHash: opened.body.previousCloseHash,
    }),
    opened.body.closeHash,
    'close hash recomputed from the wire fields matches',
  );
});

t.test(
  'offline: a withdrawal whose request cannot leave is reversed at once, not after the timeout',
  async (t) => {
    const r = await rig(t);
    await deliverConfig(r);
    r.link.sendDirect = async (topic, payload) => {
      r.link.direct.push({ topic, payload });
      return false;
    };
    const outcome = await r.agent.startWithdrawal({ amountFen: 1_000, txId: 'wd-offline1' });
    t.match(outcome, { ok: true, withdrawal: { phase: 'reversed', reasonCode: 'AGENT_AUTH_TIMEOUT' } });
  },
);

t.test('withdrawal refusals: AGENT_TX_CARD_FAILED, AGENT_TX_PIN_FAILED, AGENT_TX_BUSY', async (t) => {
  const noCard = await rig(t, { pans: [] });
  await deliverConfig(noCard);
  t.match(await noCard.agent.startWithdrawal({ amountFen: 100 }), {
    ok: false,
    reasons: [{ code: 'AGENT_TX_CARD_FAILED' }],
  });

  const cancelling: PinPad = {
    ...fakePinPad(),
    startPinEntry: async () => {
      throw new AgentError('AGENT_PINPAD_CANCELLED', 'customer pressed cancel');
    },
  };
  const noPin = await rig(t, { pinPad: cancelling });
  await deliverConfig(noPin);
  t.match(await noPin.agent.startWithdrawal({ amountFen: 100, txId: 'wd-nopin01' }), {
    ok: false,
    reasons: [{ code: 'AGENT_TX_PIN_FAILED', message: 'AGENT_PINPAD_CANCELLED' }],
  });
  t.equal(noPin.agent.withdrawal('wd-nopin01')?.phase, 'abandoned', 'journaled as abandoned, nothing sent');

  const busy = await rig(t);
  await deliverConfig(busy);
  const first = busy.agent.startWithdrawal({ amountFen: 100 });
  await waitFor(() => busy.link.direct.length === 1);
  t.match(await busy.agent.startWithdrawal({ amountFen: 100 }), {
    ok: false,
    reasons: [{ code: 'AGENT_TX_BUSY' }],
  });
  answer(busy, 'decline');
  await first;
});

t.test('AGENT_RECOVERY_VOIDED: authorised but no cash confirmation when the process died', async (t) => {
  const first = await rig(t);
  await deliverConfig(first);
  const pending = first.agent.startWithdrawal({ amountFen: 1_000, txId: 'wd-authd01' });
  await waitFor(() => first.link.direct.length === 1);
  answer(first, 'approve');
  await pending;
  const second = await rig(t, { path: first.path });
  t.match(second.agent.withdrawal('wd-authd01'), { phase: 'voided', reasonCode: 'AGENT_RECOVERY_VOIDED' });
});

t.test('AGENT_TX_SIGNER_UNAVAILABLE: nothing is journaled when the UK key cannot sign', async (t) => {
  const broken: Signer = {
    ...uk.signer,
    state: () => uk.signer.state(),
    signDigest: async () => {
      throw new AgentError('AGENT_TOKEN_NOT_PRESENT', 'token pulled');
    },
    publicKey: () => uk.signer.publicKey(),
    onStateChange: (listener) => uk.signer.onStateChange(listener),
    close: async () => undefined,
  };
  const r = await rig(t, { signer: broken });
  const before = r.db.rowCount();
  await t.rejects(r.agent.applyConfig(new Uint8Array(0), { configVersion: 9 } as never), {
    code: 'AGENT_TX_SIGNER_UNAVAILABLE',
  });
  t.equal(r.db.rowCount(), before, 'no journal row without its signed event');
});

t.test(
  'a signing failure of the authorisation request: journaled, never sent, abandoned at once',
  async (t) => {
    let failNext = false;
    const flaky: Signer = {
      ...uk.signer,
      state: () => uk.signer.state(),
      signDigest: async (digest) => {
        if (failNext) {
          failNext = false;
          throw new AgentError('AGENT_TOKEN_NOT_PRESENT', 'token pulled');
        }
        return await uk.signer.signDigest(digest);
      },
      publicKey: () => uk.signer.publicKey(),
      onStateChange: (listener) => uk.signer.onStateChange(listener),
      close: async () => undefined,
    };
    const r = await rig(t, { signer: flaky });
    await deliverConfig(r, {});
    failNext = true;
    const outcome = await r.agent.startWithdrawal({ amountFen: 10_000, txId: 'wd-unsigned1' });
    t.match(
      outcome,
      { ok: true, withdrawal: { phase: 'abandoned', reasonCode: 'AGENT_TX_SIGNER_UNAVAILABLE' } },
      'ended at once, no money held',
    );
    t.equal(r.link.direct.length, 0, 'no authorisation request left the kiosk');
    const kinds = r.db.rowsOfTx('wd-unsigned1').map((row) => row.kind);
    t.same(kinds, ['withdrawal.card_read', 'withdrawal.auth_requested', 'withdrawal.abandoned']);
    t.equal(r.agent.status().openTransactions, 0, 'nothing left open');
  },
);

const DAILY_LIMITS = {
  withdrawalFenMaxPerTransaction: 500_000,
  withdrawalFenMaxPerCardPerDay: 60_000,
  withdrawalFenMaxPerStationPerDay: 80_000,
  billPaymentFenMaxPerTransaction: 200_000,
  topupFenMaxPerTransaction: 50_000,
  authorisationTimeoutMs: 5_000,
};

t.test('R5 daily limits are checked before the bank is asked, every reason at once (R21)', async (t) => {
  const r = await rig(t);
  await deliverConfig(r, { limits: DAILY_LIMITS });
  const first = r.agent.startWithdrawal({ amountFen: 50_000, txId: 'wd-daily001' });
  await waitFor(() => r.link.direct.length === 1);
  answer(r, 'approve');
  await first;
  await r.agent.confirmCash('wd-daily001');
  const second = await r.agent.startWithdrawal({ amountFen: 40_000, txId: 'wd-daily002' });
  t.match(second, {
    ok: false,
    reasons: [
      { code: 'AGENT_TX_OVER_LIMIT', message: /LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT/ },
      { code: 'AGENT_TX_OVER_LIMIT', message: /LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT/ },
    ],
  });
  t.equal(r.link.direct.length, 1, 'no authorisation request left for the refused withdrawal');
  t.match(r.agent.withdrawal('wd-daily002'), { phase: 'abandoned', reasonCode: 'AGENT_TX_OVER_LIMIT' });
  t.equal(r.agent.status().openTransactions, 0);
  const within = r.agent.startWithdrawal({ amountFen: 10_000, txId: 'wd-daily003' });
  await waitFor(() => r.link.direct.length === 2);
  answer(r, 'approve');
  t.match(
    await within,
    { ok: true, withdrawal: { phase: 'authorised' } },
    'the dry run left the ledger as it was',
  );
});

t.test('AGENT_TX_HOLD_REFUSED: approved, then the hold is refused (race) → reversed at once', async (t) => {
  const r = await rig(t);
  await deliverConfig(r);
  const pending = r.agent.startWithdrawal({ amountFen: 50_000, txId: 'wd-race0001' });
  await waitFor(() => r.link.direct.length === 1);
  r.link.deliver(
    downTopic(STATION, 'config'),
    hq.config(STATION, {
      configVersion: 2,
      limits: { ...DAILY_LIMITS, withdrawalFenMaxPerCardPerDay: 10_000 },
    }),
  );
  await waitFor(() => r.agent.status().configVersion === 2);
  answer(r, 'approve');
  t.match(await pending, {
    ok: true,
    withdrawal: { phase: 'reversed', reasonCode: 'AGENT_TX_HOLD_REFUSED' },
  });
  const last = r.db.read(1, r.db.headSeq()).at(-1)!;
  const opened = openVerifiedEnvelope(last.envelopeBytes, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED) throw new Error('not a reversal');
  t.match(opened.body, { transactionId: 'wd-race0001', bankReference: 'BANK-1', reason: 3 });
  t.equal(r.agent.status().openTransactions, 0, 'no bank money left held');
});

function wireEvents(db: KioskDb, type: number): Record<string, unknown>[] {
  return db
    .read(1, db.headSeq())
    .map((row) => openVerifiedEnvelope(row.envelopeBytes, () => uk.publicKeyPem))
    .filter((opened) => opened.type === type)
    .map((opened) => opened.body as unknown as Record<string, unknown>);
}

t.test(
  'ConfigApplied: accepted when applied; refused (bad signature, older) with the reason, once',
  async (t) => {
    const r = await rig(t);
    const forged = hq.config(STATION, { configVersion: 3 });
    forged[forged.length - 5] ^= 0xff;
    r.link.deliver(downTopic(STATION, 'config'), forged);
    await waitFor(() => wireEvents(r.db, PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED).length === 1);
    t.match(wireEvents(r.db, PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED)[0], {
      configVersion: 3,
      accepted: false,
      detail: /AGENT_HQ_CONFIG_REFUSED: AGENT_DOWN_BAD_SIGNATURE/,
    });
    const v2 = hq.config(STATION, { configVersion: 2 });
    r.link.deliver(downTopic(STATION, 'config'), v2);
    await waitFor(() => r.agent.status().configVersion === 2);
    r.link.deliver(downTopic(STATION, 'config'), forged); // the same bad retained message again
    r.link.deliver(downTopic(STATION, 'config'), v2); // the running config, retained: no news
    r.link.deliver(downTopic(STATION, 'config'), hq.config(STATION, { configVersion: 1 }));
    await waitFor(() => wireEvents(r.db, PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED).length === 3);
    await r.agent.payBill({ billerKind: 'WATER', billerCode: 'W1', accountNumber: 'A1', amountFen: 100 });
    const answers = wireEvents(r.db, PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED);
    t.equal(answers.length, 3, 'the repeated bad config and the retained running one add nothing');
    t.match(answers[1], { configVersion: 2, accepted: true });
    t.match(answers[2], {
      configVersion: 1,
      accepted: false,
      detail: /AGENT_HQ_CONFIG_REFUSED: version 1 is not newer than the running version 2/,
    });
    t.equal(r.agent.status().configVersion, 2, 'the last good config stays');
  },
);

t.test('HQ commands on down/cmd: each answered once with a signed CommandResult', async (t) => {
  const r = await rig(t);
  await deliverConfig(r);
  await r.agent.payBill({ billerKind: 'WATER', billerCode: 'W1', accountNumber: 'A1', amountFen: 100 });
  r.link.acknowledged(2);
  const notAfterMs = TEN_AM_MS + 60_000;
  let sent = 0;
  const command = async (body: Record<string, unknown>) => {
    r.link.deliver(
      downTopic(STATION, 'cmd'),
      hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, { notAfterMs, ...body } as never),
    );
    sent += 1;
    await waitFor(() => wireEvents(r.db, PayloadType.PAYLOAD_TYPE_COMMAND_RESULT).length === sent);
    return wireEvents(r.db, PayloadType.PAYLOAD_TYPE_COMMAND_RESULT).at(-1);
  };
  const DONE = 1;
  const REFUSED = 2;
  t.match(await command({ commandId: 'c-1', resendFrom: { fromSeq: 1 } }), {
    commandId: 'c-1',
    outcome: REFUSED,
    detail: /AGENT_CMD_REFUSED: seq 1\.\.2 were acknowledged by HQ and deleted; outbox holds 3\.\.3/,
  });
  t.match(await command({ commandId: 'c-2', resendFrom: { fromSeq: 3 } }), {
    outcome: DONE,
    detail: 'resending 3..4',
  });
  t.equal(r.link.resends, 2, 'the unacked rows went out again');
  r.link.deliver(
    downTopic(STATION, 'cmd'),
    hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, {
      commandId: 'c-2',
      notAfterMs,
      resendFrom: { fromSeq: 3 },
    }),
  );
  t.match(await command({ commandId: 'c-3', reloadConfig: {} }), {
    outcome: DONE,
    detail: 'config version 1 reloaded and verified',
  });
  t.equal(
    wireEvents(r.db, PayloadType.PAYLOAD_TYPE_COMMAND_RESULT).filter((body) => body.commandId === 'c-2')
      .length,
    1,
    'a command id runs once',
  );
  t.match(await command({ commandId: 'c-4', requestDailyClose: { businessDate: '2026-11-28' } }), {
    outcome: DONE,
    detail: /business day 2026-11-28 closed at seq \d+/,
  });
  t.equal(wireEvents(r.db, PayloadType.PAYLOAD_TYPE_DAILY_CLOSE).length, 1);
  t.match(await command({ commandId: 'c-5', requestDailyClose: { businessDate: '2026-11-28' } }), {
    outcome: REFUSED,
    detail: /AGENT_CLOSE_NOTHING_NEW/,
  });
  t.match(await command({ commandId: 'c-6', rotateKey: {} }), { outcome: REFUSED, detail: /not supported/ });
  t.match(await command({ commandId: 'c-7', notAfterMs: TEN_AM_MS - 1, reloadConfig: {} }), {
    outcome: REFUSED,
    detail: /AGENT_CMD_REFUSED: expired/,
  });
  r.link.stop();
  t.match(await command({ commandId: 'c-8', sendTelemetry: {} }), {
    outcome: 3,
    detail: 'AGENT_CMD_FAILED: link is stopped',
  });
});

t.test(
  'telemetry: peripherals, token state, outbox depth, oldest unacked seq, disk, quota, uptime',
  async (t) => {
    const r = await rig(t);
    await deliverConfig(r);
    await r.agent.payBill({ billerKind: 'WATER', billerCode: 'W1', accountNumber: 'A1', amountFen: 100 });
    r.link.acknowledged(1);
    r.clock.advance(1_000);
    r.link.deliver(
      downTopic(STATION, 'cmd'),
      hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, {
        commandId: 'tm-1',
        notAfterMs: TEN_AM_MS + 60_000,
        sendTelemetry: {},
      }),
    );
    await waitFor(() => r.link.direct.some((message) => message.topic.endsWith('/telemetry')));
    const message = r.link.direct.find((m) => m.topic.endsWith('/telemetry'))!;
    const opened = openVerifiedEnvelope(message.payload, () => uk.publicKeyPem);
    if (opened.type !== PayloadType.PAYLOAD_TYPE_TELEMETRY) throw new Error('not telemetry');
    t.match(opened.body, {
      tokenState: 1,
      outboxDepth: 2,
      oldestUnackedSeq: 2,
      lastJournalSeq: 3,
      diskFreeBytes: 123_456_789,
      quotaFenAvailable: 99_900,
      uptimeMs: 1_000,
    });
    t.same(
      opened.body.peripherals.map((p) => [p.kind, p.state, p.detail]),
      [
        [1, 1, 'open'],
        [2, 1, 'open'],
        [3, 1, 'ready'],
      ],
      'card reader, PIN pad and UK key all OK',
    );
  },
);

t.test('refused down messages are logged with their code, nothing applied', async (t) => {
  const log = recordingLogger();
  const r = await rig(t, { logger: log.logger });
  r.link.deliver(downTopic(STATION, 'ack'), new Uint8Array([0x0a, 0xff, 0x01])); // truncated protobuf
  r.link.deliver(downTopic(STATION, 'ack'), new Uint8Array(downMessageBytesMax + 1)); // oversized
  const forged = hq.config(STATION);
  forged[forged.length - 5] ^= 0xff;
  r.link.deliver(downTopic(STATION, 'config'), forged);
  r.link.deliver(downTopic(STATION, 'config'), hq.config('ST0002'));
  await log.waitForCode('AGENT_HQ_CONFIG_REFUSED');
  await waitFor(() => log.codes().filter((code) => code === 'AGENT_HQ_CONFIG_REFUSED').length === 2);
  const codes = log.codes();
  t.equal(codes.filter((code) => code === 'AGENT_DOWN_MALFORMED').length, 2, 'AGENT_DOWN_MALFORMED twice');
  t.ok(codes.includes('AGENT_DOWN_BAD_SIGNATURE'), 'AGENT_DOWN_BAD_SIGNATURE');
  t.ok(codes.includes('AGENT_DOWN_WRONG_STATION'), 'AGENT_DOWN_WRONG_STATION');
  t.equal(r.agent.status().configVersion, 0, 'the last good (here: none) config stays');
  t.equal(r.link.acked, 0, 'no ack taken from a malformed message');
});

t.test(
  'a new config (shorter hours, lower limits) never undoes what was done under the old one',
  async (t) => {
    const first = await rig(t);
    await deliverConfig(first, {
      serviceHours: {
        timeZone: 'Asia/Shanghai',
        opensAtMinute: 0,
        closesAtMinute: 1440,
        maintenanceWindows: [],
      },
    });
    await first.agent.payBill({ billerKind: 'GAS', billerCode: 'G1', accountNumber: 'A9', amountFen: 7_000 });
    const pending = first.agent.startWithdrawal({ amountFen: 50_000, txId: 'wd-oldrules' });
    await waitFor(() => first.link.direct.length === 1);
    answer(first, 'approve');
    await pending;
    await first.agent.confirmCash('wd-oldrules');
    t.equal(first.agent.quotaFenAvailable(), 93_000);
    // 10:00 is now outside the hours, and the card's day is already over the new daily limit.
    first.link.deliver(
      downTopic(STATION, 'config'),
      hq.config(STATION, {
        configVersion: 2,
        serviceHours: {
          timeZone: 'Asia/Shanghai',
          opensAtMinute: 720,
          closesAtMinute: 1200,
          maintenanceWindows: [],
        },
        limits: { ...DAILY_LIMITS, withdrawalFenMaxPerCardPerDay: 10_000 },
      }),
    );
    await waitFor(() => first.agent.status().configVersion === 2);
    t.equal(first.agent.quotaFenAvailable(), 93_000, 'the bill paid at 10:00 still counts');
    t.match(first.agent.dayTotals('2026-11-28').CASH_WITHDRAWAL, { count: 1, amountFen: 50_000 });
    const second = await rig(t, { path: first.path });
    t.equal(second.agent.quotaFenAvailable(), 93_000, 'and after a restart');
    t.match(second.agent.dayTotals('2026-11-28').CASH_WITHDRAWAL, { count: 1, amountFen: 50_000 });
    t.match(
      await second.agent.payBill({
        billerKind: 'GAS',
        billerCode: 'G1',
        accountNumber: 'A9',
        amountFen: 100,
      }),
      { ok: false, reasons: [{ code: 'AGENT_TX_OUTSIDE_SERVICE_HOURS' }] },
      'new business follows the new hours',
    );
  },
);
