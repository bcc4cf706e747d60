// Goal: HQ operator actions are idempotent and speak yuan (issue 8): a quota purchase carries the
// outlet's receipt reference; the same reference, station and amount again is `exists` (nothing
// recorded twice, no new config), another amount or station under it is HQ_QUOTA_PURCHASE_CONFLICT;
// amounts may be given in yuan ('5000', '5000.00', 5000) and are echoed in yuan. Method:
// HqOperations over an in-memory SQLite store; table-driven amounts.
import t from 'tap';
import { generateHqKeyPem, hqKeyFromPem } from '../src/adapters/crypto/hq-key.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { HqOperations } from '../src/app/operations.js';
import { parseAmount, yuanText } from '../src/domain/amount.js';
import { HqError } from '../src/errors.js';
import { asClock } from '../src/ports/clock.js';
import { SimStation } from './helpers/station-sim.js';

async function setUp(): Promise<{ ops: HqOperations; store: SqliteStore }> {
  const store = new SqliteStore({ path: ':memory:' });
  const ops = new HqOperations({
    store,
    hqKey: hqKeyFromPem(generateHqKeyPem().privateKeyPem),
    clock: asClock({ nowMs: () => 1_780_000_000_000 }),
    quotaOf: async () => ({ quotaFen: 0, throughSeq: 0 }),
  });
  await ops.enrol(new SimStation('QR1').enrolmentRequest());
  await ops.enrol(new SimStation('QR2').enrolmentRequest());
  return { ops, store };
}

async function problemsOf(
  work: Promise<unknown>,
): Promise<Array<{ code: string; field: string | undefined }>> {
  try {
    await work;
  } catch (error) {
    if (error instanceof HqError) return error.problems.map((p) => ({ code: p.code, field: p.field }));
    throw error;
  }
  throw new Error('expected a refusal');
}

t.test('the same receipt twice is exists; another amount or station under it is a conflict', async (t) => {
  const { ops, store } = await setUp();
  const first = await ops.purchaseQuota('QR1', { yuan: '5000' }, 'OUTLET-7-000123');
  t.same(
    { outcome: first.outcome, fen: first.amountFen, yuan: first.amountYuan, id: first.purchaseId },
    { outcome: 'recorded', fen: 500_000, yuan: '5000.00', id: 'OUTLET-7-000123' },
  );
  const again = await ops.purchaseQuota('QR1', { yuan: '5000.00' }, 'OUTLET-7-000123');
  t.same([again.outcome, again.amountYuan, again.configVersion], ['exists', '5000.00', first.configVersion]);
  t.equal((await store.quotaPurchases('QR1')).length, 1, 'recorded once');
  t.equal((await store.latestConfig('QR1'))?.version, first.configVersion, 'no new config for exists');
  t.same(await problemsOf(ops.purchaseQuota('QR1', { yuan: 6000 }, 'OUTLET-7-000123')), [
    { code: 'HQ_QUOTA_PURCHASE_CONFLICT', field: 'receipt' },
  ]);
  t.same(await problemsOf(ops.purchaseQuota('QR2', { yuan: 5000 }, 'OUTLET-7-000123')), [
    { code: 'HQ_QUOTA_PURCHASE_CONFLICT', field: 'receipt' },
  ]);
  t.equal((await store.quotaPurchases('QR2')).length, 0);
  await store.close();
});

t.test('every problem of a purchase at once (R21): below R3, bad receipt reference', async (t) => {
  const { ops, store } = await setUp();
  t.same(await problemsOf(ops.purchaseQuota('QR1', { yuan: '499.99' }, 'has space')), [
    { code: 'HQ_QUOTA_PURCHASE_REFUSED', field: 'amount' },
    { code: 'HQ_QUOTA_PURCHASE_REFUSED', field: 'receipt' },
  ]);
  t.same(await problemsOf(ops.purchaseQuota('QR1', { yuan: '5000.001' }, 'R-1')), [
    { code: 'HQ_QUOTA_PURCHASE_REFUSED', field: 'yuan' },
  ]);
  await store.close();
});

t.test('amounts in fen or yuan, never rounded', async (t) => {
  const cases: Array<[Parameters<typeof parseAmount>[0], number | string]> = [
    [500_000, 500_000],
    [{ fen: '500000' }, 500_000],
    [{ yuan: '5000' }, 500_000],
    [{ yuan: '5000.00' }, 500_000],
    [{ yuan: '5000.5' }, 500_050],
    [{ yuan: 5000 }, 500_000],
    [{ yuan: 5000.25 }, 500_025],
    [{ yuan: '5,000' }, 'yuan'],
    [{ yuan: '1.234' }, 'yuan'],
    [{ yuan: '-5' }, 'yuan'],
    [{ fen: 1.5 }, 'fen'],
    [{ fen: '12a' }, 'fen'],
    [Number.NaN, 'fen'],
  ];
  for (const [input, expected] of cases) {
    const parsed = parseAmount(input, 'HQ_QUOTA_PURCHASE_REFUSED');
    t.same(parsed.ok ? parsed.amountFen : parsed.problem.field, expected, JSON.stringify(input));
  }
  t.equal(yuanText(500_005), '5000.05');
});
