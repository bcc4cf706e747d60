// Goal: R4 beyond withdrawals (issue 11): a station whose network lifecycle exists and is not open
// may not transact at all. HQ refuses a quota purchase for it (HQ_QUOTA_STATION_NOT_OPEN, nothing
// recorded) while a station without a lifecycle record buys as before; a business event it sends
// anyway is kept as received but recorded as a discrepancy (HQ_DISCREPANCY_STATION_NOT_OPEN) with
// an alert, never silently accepted; the same event from a station without a record is not.
// (Authorisation requests are declined before the bank: test/network-r4-gate.test.ts.) Method:
// the ingest pipeline on fakes with StationControl over a memory operations store; then the API
// fixture over real HTTP with the gateway's own operations log.
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { StationControl } from '../src/app/station-control.js';
import { startApiFixture } from './helpers/api-fixture.js';
import { startHarness } from './helpers/fakes.js';
import { advance, networkDeps } from './helpers/network.js';
import { until } from './helpers/until.js';

t.test('a business event from a station not open is a discrepancy with an alert', async (t) => {
  const h = await startHarness(['GATED', 'DIRECT']);
  const network = networkDeps();
  let version = 0;
  const control = new StationControl({
    store: {
      getStation: async (id: string) => h.store.stations.find((s) => s.stationId === id),
      listStations: async () => [...h.store.stations],
    },
    integrity: h.integrity,
    ops: {
      stationControlVersion: async () => String(version),
      bumpStationControlVersion: async () => String(++version),
    },
    clock: h.clock,
    network,
    running: h.pipeline,
  });
  await advance(network, 'GATED', 3);
  t.same(await control.lifecycleChanged('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'applied' });
  for (const station of h.stations) {
    const event = station.billPayment(1_000, { quotaFenAfter: 0 });
    h.pipeline.handleMessage(upTopic(station.stationId, 'event'), event.bytes);
  }
  await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  await h.pipeline.flush();
  const notOpen = h.store.discrepancies.filter((d) => d.code === 'HQ_DISCREPANCY_STATION_NOT_OPEN');
  t.equal(notOpen.length, 1, 'one discrepancy');
  t.match(notOpen[0], { stationId: 'GATED', expected: 'open', actual: 'applied', detail: /BILL_PAYMENT/ });
  t.ok(
    [...h.store.events.values()].some((e) => e.stationId === 'GATED' && e.kind === 'BILL_PAYMENT'),
    "kept as received: the kiosk's journal is the record",
  );
  t.ok([...h.store.events.values()].some((e) => e.stationId === 'DIRECT' && e.kind === 'BILL_PAYMENT'));
  t.notOk(
    h.store.discrepancies.some(
      (d) => d.stationId === 'DIRECT' && d.code === 'HQ_DISCREPANCY_STATION_NOT_OPEN',
    ),
    'a station without a lifecycle record is not judged by it',
  );
});

t.test('in the gateway: a quota purchase refused, an event alerted', async (t) => {
  const api = await startApiFixture();
  t.teardown(() => api.close());
  const gateway = api.hq.gateway;
  await advance(gateway.api.network, 'S2', 3);
  t.same(await gateway.api.control.lifecycleChanged('S2'), { code: 'HQ_NET_NOT_OPEN', state: 'applied' });
  const buy = (stationId: string, receipt: string) =>
    api.call('POST', `/api/v1/stations/${stationId}/quota-purchases`, {
      token: api.tokens.ecommerce,
      body: { amountYuan: '500.00', receipt },
    });
  const refused = await buy('S2', 'OUTLET-R4-1');
  t.equal(refused.status, 422);
  t.equal(refused.json.code, 'HQ_QUOTA_STATION_NOT_OPEN');
  t.match(refused.json.problems, [{ code: 'HQ_QUOTA_STATION_NOT_OPEN', field: 'stationId' }]);
  t.same(await api.hq.gateway.store.quotaPurchases('S2'), [], 'nothing recorded');
  const bought = await buy('S1', 'OUTLET-R4-2');
  t.equal(bought.status, 201, 'a station without a lifecycle record buys as before');
  t.equal((await api.hq.gateway.store.quotaPurchases('S1')).length, 1);

  // S2's kiosk sends a bill payment anyway: stored, a discrepancy, and the discrepancy alert.
  const s2 = api.hq.stations.find((s) => s.stationId === 'S2');
  if (s2 === undefined) throw new Error('the fixture has S2');
  const sealed = s2.billPayment(1_000, { quotaFenAfter: 0 });
  await s2.publish('event', sealed.bytes);
  await s2.waitForAck(sealed.seq);
  const found = (await gateway.store.discrepancies(100)).filter((d) => d.stationId === 'S2');
  t.ok(found.some((d) => d.code === 'HQ_DISCREPANCY_STATION_NOT_OPEN'));
  const raised = await gateway.api.alerts.scan();
  t.ok(
    raised.some((a) => a.kind === 'HQ_ALERT_DISCREPANCY' && a.stationId === 'S2'),
    'an alert, not a silent acceptance',
  );
});
