// Goal: the ingest pipeline's steps behave as documented (app/ingest-pipeline.ts): arrival order
// despite parallel signature checks, signature rounds over hash-linked runs, batches sealed by the
// clock, acks only after the commit and coalesced per station, gaps reported with a resend
// request, duplicates and replays told apart, dropped batches resent, authorisation decisions in
// the wire's enums, and the fatal paths. Method: the pipeline on in-memory fakes (store, verifier,
// bank, publisher) and a fake clock (helpers/fakes.ts): no broker, no database, no timers waited on.

import { WITHDRAWAL_FEE_FEN_STANDARD } from '@bianmin/core-ledger';
import { upTopic, v1 } from '@bianmin/wire';
import t from 'tap';
import { Background, codeOf } from '../src/app/ingest/background.js';
import { HqError } from '../src/errors.js';
import { ackDelayMsMax, batchDelayMsMax } from '../src/limits.js';
import { silentLog } from '../src/ports/log.js';
import { type Harness, startHarness } from './helpers/fakes.js';
import { luhnPan, SimStation } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

/** Hand `messages` to the pipeline as the MQTT link would, and wait until they are all routed. */
async function ingest(h: Harness, messages: readonly Uint8Array[], stationId = h.stations[0]!.stationId) {
  for (const bytes of messages) h.pipeline.handleMessage(upTopic(stationId, 'event'), bytes);
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
}

t.test('a batch seals after batchDelayMsMax on the clock; acks follow the commit, coalesced', async (t) => {
  const h = await startHarness(['A1']);
  const a1 = h.stations[0]!;
  await ingest(
    h,
    [1, 2, 3].map(() => a1.billPayment(100, { quotaFenAfter: 0 }).bytes),
  );
  t.equal(h.store.commitCalls, 0, 'nothing committed before the batch delay');
  const committed = new Promise((resolve) => h.pipeline.once('committed', resolve));
  h.clock.advance(batchDelayMsMax);
  await committed;
  t.equal(h.store.eventsOf('A1').length, 3, 'the batch committed');
  t.same(h.publisher.acks('A1'), [], 'no ack before the ack window closes');

  await ingest(
    h,
    [4, 5].map(() => a1.billPayment(100, { quotaFenAfter: 0 }).bytes),
  );
  const committedAgain = new Promise((resolve) => h.pipeline.once('committed', resolve));
  h.clock.advance(batchDelayMsMax);
  await committedAgain;
  t.equal(h.store.commitCalls, 2, 'two batches');
  t.same(h.publisher.acks('A1'), [], 'still inside the ack window');

  h.clock.advance(ackDelayMsMax);
  const acks = h.publisher.acks('A1');
  t.equal(acks.length, 1, 'one ack for two batches');
  t.equal(acks[0]?.handledThroughSeq, 5, 'the newest ack point wins');
  t.equal(acks[0]?.highestSeqReceived, 5);
  await h.pipeline.close();
});

t.test('verdicts answered in reverse: events still meet the store in arrival order', async (t) => {
  const h = await startHarness(['O1'], { verifyEverySignature: true });
  const o1 = h.stations[0]!;
  h.verifier.auto = false;
  const sealed = [1, 2, 3, 4].map(() => o1.billPayment(100, { quotaFenAfter: 0 }));
  for (const s of sealed) h.pipeline.handleMessage(upTopic('O1', 'event'), s.bytes);
  t.equal(h.verifier.pending.length, 4, 'every signature checked on its own');
  h.verifier.answer(3);
  h.verifier.answer(2);
  t.ok(h.pipeline.processing, 'the head of the queue still waits for its verdict');
  h.verifier.answerAll('reversed');
  await h.pipeline.flush();
  t.same(
    [...h.store.events.values()].map((e) => e.seq),
    [1, 2, 3, 4],
    'stored in arrival order',
  );
  t.equal(h.pipeline.ackedSeq('O1'), 4);
  await h.pipeline.close();
});

t.test(
  'a round of hash-linked events is authenticated by one signature; a forged head falls back',
  async (t) => {
    const h = await startHarness(['R1']);
    const r1 = h.stations[0]!;
    await ingest(
      h,
      [1, 2, 3, 4].map(() => r1.billPayment(100, { quotaFenAfter: 0 }).bytes),
    );
    t.equal(h.verifier.checks, 1, 'one check for the run');
    t.equal(h.pipeline.counters.authenticatedByLink, 3, 'three events authenticated through the links');

    const other = h.stations[0]!.billPayment(100, { quotaFenAfter: 0 });
    const forged = r1.billPayment(100, {
      quotaFenAfter: 0,
      key: new SimStation('X9').privateKey,
    });
    const checksBefore = h.verifier.checks;
    await ingest(h, [other.bytes, forged.bytes]);
    await h.pipeline.flush();
    t.equal(
      h.verifier.checks - checksBefore,
      2,
      'the forged head failed, the linked event was checked alone',
    );
    t.equal(h.pipeline.counters.quarantinedByReason.HQ_SIGNATURE_INVALID, 1, 'the forgery is quarantined');
    t.equal(h.store.eventsOf('R1').length, 5, 'the authentic event is stored');
    await h.pipeline.close();
  },
);

t.test('a gap is recorded and a resend asked; the fill moves the ack point on', async (t) => {
  const h = await startHarness(['G1']);
  const g1 = h.stations[0]!;
  const [first, second, third] = [1, 2, 3].map(() => g1.billPayment(100, { quotaFenAfter: 0 }));
  await ingest(h, [first!.bytes, third!.bytes]);
  await h.pipeline.flush();
  t.equal(h.pipeline.ackedSeq('G1'), 1, 'the ack point stops below the gap');
  t.match(h.store.gaps, [{ stationId: 'G1', fromSeq: 2, toSeq: 2 }], 'the gap is recorded');
  t.same(h.publisher.resends('G1'), [2], 'the station is asked to resend from the gap');
  t.equal(h.publisher.acks('G1').at(-1)?.highestSeqReceived, 3, 'the ack tells the highest seq seen');

  await ingest(h, [second!.bytes]);
  await h.pipeline.flush();
  t.equal(h.pipeline.ackedSeq('G1'), 3, 'filled: acked through 3');
  t.equal(h.publisher.acks('G1').at(-1)?.handledThroughSeq, 3);
  t.equal(h.pipeline.counters.gaps, 1, 'one gap counted');
  await h.pipeline.close();
});

t.test('a duplicate is re-acked and counted; a replay of the id or the seq is quarantined', async (t) => {
  const h = await startHarness(['D1']);
  const d1 = h.stations[0]!;
  const first = d1.billPayment(100, { quotaFenAfter: 0 });
  await ingest(h, [first.bytes]);
  await h.pipeline.flush();
  const acksBefore = h.publisher.acks('D1').length;

  await ingest(h, [first.bytes]);
  await h.pipeline.flush();
  t.equal(h.pipeline.counters.duplicates, 1, 'counted as a duplicate');
  t.equal(h.publisher.acks('D1').length, acksBefore + 1, 're-acked');
  t.equal(h.pipeline.counters.quarantined, 0, 'not quarantined');

  const sameId = d1.billPayment(200, { quotaFenAfter: 0, seq: 1, eventId: first.eventId });
  const sameSeq = d1.billPayment(300, { quotaFenAfter: 0, seq: 1 });
  await ingest(h, [sameId.bytes, sameSeq.bytes]);
  await h.pipeline.flush();
  t.same(
    h.store.quarantined.map((q) => q.reasonCode),
    ['HQ_REPLAY_EVENT_ID', 'HQ_REPLAY_SEQ'],
    'both replays quarantined with their reason',
  );
  t.equal(h.store.eventsOf('D1').length, 1, 'nothing stored twice');
  await h.pipeline.close();
});

t.test('a batch that does not commit is dropped and resent; the resend is stored', async (t) => {
  const h = await startHarness(['C1']);
  const c1 = h.stations[0]!;
  h.store.commitFailures.push(new Error('disk full (test)'));
  const first = c1.billPayment(100, { quotaFenAfter: 0 });
  const dropped = new Promise((resolve) => h.pipeline.once('dropped', resolve));
  await ingest(h, [first.bytes]);
  h.clock.advance(batchDelayMsMax);
  await dropped;
  await h.pipeline.flush();
  t.equal(h.pipeline.counters.batchesDropped, 1);
  t.equal(h.pipeline.ackedSeq('C1'), 0, 'the ack point falls back');
  t.same(h.publisher.acks('C1'), [], 'no ack covers the dropped batch');
  t.same(h.publisher.resends('C1'), [1], 'resend asked from the dropped seq');

  await ingest(h, [first.bytes]);
  await h.pipeline.flush();
  t.equal(h.pipeline.counters.duplicates, 0, 'the resend is not a duplicate');
  t.equal(h.store.eventsOf('C1').length, 1, 'stored once');
  t.equal(h.pipeline.ackedSeq('C1'), 1);
  await h.pipeline.close();
});

t.test('after a restart every station is re-acked and asked to resend', async (t) => {
  const h = await startHarness(['S1', 'S2']);
  const s1 = h.stations[0]!;
  await ingest(h, [s1.billPayment(100, { quotaFenAfter: 0 }).bytes]);
  await h.pipeline.close();
  const pipeline = await h.restart();
  t.equal(pipeline.ackedSeq('S1'), 1, 'the ack point is restored from the store');
  await pipeline.requestResendAll();
  await pipeline.flush();
  t.same(h.publisher.resends('S1').at(-1), 2, 'S1 resends from 2');
  t.same(h.publisher.resends('S2').at(-1), 1, 'S2 resends from 1');
  t.equal(h.publisher.acks('S1').at(-1)?.handledThroughSeq, 1, 'S1 is re-acked');
  t.same(h.publisher.acks('S2'), [], 'S2 has nothing to ack');
  await pipeline.close();
});

t.test('authorisation: approved through the bank; HQ checks decline in the wire enums', async (t) => {
  const h = await startHarness(['W1'], { withdrawalFeeFen: WITHDRAWAL_FEE_FEN_STANDARD });
  const w1 = h.stations[0]!;
  const pan = luhnPan('622202');
  const tpk = new Uint8Array(16);
  const ask = (requestId: string, extra: { feeFen?: number; expiresAtMs?: number } = {}) =>
    w1.authRequest({
      requestId,
      transactionId: `t-${requestId}`,
      pan,
      pin: '1234',
      tpk,
      amountFen: 10_000,
      ...extra,
    });
  const send = async (bytes: Uint8Array) => {
    const answered = new Promise((resolve) => h.pipeline.once('authorised', resolve));
    h.pipeline.handleMessage(upTopic('W1', 'auth-req'), bytes);
    await answered;
  };
  await send(ask('ok').bytes);
  await send(ask('fee', { feeFen: WITHDRAWAL_FEE_FEN_STANDARD - 1 }).bytes);
  await send(ask('late', { expiresAtMs: h.clock.nowMs() - 1 }).bytes);
  h.bank.decline = { approved: false, code: 'HQ_BANK_INSUFFICIENT_FUNDS', responseCode: '51' };
  await send(ask('poor').bytes);
  await h.pipeline.flush();
  const responses = new Map(
    h.publisher.sent
      .filter((s) => s.type === v1.PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE)
      .map((s) => [String(s.body.requestId), s.body]),
  );
  t.match(responses.get('ok'), {
    decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
    bankReference: 'BR-ok',
    feeFen: WITHDRAWAL_FEE_FEN_STANDARD,
  });
  t.match(responses.get('fee'), {
    decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED,
    declineReason: v1.DeclineReason.DECLINE_REASON_FEE_MISMATCH,
    feeFen: 0,
  });
  t.match(responses.get('late'), { declineReason: v1.DeclineReason.DECLINE_REASON_REQUEST_EXPIRED });
  t.match(responses.get('poor'), {
    declineReason: v1.DeclineReason.DECLINE_REASON_INSUFFICIENT_FUNDS,
    bankResponseCode: '51',
  });
  t.equal(h.bank.requests.length, 2, 'the bank is asked only when HQ checks pass');
  t.ok(h.store.approvals.get('poor')?.releasedAtMs !== undefined, "a bank decline releases HQ's approval");
  t.equal(h.pipeline.counters.authApproved, 1);
  t.equal(h.pipeline.counters.authDeclined, 3);
  await h.pipeline.close();
});

t.test('refused at intake: unknown topic, unknown station, bad envelope', async (t) => {
  const h = await startHarness(['Q1']);
  const bill = h.stations[0]!.billPayment(100, { quotaFenAfter: 0 });
  h.pipeline.handleMessage('not/a/topic', bill.bytes);
  h.pipeline.handleMessage(upTopic('NOPE', 'event'), bill.bytes);
  h.pipeline.handleMessage(upTopic('Q1', 'event'), new Uint8Array([1, 2, 3]));
  await h.pipeline.flush();
  t.same(
    h.store.quarantined.map((q) => q.reasonCode),
    ['HQ_TOPIC_UNKNOWN', 'HQ_STATION_UNKNOWN', 'HQ_ENVELOPE_DECODE_FAILED'],
    'quarantined in arrival order, each with its reason',
  );
  t.equal(h.verifier.checks, 0, 'no signature check for what failed before it');
  await h.pipeline.close();
});

t.test('fatal: a verifier failure stops the pipeline', async (t) => {
  const h = await startHarness(['F1']);
  h.verifier.failure = new Error('worker died (test)');
  const fatal = new Promise<Error>((resolve) => h.pipeline.once('fatal', resolve));
  h.pipeline.handleMessage(
    upTopic('F1', 'event'),
    h.stations[0]!.billPayment(100, { quotaFenAfter: 0 }).bytes,
  );
  t.match((await fatal).message, /worker died/);
  t.throws(() => h.pipeline.handleMessage(upTopic('F1', 'event'), new Uint8Array(1)), /worker died/);
  await t.rejects(h.pipeline.flush(), /worker died/, 'flush reports the fatal error');
});

t.test('fatal: the commit thread stopping stops the pipeline (no endless drop-and-resend)', async (t) => {
  const h = await startHarness(['F2']);
  h.store.commitFailures.push(
    Object.assign(new Error('commit thread gone (test)'), { code: 'HQ_COMMIT_THREAD_FAILED' }),
  );
  const fatal = new Promise<Error>((resolve) => h.pipeline.once('fatal', resolve));
  await ingest(h, [h.stations[0]!.billPayment(100, { quotaFenAfter: 0 }).bytes], 'F2');
  h.clock.advance(batchDelayMsMax);
  t.match(await fatal, { code: 'HQ_COMMIT_THREAD_FAILED' });
  t.equal(h.pipeline.counters.batchesDropped, 0, 'not taken for an ordinary dropped batch');
  t.same(h.publisher.resends('F2'), [], 'no resend asked');
});

t.test('fatal: a store lookup failing stops the pipeline', async (t) => {
  const h = await startHarness(['F3']);
  const bill = h.stations[0]!.billPayment(100, { quotaFenAfter: 0 });
  await ingest(h, [bill.bytes], 'F3');
  await h.pipeline.flush();
  h.store.findFailure = new Error('database locked (test)');
  const fatal = new Promise<Error>((resolve) => h.pipeline.once('fatal', resolve));
  h.pipeline.handleMessage(upTopic('F3', 'event'), bill.bytes);
  t.match((await fatal).message, /database locked/);
  await t.rejects(h.pipeline.flush());
});

t.test(
  'background failures keep their own code; an unknown one is HQ_INTERNAL_ERROR, not a store failure',
  async (t) => {
    const logged: Array<Record<string, unknown>> = [];
    const log = {
      ...silentLog,
      error: (fields: object) => void logged.push(fields as Record<string, unknown>),
    };
    let settled = 0;
    let allSettled: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const background = new Background(log, () => {
      settled += 1;
      if (settled === 3) allSettled();
    });
    background.track(Promise.reject(Object.assign(new Error('busy (test)'), { code: 'SQLITE_BUSY' })));
    background.track(Promise.reject(new HqError('HQ_STORE_FAILED', 'disk full (test)')));
    background.track(Promise.reject(new Error('bug (test)')));
    await done;
    t.match(logged, [
      { code: 'HQ_INTERNAL_ERROR', errorCode: 'SQLITE_BUSY' },
      { code: 'HQ_STORE_FAILED' },
      { code: 'HQ_INTERNAL_ERROR' },
    ]);
    t.equal(background.size, 0, 'nothing left in flight');
    t.equal(codeOf({ code: 'WIRE_SOMETHING' }), 'HQ_INTERNAL_ERROR', 'a foreign code is not an HQ code');
  },
);
