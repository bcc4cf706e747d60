// Goal: alerts as data (issue 11): the rules open station offline, faulty peripheral, low quota,
// discrepancy and quarantine-spike alerts, at most one open per (kind, station) (a new one once
// acknowledged); delivery to a webhook retries with capped exponential backoff on the Clock and
// records its state: delivered after failures, failed (HQ_ALERT_DELIVERY_FAILED) after
// alertDeliveryAttemptsMax. Method: the alert service over a real SQLite ops store in memory, a
// fake report store, a FakeClock, and a local HTTP receiver on a free port that answers 500 as
// often as told; the test awaits each delivery pass, no sleeps.
import { createServer, type Server } from 'node:http';
import t from 'tap';
import { fetchWebhook } from '../src/adapters/http/webhook-client.js';
import { SqliteOpsStore } from '../src/adapters/sqlite/ops-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { AlertService, deliveryBackoffMs } from '../src/app/alerts.js';
import type { StationRecord, StationStatus } from '../src/domain/types.js';
import {
  alertDeliveryAttemptsMax,
  alertDeliveryBackoffMsMax,
  quarantineSpikeCountMin,
} from '../src/limits.js';
import { silentLog } from '../src/ports/log.js';
import { FakeClock } from './helpers/fake-clock.js';

const station = (stationId: string): StationRecord => ({
  stationId,
  orgCode: `ORG${stationId}`,
  keyId: 'k',
  publicKeyPem: '',
  fingerprint: 'f',
  readerSerial: 'r',
  pinPadSerial: 'p',
  tokenSerial: 't',
  enrolledAtMs: 1,
});

function world() {
  const state = {
    statuses: [] as StationStatus[],
    discrepancies: new Map<string, number>(),
    quarantined: 0,
    quota: new Map<string, number>(),
  };
  const store = {
    listStations: async () => [station('A1'), station('A2')],
    loadStatuses: async () => state.statuses,
    stationAlerts: async () =>
      [...state.discrepancies].map(([stationId, discrepancyCount]) => ({
        stationId,
        suspension: null,
        discrepancyCount,
        lastDiscrepancy: null,
      })),
    counts: async () => ({
      events: 0,
      quarantinedByReason: { HQ_SIGNATURE_INVALID: state.quarantined },
      discrepancies: 0,
      openGaps: 0,
      stations: 2,
    }),
  };
  return { state, store };
}

async function receiver(failures: number): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  let left = failures;
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(text));
      response.statusCode = left > 0 ? 500 : 204;
      left -= 1;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, bodies };
}

t.test('the rules open each kind once per station while open', async (t) => {
  const db = new SqliteStore({ path: ':memory:' });
  t.teardown(() => db.close());
  const ops = new SqliteOpsStore(db.db);
  const clock = new FakeClock();
  const { state, store } = world();
  state.quota.set('A1', 500_000);
  state.statuses = [
    {
      stationId: 'A1',
      online: false,
      offlineReason: 'silence',
      lastSeenMs: 5,
      bdSeq: 1,
      peripherals: [{ name: 'pinPad', ok: false, detail: 'no answer' }],
      outboxDepth: 0,
    },
  ];
  state.discrepancies.set('A2', 2);
  const alerts = new AlertService({
    ops,
    store,
    quotaOf: (id) => state.quota.get(id) ?? 0,
    clock,
    log: silentLog,
  });
  const first = await alerts.scan();
  t.same(first.map((a) => `${a.kind} ${a.stationId}`).sort(), [
    'HQ_ALERT_DISCREPANCY A2',
    'HQ_ALERT_PERIPHERAL_FAULTY A1',
    'HQ_ALERT_QUOTA_LOW A2',
    'HQ_ALERT_STATION_OFFLINE A1',
  ]);
  t.ok(
    first.every((a) => a.deliveryState === 'none'),
    'no webhook: kept, not sent',
  );
  t.same(await alerts.scan(), [], 'deduplicated while open');
  state.quarantined = 10;
  await alerts.scan();
  state.quarantined = 10 + quarantineSpikeCountMin;
  t.match(await alerts.scan(), [{ kind: 'HQ_ALERT_QUARANTINE_SPIKE', stationId: '' }]);
  const offline = first.find((a) => a.kind === 'HQ_ALERT_STATION_OFFLINE');
  t.equal(await alerts.acknowledge(offline?.alertId ?? 0, 'zhang'), 'acked');
  t.equal(await alerts.acknowledge(offline?.alertId ?? 0, 'li'), 'already');
  t.match(
    await alerts.scan(),
    [{ kind: 'HQ_ALERT_STATION_OFFLINE', stationId: 'A1' }],
    'still offline: opened again',
  );
  state.discrepancies.set('A2', 3);
  t.same(await alerts.scan(), [], 'the discrepancy alert is open: no second one');
  const discrepancy = first.find((a) => a.kind === 'HQ_ALERT_DISCREPANCY');
  await alerts.acknowledge(discrepancy?.alertId ?? 0, 'zhang');
  t.match(await alerts.scan(), [{ kind: 'HQ_ALERT_DISCREPANCY', detail: '新增差异 1 笔（累计 3 笔）' }]);
  t.same(await alerts.scan(), [], 'no new discrepancies: nothing');
  await t.rejects(alerts.acknowledge(424242, 'x'), { code: 'HQ_ALERT_NOT_FOUND' });
});

t.test('webhook: retried with backoff on the Clock, delivered, state recorded', async (t) => {
  const db = new SqliteStore({ path: ':memory:' });
  const hook = await receiver(2);
  t.teardown(async () => {
    hook.server.close();
    await db.close();
  });
  const ops = new SqliteOpsStore(db.db);
  const clock = new FakeClock();
  const alerts = new AlertService({
    ops,
    store: world().store,
    quotaOf: () => 1_000_000,
    clock,
    log: silentLog,
    webhook: fetchWebhook(hook.url),
    random: () => 0.5,
  });
  alerts.stop(); // the test drives each delivery pass itself (no timers)
  const alert = await alerts.raise({ kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'A1', detail: 'low' });
  t.equal(alert?.deliveryState, 'pending');
  t.same(await alerts.deliver(), { delivered: 0, failed: 0, retrying: 1 });
  let record = await ops.getAlert(alert?.alertId ?? 0);
  t.match(record, { deliveryState: 'pending', deliveryAttempts: 1, deliveryLastError: 'HTTP 500' });
  const firstWaitMs = (record?.deliveryNextAtMs ?? 0) - clock.nowMs();
  t.equal(
    firstWaitMs,
    deliveryBackoffMs(1, () => 0.5),
  );
  t.same(await alerts.deliver(), { delivered: 0, failed: 0, retrying: 0 }, 'not due yet: nothing sent');
  clock.advance(firstWaitMs - 1);
  t.same(await alerts.deliver(), { delivered: 0, failed: 0, retrying: 0 });
  clock.advance(1);
  t.same(await alerts.deliver(), { delivered: 0, failed: 0, retrying: 1 });
  record = await ops.getAlert(alert?.alertId ?? 0);
  const secondWaitMs = (record?.deliveryNextAtMs ?? 0) - clock.nowMs();
  t.ok(secondWaitMs > firstWaitMs, `backoff grows (${firstWaitMs} -> ${secondWaitMs} ms)`);
  clock.advance(secondWaitMs);
  t.same(await alerts.deliver(), { delivered: 1, failed: 0, retrying: 0 });
  t.match(await ops.getAlert(alert?.alertId ?? 0), { deliveryState: 'delivered', deliveryAttempts: 3 });
  t.equal(hook.bodies.length, 3);
  t.match(hook.bodies[2], { alertId: alert?.alertId, kind: 'HQ_ALERT_QUOTA_LOW', stationId: 'A1' });
});

t.test('webhook: failed after alertDeliveryAttemptsMax (HQ_ALERT_DELIVERY_FAILED)', async (t) => {
  const db = new SqliteStore({ path: ':memory:' });
  const hook = await receiver(1_000);
  t.teardown(async () => {
    hook.server.close();
    await db.close();
  });
  const ops = new SqliteOpsStore(db.db);
  const clock = new FakeClock();
  const logged: unknown[] = [];
  const log = { ...silentLog, error: (fields: unknown) => logged.push(fields) } as typeof silentLog;
  const alerts = new AlertService({
    ops,
    store: world().store,
    quotaOf: () => 1_000_000,
    clock,
    log,
    webhook: fetchWebhook(hook.url),
    random: () => 1,
  });
  alerts.stop();
  const alert = await alerts.raise({
    kind: 'HQ_ALERT_PERIPHERAL_FAULTY',
    stationId: 'A2',
    detail: 'printer',
  });
  let last = { delivered: 0, failed: 0, retrying: 0 };
  for (let attempt = 1; attempt <= alertDeliveryAttemptsMax; attempt += 1) {
    last = await alerts.deliver();
    clock.advance(alertDeliveryBackoffMsMax);
  }
  t.same(last, { delivered: 0, failed: 1, retrying: 0 });
  t.match(await ops.getAlert(alert?.alertId ?? 0), {
    deliveryState: 'failed',
    deliveryAttempts: alertDeliveryAttemptsMax,
    deliveryLastError: 'HTTP 500',
  });
  t.match(logged, [{ code: 'HQ_ALERT_DELIVERY_FAILED', alertId: alert?.alertId }]);
  t.same(await alerts.deliver(), { delivered: 0, failed: 0, retrying: 0 }, 'a failed alert is not retried');
  t.equal(hook.bodies.length, alertDeliveryAttemptsMax);
});
