// Goal: one station cannot flood the bank and the store with authorisation requests (issue 8): HQ
// lets a station send a burst and then one request per interval on its own clock; past that a
// request is declined before the bank (HQ_AUTH_RATE_LIMITED: STATION_NOT_ALLOWED, response code
// 65), counted, and counted as a refusal towards the station's suspension bound, while another
// station's requests are approved as before. Method: the pure limiter on a table of instants, then
// the ingest pipeline on fakes (helpers/fakes.ts) with a fake clock and a small limit.
import { upTopic, v1 } from '@bianmin/wire';
import t from 'tap';
import { AuthRateLimiter, authRateLimitDefault } from '../src/domain/auth-rate-limit.js';
import { authRequestsPerStationBurstMax, authRequestsPerStationIntervalMs } from '../src/limits.js';
import { startHarness } from './helpers/fakes.js';
import { luhnPan } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

t.test('the limiter: a burst, then one per interval; stations apart; a clock step back', async (t) => {
  const limiter = new AuthRateLimiter({ intervalMs: 1_000, burstMax: 3 });
  const at = 10_000_000;
  const takes = (station: string, nowMs: number, count: number) =>
    Array.from({ length: count }, () => limiter.take(station, nowMs).allowed);
  t.same(takes('A', at, 4), [true, true, true, false], 'the burst of 3 at one instant, the 4th refused');
  t.same(
    limiter.take('A', at),
    { allowed: false, limitStarted: false },
    'one alert per burst, not per request',
  );
  t.same(takes('B', at, 3), [true, true, true], 'another station has its own cell');
  t.same(takes('A', at + 999, 1), [false], 'not before the interval has passed');
  t.same(takes('A', at + 1_000, 2), [true, false], 'one more per interval');
  t.same(limiter.take('A', at + 1_000), { allowed: false, limitStarted: false });
  t.same(takes('A', at + 10_000, 4), [true, true, true, false], 'a quiet station gets its burst back');
  t.same(limiter.take('A', at + 20_000), { allowed: true, limitStarted: false });
  t.same(limiter.take('A', at + 20_000).allowed, true);
  t.same(limiter.take('A', at + 20_000).allowed, true);
  t.same(limiter.take('A', at + 20_000), { allowed: false, limitStarted: true }, 'a new burst alerts again');
  t.same(takes('A', at - 3_600_000, 1), [true], 'HQ clock stepped back an hour: not locked out');
  t.throws(() => new AuthRateLimiter({ intervalMs: 0, burstMax: 3 }), /intervalMs/);
  t.throws(() => limiter.take('A', 1.5), /nowMs/);
  t.same(
    authRateLimitDefault,
    { intervalMs: authRequestsPerStationIntervalMs, burstMax: authRequestsPerStationBurstMax },
    'the default is limits.ts',
  );
});

t.test('the pipeline declines a flood before the bank; the other station is served', async (t) => {
  const limit = { intervalMs: 1_000, burstMax: 3 };
  const h = await startHarness(['FL1', 'OK1'], {
    authRateLimit: limit,
    stationBounds: { seqAheadMax: 1_000, outOfOrderSeqsMax: 1_000, refusalsMax: 100 },
  });
  const [flooder, honest] = h.stations as [(typeof h.stations)[0], (typeof h.stations)[0]];
  const pan = luhnPan('622202');
  const tpk = new Uint8Array(16);
  let n = 0;
  const ask = async (station: typeof flooder, count: number) => {
    for (let k = 0; k < count; k += 1) {
      n += 1;
      const request = station.authRequest({
        requestId: `r-${n}`,
        transactionId: `t-${n}`,
        pan,
        pin: '1234',
        tpk,
        amountFen: 10_000,
      });
      const answered = new Promise((resolve) => h.pipeline.once('authorised', resolve));
      h.pipeline.handleMessage(upTopic(station.stationId, 'auth-req'), request.bytes);
      await answered;
    }
  };
  const answers = (stationId: string) =>
    h.publisher.sent
      .filter((s) => s.stationId === stationId && s.channel === 'auth-resp')
      .map((s) => s.body as { declineReason?: number; bankResponseCode?: string; decision?: number });
  await ask(flooder, 10);
  await ask(honest, 2);
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  t.equal(
    h.bank.requests.filter((r) => r.stationId === 'FL1').length,
    3,
    'only the burst of the flooding station reached the bank',
  );
  const flooded = answers('FL1');
  t.equal(flooded.length, 10, 'every request answered (the kiosk does not wait for a timeout)');
  const limited = flooded.filter(
    (a) =>
      a.declineReason === v1.DeclineReason.DECLINE_REASON_STATION_NOT_ALLOWED && a.bankResponseCode === '65',
  );
  t.equal(limited.length, 7, 'the rest declined STATION_NOT_ALLOWED, response code 65');
  t.equal(h.pipeline.counters.authRateLimited, 7, 'counted');
  t.same(
    answers('OK1').map((a) => a.decision),
    [
      v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
      v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
    ],
    'the other station is approved as before',
  );
  t.equal(h.pipeline.suspension('FL1'), null, 'seven refusals are below this test’s suspension bound');
  h.clock.advance(limit.intervalMs);
  await ask(flooder, 1);
  t.equal(h.bank.requests.filter((r) => r.stationId === 'FL1').length, 4, 'one more after the interval');
  await h.pipeline.close();
});

t.test('a station that keeps flooding is suspended by the refusal bound', async (t) => {
  const h = await startHarness(['FL2'], {
    authRateLimit: { intervalMs: 1_000, burstMax: 1 },
    stationBounds: { seqAheadMax: 1_000, outOfOrderSeqsMax: 1_000, refusalsMax: 4 },
  });
  const station = h.stations[0]!;
  const pan = luhnPan('622202');
  for (let k = 0; k < 6; k += 1) {
    const request = station.authRequest({
      requestId: `s-${k}`,
      transactionId: `u-${k}`,
      pan,
      pin: '1234',
      tpk: new Uint8Array(16),
      amountFen: 10_000,
    });
    h.pipeline.handleMessage(upTopic('FL2', 'auth-req'), request.bytes);
  }
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  await h.pipeline.flush();
  t.match(h.pipeline.suspension('FL2'), { reasonCode: 'HQ_STATION_SUSPENDED', detail: /5 refused messages/ });
  t.equal(h.bank.requests.length, 1, 'the bank saw one request');
  await h.pipeline.close();
});
