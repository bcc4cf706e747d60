// Goal: the pure steps of ingest hold their rules on their own: mirror ordering (seq order, gaps
// wait, refused seqs skipped, bounded waiting), chain links (a fork is reported, the tip moves),
// the authorisation decision (fixed order of HQ's checks, the wire's enums), refusal reasons,
// and the fake clock the pipeline tests rely on. Method: table-style cases on plain values.
import { v1 } from '@bianmin/wire';
import t from 'tap';
import {
  decideBeforeBank,
  decisionOfBank,
  refusalReasonOf,
  wireDecision,
} from '../src/domain/authorisation.js';
import { checkChainLink } from '../src/domain/chain-link.js';
import { MirrorOrder } from '../src/domain/mirror-order.js';
import type { StationEvent } from '../src/domain/types.js';
import { FakeClock } from './helpers/fake-clock.js';

function event(seq: number): StationEvent {
  return { seq, eventId: `e${seq}`, envelope: new Uint8Array(4) } as unknown as StationEvent;
}

t.test('mirror order: in order at once, beyond a gap after the fill, refused seqs skipped', async (t) => {
  const order = new MirrorOrder(1, 10);
  t.same(
    order.offer(1, event(1)).apply.map((e) => e.seq),
    [1],
    'in order: applied at once',
  );
  t.same(order.offer(3, event(3)).apply, [], 'beyond a gap: waits');
  t.same(order.offer(4, null).apply, [], 'a refused seq beyond the gap: waits as a placeholder');
  t.same(order.offer(5, event(5)).apply, []);
  const release = order.offer(2, event(2));
  t.same(
    release.apply.map((e) => e.seq),
    [2, 3, 5],
    'the fill releases the run, skipping the refused seq',
  );
  t.equal(order.nextSeq, 6);
  t.same(order.offer(3, event(3)).apply, [], 'a seq already taken is never applied twice');
  t.equal(release.apply[1]?.envelope.byteLength, 0, 'a waiting event is kept without its envelope');
  t.throws(() => order.offer(0, null), 'seqs are positive');
});

t.test('mirror order: past pendingMax an event is taken out of order (bounded memory)', async (t) => {
  const order = new MirrorOrder(1, 2);
  order.offer(3, event(3));
  order.offer(4, event(4));
  const release = order.offer(5, event(5));
  t.ok(release.overflowed, 'overflow reported');
  t.same(
    release.apply.map((e) => e.seq),
    [5],
    'taken now',
  );
  t.equal(order.pendingCount, 3, 'its seq is a placeholder');
  t.same(order.offer(2, null).apply, [], 'still waiting for seq 1');
  t.same(
    order.offer(1, event(1)).apply.map((e) => e.seq),
    [1, 3, 4],
    'then the rest in order, 5 not again',
  );
});

t.test('chain link: a link to another envelope is a break; the tip follows the newest seq', async (t) => {
  const a = 'aa'.repeat(32);
  const b = 'bb'.repeat(32);
  const c = 'cc'.repeat(32);
  const first = checkChainLink(null, { seq: 1, envelopeSha256: a }, '');
  t.same(first, { tip: { seq: 1, sha256Hex: a }, broken: null }, 'the first event starts the chain');
  const good = checkChainLink(first.tip, { seq: 2, envelopeSha256: b }, a);
  t.equal(good.broken, null, 'a link to the stored envelope holds');
  const forked = checkChainLink(good.tip, { seq: 3, envelopeSha256: c }, a);
  t.match(forked.broken, { expected: b, actual: a }, 'a fork is reported with both hashes');
  t.same(forked.tip, { seq: 3, sha256Hex: c }, 'the tip still moves on (the event is authentic)');
  const intoGap = checkChainLink(forked.tip, { seq: 9, envelopeSha256: a }, b);
  t.equal(intoGap.broken, null, 'a link into a gap is not checked');
  const older = checkChainLink(intoGap.tip, { seq: 5, envelopeSha256: b }, c);
  t.same(older.tip, { seq: 9, sha256Hex: a }, 'an older seq does not move the tip back');
  t.throws(() => checkChainLink(null, { seq: 1, envelopeSha256: a }, 'zz'), 'prev must be hex');
});

t.test('authorisation: HQ checks in a fixed order, each with its wire reason', async (t) => {
  const ok = {
    nowMs: 1_000,
    expiresAtMs: 2_000,
    pinBlockFormat: 4,
    feeFen: 100,
    feeFenExpected: 100,
    overLimit: [],
  } as const;
  t.equal(decideBeforeBank(ok), null, 'all checks pass: ask the bank');
  t.equal(decideBeforeBank({ ...ok, expiresAtMs: 0 }), null, 'no expiry given: not expired');
  const cases = [
    [{ nowMs: 3_000, pinBlockFormat: 1, feeFen: 1 }, v1.DeclineReason.DECLINE_REASON_REQUEST_EXPIRED, '68'],
    [{ pinBlockFormat: 1, feeFen: 1 }, v1.DeclineReason.DECLINE_REASON_FORMAT_ERROR, '30'],
    [
      { feeFen: 1, overLimit: ['HQ_AUTH_OVER_TRANSACTION_LIMIT'] },
      v1.DeclineReason.DECLINE_REASON_FEE_MISMATCH,
      '30',
    ],
    [
      { overLimit: ['HQ_AUTH_OVER_CARD_DAILY_LIMIT', 'HQ_AUTH_OVER_STATION_DAILY_LIMIT'] },
      v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT,
      '61',
    ],
    [
      { overLimit: ['HQ_AUTH_OVER_STATION_DAILY_LIMIT'] },
      v1.DeclineReason.DECLINE_REASON_STATION_DAILY_LIMIT,
      '61',
    ],
    [
      { overLimit: ['HQ_AUTH_OVER_TRANSACTION_LIMIT'] },
      v1.DeclineReason.DECLINE_REASON_TRANSACTION_LIMIT,
      '61',
    ],
  ] as const;
  for (const [change, reason, code] of cases) {
    const decision = decideBeforeBank({ ...ok, ...change });
    t.match(decision, { approved: false, declineReason: reason, responseCode: code }, `reason ${reason}`);
    t.equal(wireDecision(decision!), v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED);
  }
});

t.test('authorisation: the bank answer in wire terms; refusal reasons', async (t) => {
  const approved = decisionOfBank({
    approved: true,
    bankReference: 'BR1',
    responseCode: '00',
    amountFen: 1,
    feeFen: 100,
  });
  t.same(approved, {
    approved: true,
    declineReason: v1.DeclineReason.DECLINE_REASON_UNSPECIFIED,
    responseCode: '00',
    bankReference: 'BR1',
  });
  t.equal(wireDecision(approved), v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED);
  t.match(decisionOfBank({ approved: false, code: 'HQ_BANK_PIN_WRONG', responseCode: '55' }), {
    declineReason: v1.DeclineReason.DECLINE_REASON_WRONG_PIN,
    responseCode: '55',
  });
  t.equal(refusalReasonOf('HQ_SIGNATURE_INVALID'), v1.RefusalReason.REFUSAL_REASON_BAD_SIGNATURE);
  t.equal(refusalReasonOf('HQ_REPLAY_SEQ'), v1.RefusalReason.REFUSAL_REASON_CONFLICT);
  t.equal(refusalReasonOf('HQ_BODY_DECODE_FAILED'), v1.RefusalReason.REFUSAL_REASON_MALFORMED);
});

t.test('fake clock: timers fire in due order only when time is advanced; cleared ones never', async (t) => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 20);
  const cleared = clock.setTimeout(() => fired.push('x'), 5);
  clock.setTimeout(() => {
    fired.push('a');
    clock.setTimeout(() => fired.push('a2'), 5);
  }, 10);
  clock.clearTimeout(cleared);
  clock.advance(9);
  t.same(fired, [], 'nothing before its time');
  clock.advance(11);
  t.same(fired, ['a', 'a2', 'b'], 'in due order, including a timer set by a timer');
  t.equal(clock.nowMs(), 20);
  t.equal(clock.pendingTimers, 0);
});
