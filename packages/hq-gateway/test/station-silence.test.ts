// Goal: a station whose death message never reaches HQ still goes offline: when nothing (birth,
// telemetry, event) was heard from an online station for longer than the silence window (default
// 3 × the kiosk's telemetry period), HQ marks it offline with reason 'silence', logs
// HQ_STATION_SILENT, stores the reason and `hq status` shows it; a death shows reason 'death'; a
// birth or telemetry brings the station back. Method: table cases for the pure status rule; then
// the gateway in-process on a temp SQLite file with a real Mosquitto and a FAKE clock: the test
// moves the clock and calls the sweep directly (no sleeps, no real timers waited on), a simulated
// station sends signed birth, telemetry, events and death, and log lines are captured.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadType } from '@bianmin/wire';
import Database from 'better-sqlite3';
import t from 'tap';
import { type MosquittoBroker, startMosquitto } from '../../../test/helpers/mosquitto.js';
import { linkHeartbeatMs } from '../../device-agent/src/limits.js';
import { generateHqKeyPem } from '../src/adapters/crypto/hq-key.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { statusReport } from '../src/cli/reports.js';
import { checkHqConfig } from '../src/config.js';
import { applyStatus, initialStatus, type StatusInput } from '../src/domain/station-status.js';
import type { StationStatus } from '../src/domain/types.js';
import { kioskTelemetryIntervalMs, stationSilenceMsMaxDefault } from '../src/limits.js';
import { type Gateway, startGateway } from '../src/main.js';
import type { Log } from '../src/ports/log.js';
import { until } from './helpers/hq-fixture.js';
import { SimStation } from './helpers/station-sim.js';

t.test('the silence rule, pure (table)', async (t) => {
  t.equal(
    kioskTelemetryIntervalMs,
    linkHeartbeatMs,
    "HQ's copy of the kiosk telemetry period is the agent's",
  );
  t.equal(stationSilenceMsMaxDefault, 3 * linkHeartbeatMs, 'default window: 3 telemetry periods');
  const windowMs = 90_000;
  const online: StationStatus = applyStatus(initialStatus('S'), {
    kind: 'birth',
    bdSeq: 1,
    atMs: 1_000,
  }).status;
  const silence = (atMs: number): StatusInput => ({ kind: 'silence', atMs, silenceMsMax: windowMs });
  const cases: Array<{ name: string; from: StationStatus; atMs: number; outcome: string; online: boolean }> =
    [
      {
        name: 'heard exactly the window ago',
        from: online,
        atMs: 1_000 + windowMs,
        outcome: 'unchanged',
        online: true,
      },
      { name: 'heard longer ago', from: online, atMs: 1_001 + windowMs, outcome: 'silenced', online: false },
      { name: 'a clock behind lastSeen', from: online, atMs: 500, outcome: 'unchanged', online: true },
      {
        name: 'never heard (offline)',
        from: initialStatus('S'),
        atMs: 10 ** 12,
        outcome: 'unchanged',
        online: false,
      },
    ];
  for (const c of cases) {
    const { status, outcome } = applyStatus(c.from, silence(c.atMs));
    t.same([outcome, status.online], [c.outcome, c.online], c.name);
  }
  const silent = applyStatus(online, silence(1_001 + windowMs)).status;
  t.same(
    [silent.offlineReason, silent.lastSeenMs, silent.bdSeq],
    ['silence', 1_000, 1],
    'reason; lastSeen kept',
  );
  t.same(applyStatus(silent, silence(10 ** 12)).outcome, 'unchanged', 'silenced once, not again');
  const dead = applyStatus(online, { kind: 'death', bdSeq: 1, atMs: 2_000 }).status;
  t.same([dead.online, dead.offlineReason], [false, 'death'], 'a death says death');
  t.same(applyStatus(dead, silence(10 ** 12)).status.offlineReason, 'death', 'a dead station stays dead');
  const back = applyStatus(silent, {
    kind: 'telemetry',
    atMs: 200_000,
    peripherals: [],
    outboxDepth: 0,
  }).status;
  t.same([back.online, back.offlineReason], [true, null], 'telemetry brings it back');
  const seen = applyStatus(silent, { kind: 'seen', atMs: 200_000 }).status;
  t.same([seen.online, seen.lastSeenMs], [false, 200_000], 'an event moves lastSeen only (it may be queued)');
  t.throws(() => applyStatus(online, { kind: 'silence', atMs: 1, silenceMsMax: 0 }), 'window must be > 0');
});

t.test('the silence window is configurable in the HQ config, checked at the edge', async (t) => {
  const base = {
    dbPath: 'hq.sqlite',
    brokerUrl: 'mqtt://127.0.0.1:1',
    clientId: 'hq',
    hqKeyFile: 'k',
    calendarDir: 'c',
  };
  t.equal(checkHqConfig({ ...base, stationSilenceMsMax: 120_000 }, '/tmp').stationSilenceMsMax, 120_000);
  t.throws(
    () => checkHqConfig({ ...base, stationSilenceMsMax: 5 }, '/tmp'),
    { code: 'HQ_CONFIG_INVALID', problems: [{ field: 'stationSilenceMsMax' }] },
    'a window below 1 s is refused, naming the field',
  );
});

t.test('a store file made before offline_reason existed opens and gains the column', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-silence-old-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'old.sqlite');
  const old = new Database(path);
  old.exec(`CREATE TABLE stations (
    station_id TEXT PRIMARY KEY, org_code TEXT NOT NULL, key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL, fingerprint TEXT NOT NULL, reader_serial TEXT NOT NULL,
    pin_pad_serial TEXT NOT NULL, token_serial TEXT NOT NULL, enrolled_at_ms INTEGER NOT NULL,
    acked_seq INTEGER NOT NULL DEFAULT 0, online INTEGER NOT NULL DEFAULT 0,
    last_seen_ms INTEGER NOT NULL DEFAULT 0, bd_seq INTEGER NOT NULL DEFAULT -1,
    peripherals_json TEXT NOT NULL DEFAULT '[]', outbox_depth INTEGER NOT NULL DEFAULT 0) STRICT;
    INSERT INTO stations (station_id, org_code, key_id, public_key_pem, fingerprint, reader_serial,
      pin_pad_serial, token_serial, enrolled_at_ms) VALUES ('OLD1', 'O', 'k', 'pem', 'f', 'r', 'p', 't', 1);`);
  old.close();
  const store = new SqliteStore({ path });
  t.teardown(() => store.close());
  t.same(
    (await store.loadStatuses()).map((s) => [s.stationId, s.online, s.offlineReason]),
    [['OLD1', false, null]],
  );
});

t.test('through the gateway: silence, HQ_STATION_SILENT, stored, shown by hq status', async (t) => {
  const broker: MosquittoBroker = await startMosquitto({ stationIds: ['SIL1'] });
  const dir = mkdtempSync(join(tmpdir(), 'hq-silence-'));
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  let nowMs = Date.now();
  const lines: Array<Record<string, unknown>> = [];
  const log: Log = {
    debug() {},
    info() {},
    warn(fields, message) {
      lines.push({ ...fields, message });
    },
    error(fields, message) {
      lines.push({ ...fields, message });
    },
    child() {
      return log;
    },
  };
  const gateway: Gateway = await startGateway({
    dbPath: join(dir, 'hq.sqlite'),
    brokerUrl: broker.url,
    mqttUsername: 'hq',
    mqttPassword: broker.password('hq'),
    hqKeyPem: privateKeyPem,
    tpk: new Uint8Array(randomBytes(16)),
    verifyWorkers: 0,
    resendOnStart: false,
    clock: { nowMs: () => nowMs },
    log,
  });
  const station = new SimStation('SIL1');
  t.teardown(async () => {
    await station.close();
    await gateway.stop();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await gateway.operations.enrol(station.enrolmentRequest());
  await station.connect(broker.url, broker.password('SIL1'), publicKeyPem);
  const pipeline = gateway.pipeline;
  const status = () => pipeline.status('SIL1')!;
  const silentLines = () => lines.filter((line) => line.code === 'HQ_STATION_SILENT');

  await station.publish('birth', birth(station, 1));
  await until(pipeline, ['status'], () => status().online);
  t.same(pipeline.sweepSilence(), [], 'just heard: not silent');

  // An event counts as heard: it moves lastSeen, so the window starts again from it.
  nowMs += stationSilenceMsMaxDefault - 1_000;
  const bill = station.billPayment(1_000);
  await station.publish('event', bill.bytes);
  await station.waitForAck(bill.seq);
  nowMs += stationSilenceMsMaxDefault;
  t.same(pipeline.sweepSilence(), [], 'an event within the window keeps it online');
  t.equal(silentLines().length, 0, 'nothing logged');

  nowMs += 1;
  t.same(pipeline.sweepSilence(), ['SIL1'], 'nothing heard for longer than the window');
  t.same([status().online, status().offlineReason], [false, 'silence']);
  t.same(pipeline.sweepSilence(), [], 'silenced once');
  t.equal(silentLines().length, 1, 'HQ_STATION_SILENT logged once');
  t.match(silentLines()[0], { stationId: 'SIL1', silentMs: stationSilenceMsMaxDefault + 1 }, 'structured');
  await gateway.flush();
  const stored = (await gateway.store.loadStatuses()).find((s) => s.stationId === 'SIL1');
  t.same([stored?.online, stored?.offlineReason], [false, 'silence'], 'stored through the status path');
  const report = await statusReport(gateway.store);
  t.match(report.text, /SIL1\s+\S+\s+no \(silence\)/, 'hq status shows the reason');
  t.match(report.data, { stations: [{ stationId: 'SIL1', online: false, offlineReason: 'silence' }] });

  await station.publish('telemetry', telemetry(station, 1));
  await until(pipeline, ['status'], () => status().online);
  t.equal(status().offlineReason, null, 'telemetry brings it back online');

  await station.publish('death', station.seal(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq: 1 }).bytes);
  await until(pipeline, ['status'], () => !status().online);
  await gateway.flush();
  t.match((await statusReport(gateway.store)).text, /SIL1\s+\S+\s+no \(death\)/, 'a death shows death');
  nowMs += 10 * stationSilenceMsMaxDefault;
  t.same(pipeline.sweepSilence(), [], 'an offline station is not silenced again');
  t.equal(silentLines().length, 1);
});

function birth(station: SimStation, bdSeq: number): Uint8Array {
  return station.seal(PayloadType.PAYLOAD_TYPE_BIRTH, {
    bdSeq,
    agentVersion: '1.0.0',
    orgCode: station.orgCode,
    configVersionApplied: 1,
    lastJournalSeq: 0,
    oldestUnackedSeq: 0,
    outboxDepth: 0,
    bootedAtMs: Date.now(),
    peripherals: [],
    tokenState: 1,
  }).bytes;
}

function telemetry(station: SimStation, bdSeq: number): Uint8Array {
  return station.seal(PayloadType.PAYLOAD_TYPE_TELEMETRY, {
    bdSeq,
    peripherals: [],
    tokenState: 1,
    outboxDepth: 0,
    oldestUnackedSeq: 0,
    lastJournalSeq: 1,
    diskFreeBytes: 1_000_000,
    quotaFenAvailable: 0,
    uptimeMs: 1000,
    agentVersion: '1.0.0',
    configVersionApplied: 1,
    memoryRssBytes: 1,
  }).bytes;
}
