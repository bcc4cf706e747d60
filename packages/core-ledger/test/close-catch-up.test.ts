// Goal: a daily close never skips a day (R7). A close for day D while an earlier day with business
// is still open is refused (LEDGER_CLOSE_EARLIER_DAY_UNCLOSED), and unclosedBusinessDays lists the
// days a service must close, in order, to catch up after being off over one or more midnights.
// Method: a table of small cases, then a fast-check property over random patterns of business and
// offline midnights (with early closes and late completions): the sum of the sealed close totals
// equals the sum of the business the ledger accepted, and every close follows the one before. The
// seed is printed: rerun with LEDGER_PROPERTY_SEED=<seed> to replay a failure.

import fc from 'fast-check';
import t from 'tap';
import {
  dateFromDayNumber,
  type LedgerResult,
  parseIsoDate,
  shanghaiInstantMs,
  verifyCloseChain,
} from '../src/index.js';
import { bill, hold, ledgerWithStations, post } from './helpers.js';

const seed = Number(process.env.LEDGER_PROPERTY_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 100);
t.comment(`fast-check seed ${seed} (replay: LEDGER_PROPERTY_SEED=${seed})`);

const day = (offset: number): string => dateFromDayNumber(parseIsoDate('2026-03-02')! + offset);
const atOn = (offset: number, hour: number, minute = 0): number =>
  shanghaiInstantMs(day(offset), hour, minute);
const close = (offset: number, atMs: number, id = `close-${day(offset)}`) =>
  ({ type: 'daily-close', id, atMs, stationId: 'S1', businessDate: day(offset) }) as const;
const reasons = (result: LedgerResult): readonly string[] => (result.ok ? [result.code] : result.reasons);

t.test(
  'R7: a close while an earlier business day is open is refused; the missed days are listed',
  async (t) => {
    const ledger = ledgerWithStations(1_000_000);
    t.ok(ledger.apply(bill('b0', 1_000, 'S1', atOn(0, 9))).ok);
    t.ok(ledger.apply(bill('b2', 2_000, 'S1', atOn(2, 9))).ok);
    t.same(ledger.unclosedBusinessDays('S1'), [day(0), day(2)], 'both business days are open');
    t.same(ledger.unclosedBusinessDays('S1', day(2)), [day(0)], 'the days before day 2');
    t.same(ledger.unclosedBusinessDays('NOPE'), [], 'unknown station: none');
    const skip = ledger.apply(close(2, atOn(3, 0, 5)));
    t.same(reasons(skip), ['LEDGER_CLOSE_EARLIER_DAY_UNCLOSED'], 'day 2 cannot be closed before day 0');
    t.equal(ledger.closes('S1').length, 0, 'nothing sealed');
    t.same(reasons(ledger.apply(close(0, atOn(3, 0, 6)))), ['LEDGER_OK'], 'day 0 first');
    t.same(
      reasons(ledger.apply(close(2, atOn(3, 0, 7), 'close-2-again'))),
      ['LEDGER_OK'],
      'then day 2 (day 1 had none)',
    );
    t.same(ledger.unclosedBusinessDays('S1'), [], 'caught up');
    t.same(
      ledger.closes('S1').map((c) => [c.businessDate, c.totals.BILL_PAYMENT.amountFen]),
      [
        [day(0), 1_000],
        [day(2), 2_000],
      ],
    );
    t.same(verifyCloseChain(ledger.closes('S1')), []);
    // An empty day may be closed on its own: there is nothing before it to lose.
    t.same(reasons(ledger.apply(close(4, atOn(5, 1)))), ['LEDGER_OK'], 'an empty day after the last close');
    // Every reason at once: out of order and an open earlier day cannot both hold; future + open can.
    t.ok(ledger.apply(bill('b6', 500, 'S1', atOn(6, 9))).ok);
    t.same(reasons(ledger.apply(close(8, atOn(6, 21)))), [
      'LEDGER_CLOSE_DATE_IN_FUTURE',
      'LEDGER_CLOSE_EARLIER_DAY_UNCLOSED',
    ]);
  },
);

t.test(
  'R7: a completion after an early close lands on the next day, which must then be closed too',
  async (t) => {
    const ledger = ledgerWithStations(1_000_000);
    t.ok(ledger.apply(hold('w1', 10_000, 'S1', 'card-A', atOn(0, 17))).ok);
    t.ok(ledger.apply(close(0, atOn(0, 18))).ok, 'closed early, hold still pending');
    t.ok(ledger.apply(post('w1', atOn(0, 19))).ok, 'posted after the close');
    t.same(ledger.unclosedBusinessDays('S1'), [day(1)], 'the post is business of day 1');
    t.same(reasons(ledger.apply(close(2, atOn(3, 0, 5)))), ['LEDGER_CLOSE_EARLIER_DAY_UNCLOSED']);
    t.ok(ledger.apply(close(1, atOn(3, 0, 6))).ok);
    t.equal(
      ledger.closes('S1').at(-1)!.totals.CASH_WITHDRAWAL.amountFen,
      10_000,
      'no revenue between closes',
    );
  },
);

interface DayPlan {
  readonly bills: readonly number[];
  readonly withdrawals: readonly number[];
  /** The kiosk closes the day itself at 18:00 (an early close); later business is refused or lands on the next day. */
  readonly closesEarly: boolean;
  /** The kiosk is on at the midnight after this day (it closes what it has missed). */
  readonly onlineAtMidnight: boolean;
}

const dayPlanArb: fc.Arbitrary<DayPlan> = fc.record({
  bills: fc.array(fc.integer({ min: 1, max: 5_000 }), { maxLength: 3 }),
  withdrawals: fc.array(fc.integer({ min: 1, max: 20_000 }), { maxLength: 2 }),
  closesEarly: fc.boolean(),
  onlineAtMidnight: fc.boolean(),
});

t.test(
  'property: any pattern of offline days loses no revenue (sum of close totals = sum of business)',
  async (t) => {
    fc.assert(
      fc.property(fc.array(dayPlanArb, { minLength: 1, maxLength: 12 }), (plans) => {
        const ledger = ledgerWithStations(10_000_000);
        let billsFen = 0;
        let withdrawalsFen = 0;
        let feesFen = 0;
        let n = 0;
        const catchUp = (beforeOffset: number, atMs: number): void => {
          for (const date of ledger.unclosedBusinessDays('S1', day(beforeOffset))) {
            const result = ledger.apply({
              type: 'daily-close',
              id: `catch-up-${n++}`,
              atMs,
              stationId: 'S1',
              businessDate: date,
            });
            if (!result.ok)
              throw new Error(`catch-up close of ${date} refused: ${result.reasons.join(', ')}`);
          }
        };
        plans.forEach((plan, offset) => {
          const accept = (result: LedgerResult, add: () => void): void => {
            if (result.ok) add();
          };
          plan.bills.forEach((amountFen, i) => {
            // One bill in the morning, the others in the evening (after an early close: refused).
            const atMs = atOn(offset, i === 0 ? 9 : 19, i);
            accept(ledger.apply(bill(`b-${offset}-${i}`, amountFen, 'S1', atMs)), () => {
              billsFen += amountFen;
            });
          });
          plan.withdrawals.forEach((amountFen, i) => {
            const id = `w-${offset}-${i}`;
            if (!ledger.apply(hold(id, amountFen, 'S1', `card-${offset}-${i}`, atOn(offset, 17, i))).ok)
              return;
            // The second withdrawal of a day is posted in the evening: after an early close it lands on the next day.
            accept(ledger.apply(post(id, atOn(offset, i === 0 ? 17 : 19, 30 + i))), () => {
              withdrawalsFen += amountFen;
              feesFen += 100;
            });
          });
          if (plan.closesEarly) {
            // The operator closes today early; any earlier open day must come first (refused otherwise).
            const early = ledger.apply({ ...close(offset, atOn(offset, 18)), id: `early-${offset}` });
            if (
              !early.ok &&
              !early.reasons.every(
                (r) => r === 'LEDGER_CLOSE_EARLIER_DAY_UNCLOSED' || r === 'LEDGER_CLOSE_OUT_OF_ORDER',
              )
            )
              throw new Error(`early close refused for another reason: ${early.reasons.join(', ')}`);
          }
          if (plan.onlineAtMidnight) {
            // A naive close of yesterday alone: refused while an earlier business day is open.
            const naive = ledger.apply({ ...close(offset, atOn(offset + 1, 0, 1)), id: `naive-${offset}` });
            const open = ledger.unclosedBusinessDays('S1', day(offset));
            if (naive.ok && open.length > 0) throw new Error('a close skipped an open business day');
            catchUp(offset + 1, atOn(offset + 1, 0, 2));
          }
        });
        catchUp(plans.length + 1, atOn(plans.length + 1, 0, 3));
        const closes = ledger.closes('S1');
        const sum = (pick: (c: (typeof closes)[number]) => number): number =>
          closes.reduce((s, c) => s + pick(c), 0);
        const dates = closes.map((c) => c.businessDate);
        return (
          ledger.unclosedBusinessDays('S1').length === 0 &&
          sum((c) => c.totals.BILL_PAYMENT.amountFen) === billsFen &&
          sum((c) => c.totals.CASH_WITHDRAWAL.amountFen) === withdrawalsFen &&
          sum((c) => c.totals.CASH_WITHDRAWAL.feeFen) === feesFen &&
          dates.every((date, i) => i === 0 || date > dates[i - 1]!) &&
          verifyCloseChain(closes).length === 0
        );
      }),
      { seed, numRuns },
    );
    t.pass(`${numRuns} patterns`);
  },
);
