// Goal: a kiosk whose clock jumps (+24 h, -24 h, across Shanghai midnight) in the middle of a run
// of withdrawals and bill payments gains nothing at HQ (issue 9): no event accepted twice, no
// fresh R5 daily limit (counted on HQ's business day), every timestamp beyond the skew recorded
// as HQ_DISCREPANCY_CLOCK_SKEW (counted exactly) and none within it. Method: the whole ingest
// pipeline in-process on fakes with HQ's clock fixed (helpers/fakes.ts, fake-clock.ts), a
// simulated station (helpers/station-sim.ts) signing every message with the kiosk's clock.
import { randomUUID } from 'node:crypto';
import { PayloadType, upTopic, v1 } from '@bianmin/wire';
import t from 'tap';
import { clockSkewMsMaxDefault } from '../src/limits.js';
import { type Harness, startHarness } from './helpers/fakes.js';
import { cardToken, luhnPan, type Sealed, type SimStation, shanghaiDate } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

const dayMs = 86_400_000;
const minuteMs = 60_000;
const pan = luhnPan('622863', 16);
const tpk = new Uint8Array(16);
const feeFen = 100; // the standard fee (pipeline default)
// R5 at HQ: 1,000 yuan per withdrawal, 2,500 per card per day. (The harness's ledger mirror keeps
// core-ledger's defaults, 1,000 / 3,000: these stay within them so the mirror agrees.)
const withdrawalLimits = {
  perTransactionFenMax: 100_000,
  perCardDailyFenMax: 250_000,
  perStationDailyFenMax: 5_000_000,
};
const { APPROVED, DECLINED } = {
  APPROVED: v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
  DECLINED: v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED,
};

function maskPan(p: string): string {
  return `${p.slice(0, 6)}${'*'.repeat(p.length - 10)}${p.slice(-4)}`;
}

/** Hand journaled events to the pipeline as the MQTT link would and wait until routed. */
async function ingest(h: Harness, station: SimStation, messages: readonly Sealed[]): Promise<void> {
  for (const m of messages) h.pipeline.handleMessage(upTopic(station.stationId, 'event'), m.bytes);
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  await h.pipeline.flush();
}

/** An authorisation request signed at `atMs` by the kiosk's clock (expiry set by that clock too). */
async function ask(h: Harness, station: SimStation, amountFen: number, atMs: number, bytes?: Uint8Array) {
  const requestId = `req-${randomUUID()}`;
  const transactionId = `txn-${randomUUID()}`;
  const sealed =
    bytes ??
    station.authRequest({
      requestId,
      transactionId,
      tpk,
      pan,
      pin: '123456',
      amountFen,
      feeFen,
      createdAtMs: atMs,
      expiresAtMs: atMs + minuteMs,
    }).bytes;
  const answered = new Promise<{ requestId: string }>((resolve) => h.pipeline.once('authorised', resolve));
  h.pipeline.handleMessage(upTopic(station.stationId, 'auth-req'), sealed);
  const { requestId: answeredId } = await answered;
  await h.pipeline.flush();
  const response = h.publisher.sent
    .filter((s) => s.type === PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE)
    .filter((s) => s.body.requestId === answeredId)
    .at(-1)?.body;
  return { requestId: answeredId, transactionId, bytes: sealed, response };
}

/** The kiosk's WithdrawalAuthorised or Posted for a grant, stamped `atMs` by the kiosk's clock. */
function withdrawal(
  station: SimStation,
  kind: 'authorised' | 'posted',
  grant: { requestId: string; transactionId: string; amountFen: number },
  atMs: number,
): Sealed {
  const common = {
    transactionId: grant.transactionId,
    requestId: grant.requestId,
    amountFen: grant.amountFen,
    feeFen,
    businessDate: shanghaiDate(atMs),
    card: { maskedPan: maskPan(pan), cardToken: cardToken(pan) },
    bankReference: `BR-${grant.requestId}`,
  };
  return kind === 'authorised'
    ? station.seal(
        PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED,
        { ...common, feeScheduleVersion: 1, authorisedAtMs: atMs, holdExpiresAtMs: 0 },
        { createdAtMs: atMs },
      )
    : station.seal(
        PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED,
        { ...common, receiptNumber: `R-${randomUUID().slice(0, 18)}`, postedAtMs: atMs },
        { createdAtMs: atMs },
      );
}

function bill(station: SimStation, atMs: number, amountFen = 1_000): Sealed {
  return station.billPayment(amountFen, { quotaFenAfter: 0, createdAtMs: atMs });
}

/** Discrepancies other than clock skew: only the bill payments' (this station bought no quota). */
function others(h: Harness): string[] {
  return h.store.discrepancies.filter((d) => d.code !== 'HQ_DISCREPANCY_CLOCK_SKEW').map((d) => d.code);
}

function skewed(h: Harness): string[] {
  return h.store.discrepancies.filter((d) => d.code === 'HQ_DISCREPANCY_CLOCK_SKEW').map((d) => d.eventId);
}

/** A withdrawal run to the end: request, then WithdrawalAuthorised and Posted, all at `atMs`. */
async function withdraw(h: Harness, station: SimStation, amountFen: number, atMs: number) {
  const asked = await ask(h, station, amountFen, atMs);
  if (asked.response?.decision !== APPROVED) return { ...asked, events: [] };
  const events = [
    withdrawal(station, 'authorised', { ...asked, amountFen }, atMs),
    withdrawal(station, 'posted', { ...asked, amountFen }, atMs),
  ];
  await ingest(h, station, events);
  return { ...asked, events };
}

t.test('+24 h and -24 h jumps mid-run: stored once, no fresh limit, each skewed stamp flagged', async (t) => {
  const h = await startHarness(['J1'], { withdrawalLimits });
  const j1 = h.stations[0]!;
  const hqMs = h.clock.nowMs(); // fixed for the whole run: HQ's clock never moves here
  const hqDay = shanghaiDate(hqMs);

  // On time (a few seconds either way, within the skew): nothing flagged.
  const onTimeBill = bill(j1, hqMs - 2_000);
  await ingest(h, j1, [onTimeBill]);
  const first = await withdraw(h, j1, 100_000, hqMs + 3_000);
  t.equal(first.response?.decision, APPROVED, 'the first withdrawal (1,000 yuan) is approved');
  t.same(skewed(h), [], 'stamps within the skew are not flagged');

  // +24 h: the kiosk's "tomorrow". HQ still counts the card's day on its own clock.
  const aheadMs = hqMs + dayMs;
  t.not(shanghaiDate(aheadMs), hqDay, 'the kiosk now believes it is the next business day');
  const aheadBill = bill(j1, aheadMs);
  await ingest(h, j1, [aheadBill]);
  const second = await withdraw(h, j1, 100_000, aheadMs + 1_000);
  t.equal(second.response?.decision, APPROVED, 'the second (2,000 yuan in the day) is still within R5');
  const third = await withdraw(h, j1, 100_000, aheadMs + 2_000);
  t.same(
    [third.response?.decision, third.response?.declineReason],
    [DECLINED, v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT],
    'the third would make 3,000 yuan on HQ’s day: CARD_DAILY_LIMIT, no fresh limit from the jump',
  );
  t.equal(h.bank.requests.length, 2, 'the bank is never asked for the over-limit withdrawal');
  t.same(
    skewed(h),
    [
      aheadBill.eventId,
      `auth:${second.requestId}`,
      second.events[0]!.eventId,
      second.events[1]!.eventId,
      `auth:${third.requestId}`,
    ],
    '+24 h: the bill payment, both requests and both withdrawal events are flagged (5)',
  );

  // -24 h: a journaled event stamped in the past is a plausible backlog (not flagged); a live
  // request a day behind is flagged, and its expiry (set by the wrong clock) has passed at HQ.
  const behindMs = hqMs - dayMs;
  const behindBill = bill(j1, behindMs);
  await ingest(h, j1, [behindBill]);
  const behind = await ask(h, j1, 50_000, behindMs);
  t.same(
    [behind.response?.decision, behind.response?.declineReason],
    [DECLINED, v1.DeclineReason.DECLINE_REASON_REQUEST_EXPIRED],
    'a request from a kiosk a day behind has expired on HQ’s clock',
  );
  t.equal(skewed(h).length, 6, '-24 h: only the live request is flagged (6 in all)');
  t.equal(skewed(h).at(-1), `auth:${behind.requestId}`);

  // Back on time; replays of what was sent during the jump.
  await ingest(h, j1, [bill(j1, hqMs + 4_000)]);
  const quarantinedBefore = h.store.quarantined.length;
  const duplicatesBefore = h.pipeline.counters.duplicates;
  await ingest(h, j1, [aheadBill, second.events[1]!]);
  t.equal(h.pipeline.counters.duplicates - duplicatesBefore, 2, 'the same bytes again: duplicates, re-acked');
  const sameId = j1.billPayment(1_000, {
    quotaFenAfter: 0,
    createdAtMs: hqMs + 5_000,
    seq: aheadBill.seq,
    eventId: aheadBill.eventId,
  });
  const sameSeq = j1.billPayment(1_000, { quotaFenAfter: 0, createdAtMs: hqMs + 5_000, seq: aheadBill.seq });
  await ingest(h, j1, [sameId, sameSeq]);
  t.same(
    h.store.quarantined.slice(quarantinedBefore).map((q) => q.reasonCode),
    ['HQ_REPLAY_EVENT_ID', 'HQ_REPLAY_SEQ'],
    'replays after the jump are refused as replays',
  );

  const stored = h.store.eventsOf('J1');
  t.equal(stored.length, 8, '4 bill payments + 2 withdrawals × (Authorised, Posted)');
  t.equal(new Set(stored.map((e) => e.eventId)).size, stored.length, 'each event stored once');
  t.same(
    stored.map((e) => e.seq),
    stored.map((_, i) => i + 1),
    'seqs 1..n, none twice',
  );
  t.equal(skewed(h).length, 6, 'replays add no skew findings (refused before the timestamp is read)');
  t.equal(h.bank.requests.length, 2, 'two withdrawals reached the bank in the whole run');
  t.equal(h.pipeline.counters.authApproved, 2);
  t.equal(h.pipeline.counters.authDeclined, 2);
  t.same(others(h), Array(4).fill('HQ_DISCREPANCY_QUOTA_OVERDRAWN'), 'nothing else: 4 unfunded bills');
  t.ok(
    h.store.discrepancies.every((d) => d.foundAtMs === hqMs),
    'every discrepancy is dated by HQ’s clock, not the kiosk’s',
  );
  await h.pipeline.close();
});

t.test('a replayed authorisation request after a +24 h jump grants nothing more', async (t) => {
  const h = await startHarness(['J2'], { withdrawalLimits });
  const j2 = h.stations[0]!;
  const hqMs = h.clock.nowMs();
  const granted = await ask(h, j2, 100_000, hqMs + dayMs);
  t.equal(granted.response?.decision, APPROVED, 'the first 1,000 yuan is within R5');
  const again = await ask(h, j2, 100_000, hqMs + dayMs, granted.bytes);
  t.equal(again.requestId, granted.requestId, 'the same request, replayed');
  t.equal(again.response?.decision, APPROVED, 'answered as the same grant (idempotent by request id)');
  t.equal(h.store.approvals.size, 1, 'one approval stored for the request and its replay');
  // 1,000 + 1,000 is within the card's 2,500; 3,000 (the replay counted twice) would not be.
  const fresh = await ask(h, j2, 100_000, hqMs + dayMs + 1_000);
  t.equal(fresh.response?.decision, APPROVED, 'the replay did not count twice against R5');
  const over = await ask(h, j2, 100_000, hqMs + dayMs + 2_000);
  t.same(
    [over.response?.decision, over.response?.declineReason],
    [DECLINED, v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT],
    'a third 1,000 yuan on HQ’s day is over the card limit, the kiosk’s "tomorrow" notwithstanding',
  );
  t.equal(skewed(h).length, 4, 'each of the four live messages a day ahead is flagged, the replay too');
  await h.pipeline.close();
});

t.test('across Shanghai midnight: the day turns on HQ’s clock, not the kiosk’s', async (t) => {
  const h = await startHarness(['M1'], { withdrawalLimits });
  const m1 = h.stations[0]!;
  // HQ at 23:58 Shanghai (15:58 UTC), then fixed.
  const midnightMs = Date.UTC(2026, 10, 28, 16, 0, 0);
  h.clock.advance(midnightMs - 2 * minuteMs - h.clock.nowMs());
  const hqMs = h.clock.nowMs();
  const hqDay = shanghaiDate(hqMs);
  t.equal(shanghaiDate(midnightMs), '2026-11-29', 'midnight in Shanghai is 16:00 UTC');

  // The kiosk's clock crosses midnight within the skew (its stamps 1.5 min behind, 4.5 ahead).
  const before = await withdraw(h, m1, 100_000, midnightMs - 2.5 * minuteMs);
  await ingest(h, m1, [bill(m1, midnightMs - 2.5 * minuteMs)]);
  const after = await withdraw(h, m1, 100_000, midnightMs + 2.5 * minuteMs);
  const afterBill = bill(m1, midnightMs + 2.5 * minuteMs);
  await ingest(h, m1, [afterBill]);
  t.equal(shanghaiDate(midnightMs + 2.5 * minuteMs), '2026-11-29', 'the kiosk is on the next day');
  t.same(
    [before.response?.decision, after.response?.decision],
    [APPROVED, APPROVED],
    'both withdrawals approved (2,000 yuan on HQ’s day)',
  );
  t.same(skewed(h), [], 'within the skew across midnight: nothing flagged');

  // The kiosk jumps further (12 min ahead, beyond the 5 min skew): flagged, and still HQ's day.
  t.ok(12 * minuteMs > clockSkewMsMaxDefault);
  const jumpedMs = hqMs + 12 * minuteMs;
  const over = await withdraw(h, m1, 100_000, jumpedMs);
  const jumpedBill = bill(m1, jumpedMs);
  await ingest(h, m1, [jumpedBill]);
  t.same(
    [over.response?.decision, over.response?.declineReason],
    [DECLINED, v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT],
    `3,000 yuan on HQ's ${hqDay}: declined although the kiosk's day is the next`,
  );
  t.same(skewed(h), [`auth:${over.requestId}`, jumpedBill.eventId], 'the two stamps beyond the skew (2)');

  // HQ's own clock passes midnight: now the card has a fresh day, on HQ's word.
  h.clock.advance(5 * minuteMs);
  const nextDay = await withdraw(h, m1, 100_000, h.clock.nowMs());
  t.equal(shanghaiDate(h.clock.nowMs()), '2026-11-29');
  t.equal(nextDay.response?.decision, APPROVED, 'a fresh limit once HQ’s day has turned');
  t.equal(skewed(h).length, 2, 'on time again: nothing more flagged');
  const stored = h.store.eventsOf('M1');
  t.equal(stored.length, 9, '3 withdrawals × (Authorised, Posted) + 3 bill payments, each once');
  t.equal(new Set(stored.map((e) => e.eventId)).size, stored.length);
  t.same(others(h), Array(3).fill('HQ_DISCREPANCY_QUOTA_OVERDRAWN'), 'nothing else: 3 unfunded bills');
  await h.pipeline.close();
});
