// Goal: HQ judges a withdrawal's hold expiry by the value HQ signed into that station's own config
// (proto Limits.hold_expiry_ms), not by the gateway's default (issues 8, 9): a station told 60 s
// is flagged for a post 61 s after the grant, a station told 0 ("no expiry") is never flagged,
// and a grant is judged by the config in force when HQ granted it. Method: the pure book on a
// table, then the ingest pipeline on fakes (helpers/fakes.ts) with a fake clock and configs sealed
// under HQ's key, fed to the pipeline as operations.sendConfig and main.ts's start-up do.
import { PayloadType, upTopic } from '@bianmin/wire';
import t from 'tap';
import { stationDefaults } from '../src/app/operations.js';
import { sealHq } from '../src/app/seal-hq.js';
import { feeSchedulesOf } from '../src/domain/fee-check.js';
import { StationHoldExpiryBook } from '../src/domain/station-hold-expiry.js';
import { holdExpiryConfigsPerStationMax } from '../src/limits.js';
import { type Harness, startHarness } from './helpers/fakes.js';
import { luhnPan } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

t.test('the book: the config in force at the grant, per station, bounded', async (t) => {
  const book = new StationHoldExpiryBook();
  t.equal(book.inForceAt('A', 1_000), undefined, 'no config known');
  book.configSent('A', 1_000, 60_000);
  book.configSent('A', 5_000, 0);
  book.configSent('B', 1_000, 900_000);
  t.equal(book.inForceAt('A', 999), 60_000, 'before every config remembered: the oldest');
  t.equal(book.inForceAt('A', 1_000), 60_000);
  t.equal(book.inForceAt('A', 4_999), 60_000);
  t.equal(book.inForceAt('A', 5_000), 0, 'the newer config from its issue on');
  t.equal(book.inForceAt('B', 5_000), 900_000, 'each station its own');
  for (let k = 0; k < holdExpiryConfigsPerStationMax + 3; k += 1) book.configSent('C', 10_000 + k, k);
  t.equal(book.inForceAt('C', 0), 3, 'only the newest few are kept (holdExpiryConfigsPerStationMax)');
  t.throws(() => book.configSent('A', 1, -1), /holdExpiryMs/);
});

/** A StationConfig sealed under HQ's key, with only the hold expiry of interest. */
function configEnvelope(h: Harness, stationId: string, version: number, holdExpiryMs: number): Uint8Array {
  const issuedAtMs = h.clock.nowMs();
  return sealHq(
    h.hqKey,
    stationId,
    PayloadType.PAYLOAD_TYPE_STATION_CONFIG,
    {
      configVersion: version,
      orgCode: `ORG${stationId}`,
      quotaAccountId: `quota-${stationId}`,
      feeSchedules: feeSchedulesOf(stationDefaults).map((f) => ({ ...f })),
      quotaFenBalance: 0,
      quotaBalanceThroughSeq: 0,
      quotaPurchases: [],
      serviceHours: {
        timeZone: 'Asia/Shanghai',
        opensAtMinute: 0,
        closesAtMinute: 24 * 60,
        maintenanceWindows: [],
        closedOnHolidays: false,
      },
      limits: {
        withdrawalFenMaxPerTransaction: 0,
        withdrawalFenMaxPerCardPerDay: 0,
        withdrawalFenMaxPerStationPerDay: 0,
        withdrawalCountMaxPerCardPerDay: 0,
        billPaymentFenMaxPerTransaction: 0,
        topupFenMaxPerTransaction: 0,
        authorisationTimeoutMs: 15_000,
        holdExpiryMs,
      },
      issuedAtMs,
    },
    issuedAtMs,
  );
}

t.test("the pipeline judges each station's post by its own config's hold expiry", async (t) => {
  const h = await startHarness(['SH1', 'NX1', 'DF1']);
  const pan = luhnPan('622202');
  const tpk = new Uint8Array(16);
  const ingest = async (stationId: string, bytes: Uint8Array) => {
    h.pipeline.handleMessage(upTopic(stationId, 'event'), bytes);
    await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  };
  const grant = async (index: number, requestId: string) => {
    const station = h.stations[index]!;
    const transactionId = `t-${requestId}`;
    const request = station.authRequest({
      requestId,
      transactionId,
      pan,
      pin: '1234',
      tpk,
      amountFen: 10_000,
    });
    const answered = new Promise((resolve) => h.pipeline.once('authorised', resolve));
    h.pipeline.handleMessage(upTopic(station.stationId, 'auth-req'), request.bytes);
    await answered;
    const withdrawal = { requestId, transactionId, pan, amountFen: 10_000 };
    await ingest(station.stationId, station.withdrawalEvent('authorised', withdrawal).bytes);
    return withdrawal;
  };
  const post = (index: number, withdrawal: Awaited<ReturnType<typeof grant>>) =>
    ingest(h.stations[index]!.stationId, h.stations[index]!.withdrawalEvent('posted', withdrawal).bytes);
  // SH1 was told 60 s, NX1 "no expiry" (0); DF1's config HQ never saw (the gateway default, 10 min).
  for (const [stationId, holdExpiryMs] of [
    ['SH1', 60_000],
    ['NX1', 0],
  ] as const) {
    h.pipeline.configSent({
      stationId,
      issuedAtMs: h.clock.nowMs(),
      envelope: configEnvelope(h, stationId, 1, holdExpiryMs),
    });
  }
  const short = await grant(0, 'short');
  const none = await grant(1, 'none');
  const fallback = await grant(2, 'fallback');
  h.clock.advance(61_000);
  await post(0, short);
  h.clock.advance(stationDefaults.holdExpiryMs);
  await post(1, none);
  await post(2, fallback);
  // A new config for SH1 (no expiry) does not excuse a hold granted under the old one.
  const later = await grant(0, 'later');
  h.clock.advance(1_000);
  h.pipeline.configSent({
    stationId: 'SH1',
    issuedAtMs: h.clock.nowMs(),
    envelope: configEnvelope(h, 'SH1', 2, 0),
  });
  h.clock.advance(60_000);
  await post(0, later);
  await h.pipeline.flush();
  const flagged = h.store.discrepancies
    .filter((d) => d.code === 'HQ_DISCREPANCY_HOLD_EXPIRED')
    .map((d) => `${d.stationId}:${d.detail.match(/\d+ ms/)?.[0]}`);
  t.same(
    flagged.sort(),
    ['DF1:61000 ms', 'SH1:1000 ms', 'SH1:1000 ms'].sort(),
    'SH1 flagged by its own 60 s (twice: the later grant under the config in force then), NX1 never, DF1 by the default',
  );
  await h.pipeline.close();
});
