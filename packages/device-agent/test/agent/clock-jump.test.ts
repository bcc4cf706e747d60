// Goal (issue 9, "Time comes from HQ's clock"): on the kiosk side, a clock that jumps ±24 h or
// crosses Shanghai midnight mid-run accepts nothing twice, refuses withdrawals once HQ's signed
// acks reveal the skew (bill payments go on), and seals daily closes that together carry every
// payment exactly once on an unbroken hash chain. Method: agents on the real SQLite journal and a
// SoftHSM key, a ManualClock moved by hand, HQ played through the in-memory link with acks sealed
// at HQ's own time; closes read back from the signed DailyClose events in the outbox.
import { downTopic, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { ManualClock, TEN_AM_MS } from './helpers.js';
import { closesSent, type Rig, rigSet, STATION, waitFor, withdraw } from './rig.js';

const set = rigSet(t, 'AGENT-CLOCKJUMP');
const DAY_MS = 24 * 3600_000;
const BILL = 2; // TotalsKind BILL_PAYMENT

const bill = (txId: string, amountFen: number) => ({
  txId,
  billerKind: 'WATER' as const,
  billerCode: 'W1',
  accountNumber: 'A1',
  amountFen,
});

const allDay = {
  serviceHours: { timeZone: 'Asia/Shanghai', opensAtMinute: 0, closesAtMinute: 1440, maintenanceWindows: [] },
};

async function configured(r: Rig, overrides = {}): Promise<void> {
  if (r.agent.status().configVersion > 0) return;
  r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { quotaFenBalance: 0, ...overrides }));
  await waitFor(() => r.agent.status().configVersion === 1);
}

function billFen(close: ReturnType<typeof closesSent>[number]): number {
  return close.totals
    .filter((line) => line.kind === BILL)
    .reduce((sum, line) => sum + Number(line.amountFen), 0);
}

function ackAtHqTime(r: Rig, hqMs: number): void {
  r.link.deliver(
    downTopic(STATION, 'ack'),
    set.hq.seal(
      STATION,
      PayloadType.PAYLOAD_TYPE_ACK,
      { handledThroughSeq: r.db.headSeq(), ackedAtMs: hqMs },
      hqMs,
    ),
  );
}

t.test('a +24 h then −24 h jump mid-run: retries return the first result, journaled once', async (t) => {
  const clock = new ManualClock(TEN_AM_MS);
  const r = await set.open(t, { clock });
  await configured(r);
  const first = await r.agent.payBill(bill('bp-1', 1_100));
  t.match(first, { ok: true });
  await withdraw(r, set, 20_000, 'wd-1');
  const rowsBp1 = r.db.rowsOfTx('bp-1').length;
  const rowsWd1 = r.db.rowsOfTx('wd-1').length;
  t.ok(rowsBp1 > 0 && rowsWd1 > 0, 'both operations journaled');

  clock.advance(DAY_MS); // the clock jumps a day ahead
  t.same(await r.agent.payBill(bill('bp-1', 1_100)), first, 'retry after +24 h: the first result');
  const second = await r.agent.payBill(bill('bp-2', 2_200));
  t.match(second, { ok: true });

  clock.advance(-DAY_MS); // and back again
  t.same(await r.agent.payBill(bill('bp-1', 1_100)), first, 'retry after −24 h: the first result');
  t.same(await r.agent.payBill(bill('bp-2', 2_200)), second, 'retry of the skewed one: the first result');
  t.match(await r.agent.payBill(bill('bp-1', 1)), {
    ok: false,
    reasons: [{ code: 'AGENT_TX_DUPLICATE_ID' }],
  });
  t.equal(r.db.rowsOfTx('bp-1').length, rowsBp1, 'bp-1 journaled once');
  t.equal(r.db.rowsOfTx('wd-1').length, rowsWd1, 'wd-1 journaled once');
  t.equal(r.db.rowsOfTx('bp-2').length, rowsBp1, 'bp-2 journaled once');
});

t.test('HQ acks reveal +24 h: withdrawals refused with AGENT_TX_CLOCK_SKEW, bills go on', async (t) => {
  const clock = new ManualClock(TEN_AM_MS);
  const r = await set.open(t, { clock });
  await configured(r);
  t.match(await r.agent.payBill(bill('sk-1', 500)), { ok: true });
  ackAtHqTime(r, TEN_AM_MS + 100);
  clock.advance(DAY_MS);
  t.match(await r.agent.payBill(bill('sk-2', 600)), { ok: true }, 'before HQ knows, bills go on');
  clock.advance(300);
  ackAtHqTime(r, TEN_AM_MS + 500);
  const refused = await r.agent.startWithdrawal({ txId: 'wd-skew', amountFen: 900_000 });
  t.match(refused, { ok: false });
  const codes = refused.ok ? [] : refused.reasons.map((reason) => reason.code);
  t.ok(codes.includes('AGENT_TX_CLOCK_SKEW'), `refused for the clock: ${codes.join(',')}`);
  t.ok(codes.includes('AGENT_TX_OVER_LIMIT'), 'listed with the other reasons (R21)');
  t.equal(r.db.rowsOfTx('wd-skew').length, 0, 'nothing journaled for the refusal');
  t.match(await r.agent.payBill(bill('sk-3', 700)), { ok: true }, 'bill payments still work');
});

t.test('jumps and a midnight crossing: the closes carry every payment once, chained', async (t) => {
  // 2026-11-28 23:59:59 in Shanghai (UTC+8).
  const beforeMidnight = Date.UTC(2026, 10, 28, 15, 59, 59);
  const clock = new ManualClock(beforeMidnight);
  const r = await set.open(t, { clock, autoDailyClose: true });
  await r.agent.caughtUp();
  await configured(r, allDay); // open round the clock, so midnight falls between two payments
  let paid = 0;
  const pay = async (txId: string, amountFen: number) => {
    const result = await r.agent.payBill(bill(txId, amountFen));
    if (!result.ok) throw new Error(`${txId} refused: ${JSON.stringify(result.reasons)}`);
    paid += amountFen;
  };
  await pay('mn-1', 1_000);
  clock.advance(2_000); // 11-29 00:00:01
  await pay('mn-2', 2_000);
  clock.advance(DAY_MS); // jumps to 11-30
  await pay('mn-3', 3_000);
  const mn3 = await r.agent.payBill(bill('mn-3', 3_000));
  clock.advance(-DAY_MS); // back to 11-29, a day the jump already made the kiosk close
  const late = await r.agent.payBill(bill('mn-4', 4_000));
  t.match(late, { ok: false, reasons: [{ code: 'LEDGER_DAY_CLOSED' }] }, 'no business on a sealed day');
  t.equal(r.db.rowsOfTx('mn-4').length, 0, 'nothing journaled for the refusal');
  t.same(await r.agent.payBill(bill('mn-3', 3_000)), mn3, 'retry after −24 h: the first result');
  t.equal(r.db.rowsOfTx('mn-3').length, r.db.rowsOfTx('mn-1').length, 'mn-3 journaled once');
  clock.advance(3 * DAY_MS); // 12-02: every earlier day due
  await waitFor(() => r.db.getMeta('daily_close:2026-12-01') !== null);
  const closes = closesSent(r, set.uk);
  // A running kiosk seals the empty day the jump skipped too (the midnight timer runs catch-up).
  t.same(
    closes.map((close) => close.businessDate),
    ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01'],
    'every day up to yesterday closed, in order, none skipped',
  );
  t.comment(
    closes.map((close) => `${close.businessDate}#${close.closeSequence}=${billFen(close)}`).join(' '),
  );
  t.equal(
    closes.reduce((sum, close) => sum + billFen(close), 0),
    paid,
    'sum of close totals = sum of payments',
  );
  t.same(
    closes.map((close) => close.closeSequence),
    closes.map((_, index) => index + 1),
    'close sequence unbroken',
  );
  closes.forEach((close, index) => {
    if (index > 0)
      t.equal(close.previousCloseHash, closes[index - 1]!.closeHash, `chain at ${close.businessDate}`);
  });
  t.equal(new Set(closes.map((close) => close.businessDate)).size, closes.length, 'no day closed twice');
});
