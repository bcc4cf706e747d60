// Goal: R4 in the running gateway (issue 11): a station whose network lifecycle exists and is not
// open may not transact: its withdrawal requests are declined before the bank (STATION_NOT_ALLOWED,
// response code 58; HQ_NET_NOT_OPEN in the log), while a station with no lifecycle record (enrolled
// directly, as in the demo) keeps working; opening it lifts the block at once, a lifecycle
// suspension or closure puts it back, and a gateway started (or reconciling) after a change made
// elsewhere applies the blocks from the operations log. Method: the ingest pipeline on fakes
// (helpers/fakes.ts, no broker) with StationControl / StationControlSync over a memory operations
// store; each request awaits the pipeline's 'authorised' event.
import { upTopic, v1 } from '@bianmin/wire';
import t from 'tap';
import { stationStep, stationView } from '../src/app/network/stations.js';
import { networkBlockOf, StationControl, StationControlSync } from '../src/app/station-control.js';
import { silentLog } from '../src/ports/log.js';
import { startHarness } from './helpers/fakes.js';
import { advance, BASE, market, networkDeps, northOf, stepsToOpen } from './helpers/network.js';
import { luhnPan } from './helpers/station-sim.js';

t.test('a station not open is declined before the bank; one without a lifecycle keeps working', async (t) => {
  const h = await startHarness(['GATED', 'DIRECT']);
  const network = networkDeps();
  let version = 0;
  const ops = {
    stationControlVersion: async () => String(version),
    bumpStationControlVersion: async () => {
      version += 1;
      return String(version);
    },
  };
  const store = {
    getStation: async (id: string) => h.store.stations.find((s) => s.stationId === id),
    listStations: async () => [...h.store.stations],
  };
  const deps = { store, integrity: h.integrity, ops, clock: h.clock, network };
  const control = new StationControl({ ...deps, running: h.pipeline });
  const pan = luhnPan('622202');
  let n = 0;
  const ask = async (stationId: string) => {
    n += 1;
    const station = h.stations.find((s) => s.stationId === stationId)!;
    const request = station.authRequest({
      requestId: `r4-${n}`,
      transactionId: `t4-${n}`,
      pan,
      pin: '1234',
      tpk: new Uint8Array(16),
      amountFen: 10_000,
    });
    const answered = new Promise((resolve) => h.pipeline.once('authorised', resolve));
    h.pipeline.handleMessage(upTopic(stationId, 'auth-req'), request.bytes);
    await answered;
    const sent = h.publisher.sent
      .filter((s) => s.stationId === stationId && s.channel === 'auth-resp')
      .at(-1);
    return sent?.body as { decision?: number; declineReason?: number; bankResponseCode?: string };
  };
  const declinedNotOpen = {
    decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED,
    declineReason: v1.DeclineReason.DECLINE_REASON_STATION_NOT_ALLOWED,
    bankResponseCode: '58',
  };

  // GATED is proposed in the network (its lifecycle exists, not open); DIRECT has no record.
  await advance(network, 'GATED', 3);
  t.same(await control.lifecycleChanged('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'applied' });
  t.equal(await control.lifecycleChanged('DIRECT'), null, 'no lifecycle record: no block');
  t.same(h.pipeline.networkBlock('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'applied' });
  t.equal(version, 2, 'each change told other processes (the station-control version)');

  const bankBefore = h.bank.requests.length;
  t.match(await ask('GATED'), declinedNotOpen, 'R4: declined, STATION_NOT_ALLOWED, response code 58');
  t.equal(h.bank.requests.length, bankBefore, 'the bank was not asked');
  t.match(await ask('DIRECT'), { decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED });
  t.equal(h.bank.requests.length, bankBefore + 1, 'the directly enrolled station reached the bank');

  // Opened: org code and quota account issued (R4): served at once.
  for (const [kind, payload] of stepsToOpen().slice(3)) {
    const step = await stationStep(network, market, 'GATED', kind, payload);
    t.ok(step.ok, kind);
  }
  t.equal(await control.lifecycleChanged('GATED'), null);
  t.match(await ask('GATED'), { decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED });

  // Suspended in the lifecycle: declined again; reopened: served.
  const suspended = await stationStep(network, market, 'GATED', 'suspended', { notes: '整改' });
  t.ok(suspended.ok);
  t.same(await control.lifecycleChanged('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'suspended' });
  t.match(await ask('GATED'), declinedNotOpen);
  t.equal(h.pipeline.counters.authDeclined >= 2, true, 'declines are counted');

  // A change made by another process (no running gateway told): the next reconcile applies it.
  const reopened = await stationStep(network, market, 'GATED', 'reopened', {});
  t.ok(reopened.ok);
  const sync = new StationControlSync({ ...deps, running: h.pipeline }, silentLog);
  await sync.reconcile();
  t.equal(h.pipeline.networkBlock('GATED'), null, 'reconcile lifted the block');
  await stationStep(network, market, 'GATED', 'closed', { notes: '停业' });
  await sync.reconcile();
  t.same(h.pipeline.networkBlock('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'closed' });

  // A restarted gateway applies the blocks when its sync starts.
  const restarted = await h.restart();
  t.equal(restarted.networkBlock('GATED'), null, 'a new pipeline starts unblocked');
  const startSync = new StationControlSync({ ...deps, running: restarted }, silentLog);
  await startSync.start();
  startSync.stop();
  t.same(restarted.networkBlock('GATED'), { code: 'HQ_NET_NOT_OPEN', state: 'closed' }, 'applied at start');
  t.equal(restarted.networkBlock('DIRECT'), null);
});

t.test('networkBlockOf: no record none, open none, every other state blocked', async (t) => {
  const network = networkDeps();
  t.equal(networkBlockOf(undefined), null);
  await advance(network, 'X1', 1, northOf(BASE, 10_000));
  t.same(networkBlockOf(await stationView(network, 'X1')), { code: 'HQ_NET_NOT_OPEN', state: 'proposed' });
  await advance(network, 'X2', 11, northOf(BASE, 30_000));
  t.equal(networkBlockOf(await stationView(network, 'X2')), null);
});
