// Goal: the expected cash of a station's day (R8 账实相符) follows the money flows of DOMAIN.md:
// bill payments and top-ups bring amount + fee in cash, posted withdrawals pay the amount out (their
// fee comes from the customer's bank account, R5), a declared float is added; a declared count is
// compared with it, "not declared" distinct from zero; every sum stays a safe integer (R1).
// Method: table-driven cases, then fast-check properties against a reference model in BigInt (it
// cannot overflow), with the seed printed (replay: LEDGER_PROPERTY_SEED=<seed>).
import fc from 'fast-check';
import t from 'tap';
import { compareDeclaredCash, type ExpectedCashInput, expectedCash } from '../src/index.js';

const seed = Number(process.env.LEDGER_PROPERTY_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 300);
t.comment(`fast-check seed ${seed} (replay: LEDGER_PROPERTY_SEED=${seed})`);

const MAX = Number.MAX_SAFE_INTEGER;
const line = (amountFen: number, feeFen = 0) => ({ amountFen, feeFen });
const day = (w: number, bill: number, billFee: number, topup: number, topupFee: number, float?: number) =>
  ({
    withdrawals: line(w, 100),
    billPayments: line(bill, billFee),
    topups: line(topup, topupFee),
    ...(float === undefined ? {} : { floatFenOpening: float }),
  }) satisfies ExpectedCashInput;

t.test('table: cash in and out by business type (R2, R5)', async (t) => {
  const cases: Array<[string, ExpectedCashInput, number]> = [
    ['a day with nothing', day(0, 0, 0, 0, 0), 0],
    ['bills and top-ups bring amount + fee in cash', day(0, 10_000, 200, 5_000, 100), 15_300],
    ['a withdrawal pays its amount out, its fee is not in the drawer', day(50_000, 0, 0, 0, 0), -50_000],
    ['both, with a declared float', day(30_000, 20_000, 0, 10_000, 0, 100_000), 100_000],
  ];
  for (const [name, input, expectedFen] of cases) {
    const result = expectedCash(input);
    t.ok(result.ok, name);
    if (result.ok) t.equal(result.expectedCashFen, expectedFen, name);
  }
});

t.test('refusals: bad amounts and sums past 2^53 - 1 (R1, R21)', async (t) => {
  t.match(expectedCash(day(-1, 0, 0, 0, 0)), { ok: false, code: 'LEDGER_AMOUNT_INVALID' });
  t.match(expectedCash(day(0, 1.5, 0, 0, 0)), { ok: false, code: 'LEDGER_AMOUNT_INVALID' });
  t.match(expectedCash(day(0, 0, 0, 0, 0, Number.NaN)), { ok: false, code: 'LEDGER_AMOUNT_INVALID' });
  t.match(expectedCash(day(0, MAX, 0, 0, 0)), { ok: true, expectedCashFen: MAX }, 'exactly 2^53 - 1');
  t.match(expectedCash(day(0, MAX, 1, 0, 0)), { ok: false, code: 'LEDGER_SUM_UNSAFE' }, 'one fen more');
  t.match(expectedCash(day(0, MAX, 0, 0, 0, 1)), { ok: false, code: 'LEDGER_SUM_UNSAFE' }, 'float too');
  t.match(expectedCash(day(MAX, 0, 0, 0, 0)), { ok: true, expectedCashFen: -MAX });
});

t.test('a declared count against the expected cash', async (t) => {
  t.same(compareDeclaredCash(100, undefined), { kind: 'not-declared' });
  t.same(compareDeclaredCash(0, 0), { kind: 'equal' }, 'declared 0 is a declaration');
  t.same(compareDeclaredCash(0, undefined), { kind: 'not-declared' }, 'not declared is not 0');
  t.same(compareDeclaredCash(10_000, 5_000), { kind: 'short', shortFen: 5_000 });
  t.same(compareDeclaredCash(10_000, 10_050), { kind: 'over', overFen: 50 });
  t.same(compareDeclaredCash(10_000, -1), { kind: 'refused', code: 'LEDGER_AMOUNT_INVALID' });
  t.same(compareDeclaredCash(10_000, 0.5), { kind: 'refused', code: 'LEDGER_AMOUNT_INVALID' });
  t.same(compareDeclaredCash(-MAX, MAX), { kind: 'refused', code: 'LEDGER_SUM_UNSAFE' });
});

const fen = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.integer({ min: 0, max: MAX }),
  fc.constantFrom(0, 1, MAX, MAX - 1),
);

t.test('property: equals the BigInt reference model, or refuses exactly when a sum is unsafe', async (t) => {
  const verdict = fc.check(
    fc.property(fen, fen, fen, fen, fen, fc.option(fen, { nil: undefined }), (w, b, bf, u, uf, float) => {
      const input = day(w, b, bf, u, uf, float);
      const inBig = BigInt(b) + BigInt(bf) + BigInt(u) + BigInt(uf);
      const withFloat = inBig + BigInt(float ?? 0);
      const result = expectedCash(input);
      const safe = inBig <= BigInt(MAX) && withFloat <= BigInt(MAX);
      if (!safe) return !result.ok && result.code === 'LEDGER_SUM_UNSAFE';
      return (
        result.ok &&
        BigInt(result.expectedCashFen) === withFloat - BigInt(w) &&
        BigInt(result.cashFenIn) === inBig &&
        result.cashFenOut === w &&
        Number.isSafeInteger(result.expectedCashFen)
      );
    }),
    { seed, numRuns },
  );
  t.equal(
    verdict.failed,
    false,
    `no counterexample (seed ${seed}): ${fc.defaultReportMessage(verdict) ?? ''}`,
  );
});

t.test('property: declared - expected is the difference, and only 0 is equal', async (t) => {
  const verdict = fc.check(
    fc.property(fc.integer({ min: -MAX, max: MAX }), fen, (expectedFen, declaredFen) => {
      const comparison = compareDeclaredCash(expectedFen, declaredFen);
      const differenceBig = BigInt(declaredFen) - BigInt(expectedFen);
      if (differenceBig > BigInt(MAX) || differenceBig < -BigInt(MAX)) return comparison.kind === 'refused';
      if (differenceBig === 0n) return comparison.kind === 'equal';
      if (differenceBig < 0n)
        return comparison.kind === 'short' && BigInt(comparison.shortFen) === -differenceBig;
      return comparison.kind === 'over' && BigInt(comparison.overFen) === differenceBig;
    }),
    { seed, numRuns },
  );
  t.equal(
    verdict.failed,
    false,
    `no counterexample (seed ${seed}): ${fc.defaultReportMessage(verdict) ?? ''}`,
  );
});

t.test('property: one more bill payment raises the expected cash by its amount + fee', async (t) => {
  const small = fc.integer({ min: 0, max: 1_000_000_000 });
  const verdict = fc.check(
    fc.property(
      small,
      small,
      small,
      small,
      fc.integer({ min: 1, max: 1_000_000 }),
      (w, b, u, float, extra) => {
        const before = expectedCash(day(w, b, 0, u, 0, float));
        const after = expectedCash(day(w, b + extra, 100, u, 0, float));
        return before.ok && after.ok && after.expectedCashFen - before.expectedCashFen === extra + 100;
      },
    ),
    { seed, numRuns },
  );
  t.equal(
    verdict.failed,
    false,
    `no counterexample (seed ${seed}): ${fc.defaultReportMessage(verdict) ?? ''}`,
  );
});
