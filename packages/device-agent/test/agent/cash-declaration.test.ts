// Goal (R8 账实相符): the operator's drawer count at the end of a day is journaled, signed by the
// UK key and sent to HQ like any event: in the close when the day is closed with it, or as its own
// CashDeclared event naming the sealed close when the day was already closed (the close is never
// changed); once per day (AGENT_CASH_ALREADY_DECLARED), whole fen only (AGENT_CASH_COUNT_INVALID),
// "not declared" distinct from 0. Method: an agent on the real SQLite journal and a SoftHSM key, a
// manual clock, HQ played through the in-memory link; events read back from the outbox and
// opened with the station's public key; the operator API's body check called directly.
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { validateDailyClose } from '../../src/adapters/operator-api/validate.js';
import { ManualClock, TEN_AM_MS } from './helpers.js';
import { closesSent, type Rig, rigSet, STATION, waitFor } from './rig.js';

const set = rigSet(t, 'AGENT-CASH');
const bill = { billerKind: 'WATER' as const, billerCode: 'W1', accountNumber: 'A1', amountFen: 12_300 };

async function configured(r: Rig): Promise<void> {
  r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { quotaFenBalance: 0 }));
  await waitFor(() => r.agent.status().configVersion === 1);
}

function declarationsSent(r: Rig) {
  return r.db
    .read(1, r.db.headSeq())
    .filter((row) => row.payloadType === 'PAYLOAD_TYPE_CASH_DECLARED')
    .map((row) => {
      const opened = openVerifiedEnvelope(row.envelopeBytes, () => set.uk.publicKeyPem);
      if (opened.type !== PayloadType.PAYLOAD_TYPE_CASH_DECLARED) throw new Error('not a declaration');
      return { seq: opened.header.seq, body: opened.body };
    });
}

t.test('a close made with a count carries it, signed; a second count for the day is refused', async (t) => {
  const clock = new ManualClock(TEN_AM_MS);
  const r = await set.open(t, { clock });
  await configured(r);
  t.ok((await r.agent.payBill(bill)).ok);
  const nudges = r.link.outboxNudges;
  const closed = await r.agent.dailyClose('2026-11-28', {
    cashFenCounted: 12_300 + 20_000,
    floatFenOpening: 20_000,
  });
  t.match(closed, {
    ok: true,
    close: { businessDate: '2026-11-28', cashDeclared: { cashFenCounted: 32_300, floatFenOpening: 20_000 } },
  });
  const [close] = closesSent(r, set.uk);
  t.match(close?.cashDeclared, { cashFenCounted: 32_300, floatFenOpening: 20_000, declaredAtMs: TEN_AM_MS });
  t.ok(r.link.outboxNudges > nudges, 'the outbox was nudged: the close goes to HQ');
  t.match(await r.agent.dailyClose('2026-11-28', { cashFenCounted: 1 }), {
    ok: false,
    reasons: [{ code: 'AGENT_CASH_ALREADY_DECLARED' }],
  });
  t.equal(declarationsSent(r).length, 0, 'nothing more journaled');
});

t.test('a day closed without a count gets a CashDeclared naming the sealed close, once', async (t) => {
  const clock = new ManualClock(TEN_AM_MS);
  const r = await set.open(t, { clock });
  await configured(r);
  t.ok((await r.agent.payBill(bill)).ok);
  const closed = await r.agent.dailyClose('2026-11-28');
  t.ok(closed.ok);
  const [closeBefore] = closesSent(r, set.uk);
  t.equal(closeBefore?.cashDeclared, null, 'the automatic close: not declared (not 0)');
  clock.advance(15 * 3600_000); // the next morning, the operator counts yesterday's drawer
  const headBefore = r.db.headSeq();
  const declared = await r.agent.dailyClose('2026-11-28', { cashFenCounted: 0 });
  t.match(declared, {
    ok: true,
    close: { businessDate: '2026-11-28', cashDeclared: { cashFenCounted: 0, seq: headBefore + 1 } },
  });
  const declarations = declarationsSent(r);
  t.equal(declarations.length, 1, 'journaled and signed by the UK key (the envelope verifies)');
  t.match(declarations[0], {
    seq: headBefore + 1,
    body: {
      businessDate: '2026-11-28',
      closeHash: closeBefore?.closeHash,
      declaration: { cashFenCounted: 0, floatFenOpening: 0, declaredAtMs: TEN_AM_MS + 15 * 3600_000 },
    },
  });
  t.same(closesSent(r, set.uk), [closeBefore], 'the sealed close is unchanged, and no second close');
  t.match(await r.agent.dailyClose('2026-11-28', { cashFenCounted: 5_000 }), {
    ok: false,
    reasons: [{ code: 'AGENT_CASH_ALREADY_DECLARED' }],
  });
  t.match(await r.agent.dailyClose('2026-11-29', { cashFenCounted: 1.5 }), {
    ok: false,
    reasons: [{ code: 'AGENT_CASH_COUNT_INVALID' }],
  });
  t.equal(declarationsSent(r).length, 1);
});

t.test('the operator API body: a count is optional, whole fen, a float only with a count', async (t) => {
  t.same(validateDailyClose({}), { ok: true, value: {} }, 'no count: not declared');
  t.same(validateDailyClose({ businessDate: '2026-11-28', cashFenCounted: 0 }), {
    ok: true,
    value: { businessDate: '2026-11-28', cash: { cashFenCounted: 0 } },
  });
  t.match(validateDailyClose({ cashFenCounted: 123.45 }), {
    ok: false,
    problems: [{ code: 'AGENT_OPERATOR_BAD_FIELD', field: 'cashFenCounted' }],
  });
  t.match(validateDailyClose({ floatFenOpening: 100 }), {
    ok: false,
    problems: [{ field: 'floatFenOpening' }],
  });
});
