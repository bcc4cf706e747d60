// Goal: HQ judges a withdrawal fee by the fee schedule in force for the station and HQ's business
// day, not by a constant (issue 8, R5/R6): after an R6 change the new fee is accepted and the old
// one refused, a kiosk a few seconds off at midnight of the effective date is not refused, and
// the station config carries every schedule version (history, not only the newest). Method: the
// pure check over a two-version history; the config built by HqOperations, opened with the wire.
import { shanghaiInstantMs } from '@bianmin/core-ledger';
import { openEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { generateHqKeyPem, hqKeyFromPem } from '../src/adapters/crypto/hq-key.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { HqOperations, stationDefaults } from '../src/app/operations.js';
import { type HqFeeSchedule, withdrawalFeeInForce } from '../src/domain/fee-check.js';
import { asClock } from '../src/ports/clock.js';
import { SimStation } from './helpers/station-sim.js';

const history: HqFeeSchedule[] = [
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
    effectiveDate: '2026-12-14',
    announcedAtMs: shanghaiInstantMs('2026-12-04', 9),
    withdrawalFeeFen: 200,
    billPaymentFeeFen: 0,
    mobileTopupFeeFen: 0,
  },
];

t.test('the fee of the schedule in force on HQ’s day, either side of an R6 change', async (t) => {
  const before = shanghaiInstantMs('2026-12-13', 12);
  const after = shanghaiInstantMs('2026-12-14', 12);
  t.ok(withdrawalFeeInForce(history, 100, before, 60_000));
  t.notOk(withdrawalFeeInForce(history, 200, before, 60_000), 'not yet in force');
  t.ok(withdrawalFeeInForce(history, 200, after, 60_000), 'after the change the new fee is approved');
  t.notOk(withdrawalFeeInForce(history, 100, after, 60_000), 'the old fee is refused');
  t.notOk(withdrawalFeeInForce(history, 300, after, 60_000));
  const midnight = shanghaiInstantMs('2026-12-14', 0);
  t.ok(withdrawalFeeInForce(history, 100, midnight + 20_000, 60_000), 'a kiosk 20 s behind at midnight');
  t.ok(withdrawalFeeInForce(history, 200, midnight - 20_000, 60_000), 'a kiosk 20 s ahead at midnight');
});

t.test('the station config carries every fee schedule version (R6 history)', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  const ops = new HqOperations({
    store,
    hqKey: hqKeyFromPem(generateHqKeyPem().privateKeyPem),
    clock: asClock({ nowMs: () => shanghaiInstantMs('2026-12-05', 9) }),
    quotaOf: async () => ({ quotaFen: 0, throughSeq: 0 }),
    defaults: { ...stationDefaults, feeSchedules: history },
  });
  await ops.enrol(new SimStation('FS1').enrolmentRequest());
  await ops.sendConfig('FS1');
  const config = await store.latestConfig('FS1');
  const opened = openEnvelope(config!.envelope);
  t.equal(opened.type, PayloadType.PAYLOAD_TYPE_STATION_CONFIG);
  const body = opened.body as {
    feeSchedules: Array<{ version: number; withdrawalFeeFen: number; announcedAtMs: number }>;
  };
  t.same(
    body.feeSchedules.map((f) => [f.version, Number(f.withdrawalFeeFen), Number(f.announcedAtMs)]),
    [
      [1, 100, 0],
      [2, 200, history[1]!.announcedAtMs],
    ],
  );
  await store.close();
});
