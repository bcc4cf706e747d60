// Goal (issue 9): the kiosk's readiness for new business and its clock verdict are decided by
// small pure functions the agent calls before a card or a PIN is asked for. Method: table-driven
// cases for the clock estimate (a good clock on a slow network, a clock a day ahead, a jump back
// mid-run, stale samples), the refusal reasons (disk reserve, a failed write, a wrong clock, all
// at once in a fixed order, R21), and the WAL maintenance timer under a fake clock with a store
// whose checkpoint fails, then recovers.
import t from 'tap';
import type { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { StoreMaintenance } from '../../src/adapters/sqlite/maintenance.js';
import { HardwareHealth } from '../../src/app/hardware-health.js';
import {
  addClockSample,
  type ClockSamples,
  clockKnownWrong,
  clockVerdict,
  describeOffset,
  emptyClockSamples,
} from '../../src/domain/health/clock-skew.js';
import { readinessReasons, refusingCodes } from '../../src/domain/health/readiness.js';
import { AgentError } from '../../src/errors.js';
import { clockSampleAgeMsMax } from '../../src/limits.js';
import { ManualClock, recordingLogger, TEN_AM_MS } from './helpers.js';

const DAY_MS = 24 * 3600 * 1000;
const SKEW_MS = 5 * 60 * 1000;

/** A round trip: the kiosk's clock is `offsetMs` ahead of HQ; the answer takes `latencyMs` each way. */
function roundTrip(state: ClockSamples, hqAtMs: number, offsetMs: number, latencyMs: number): ClockSamples {
  return addClockSample(state, {
    sentAtMs: hqAtMs + offsetMs - latencyMs,
    hqAtMs,
    receivedAtMs: hqAtMs + offsetMs + latencyMs,
  });
}

t.test('clock: a good clock on a slow network is never called wrong', async (t) => {
  let state = emptyClockSamples();
  t.same(clockVerdict(state, TEN_AM_MS), { kind: 'unknown' });
  for (let index = 0; index < 5; index += 1)
    state = roundTrip(state, TEN_AM_MS + index * 1000, 2_000, 60_000);
  const verdict = clockVerdict(state, TEN_AM_MS + 120_000);
  t.match(verdict, { kind: 'measured', sampleCount: 5 });
  if (verdict.kind !== 'measured') throw new Error('unreachable');
  t.ok(verdict.offsetMsLow <= 2_000 && verdict.offsetMsHigh >= 2_000, 'the interval holds the true offset');
  t.equal(clockKnownWrong(verdict, SKEW_MS), false);
  t.match(describeOffset(verdict), /within/);
});

t.test('clock: a day ahead is known wrong; a jump back to the right time is believed at once', async (t) => {
  let state = emptyClockSamples();
  for (let index = 0; index < 3; index += 1) state = roundTrip(state, TEN_AM_MS + index * 1000, DAY_MS, 300);
  const ahead = clockVerdict(state, TEN_AM_MS + DAY_MS + 5_000);
  t.equal(clockKnownWrong(ahead, SKEW_MS), true, 'AGENT_TX_CLOCK_SKEW territory');
  t.match(describeOffset(ahead), /ahead of HQ by 86399\.\d\.\.86400\.\d s/);
  // The technician sets the clock: later samples disagree with the old ones, which are dropped.
  state = roundTrip(state, TEN_AM_MS + 10_000, 0, 300);
  const fixed = clockVerdict(state, TEN_AM_MS + 11_000);
  t.match(fixed, { kind: 'measured', sampleCount: 1 });
  t.equal(clockKnownWrong(fixed, SKEW_MS), false);
  const behind = clockVerdict(
    roundTrip(emptyClockSamples(), TEN_AM_MS, -DAY_MS, 300),
    TEN_AM_MS - DAY_MS + 1_000,
  );
  t.equal(clockKnownWrong(behind, SKEW_MS), true, 'a day behind too');
  t.match(describeOffset(behind), /behind HQ/);
});

t.test('clock: stale samples and impossible ones do not count', async (t) => {
  const state = roundTrip(emptyClockSamples(), TEN_AM_MS, DAY_MS, 300);
  t.same(
    clockVerdict(state, TEN_AM_MS + DAY_MS + clockSampleAgeMsMax + 1_000),
    { kind: 'unknown' },
    'too old',
  );
  t.equal(addClockSample(state, { sentAtMs: 10, hqAtMs: 5, receivedAtMs: 9 }), state, 'received before sent');
  t.equal(addClockSample(state, { sentAtMs: 1, hqAtMs: 0, receivedAtMs: 2 }), state, 'no HQ time');
  let many = emptyClockSamples();
  for (let index = 0; index < 100; index += 1) many = roundTrip(many, TEN_AM_MS + index, 0, 10);
  t.equal(many.samples.length, 32, 'bounded');
});

t.test(
  'readiness: AGENT_TX_DISK_LOW and AGENT_TX_CLOCK_SKEW, all at once in a fixed order (R21)',
  async (t) => {
    const wrongClock = clockVerdict(
      roundTrip(emptyClockSamples(), TEN_AM_MS, DAY_MS, 300),
      TEN_AM_MS + DAY_MS + 1_000,
    );
    const base = {
      diskFreeBytes: 100 * 1024 * 1024,
      diskReserveBytes: 64 * 1024 * 1024,
      storeWriteFault: null,
      clock: { kind: 'unknown' } as const,
      clockSkewMsMax: SKEW_MS,
    };
    t.same(readinessReasons(base, 'withdrawal'), [], 'all well');
    t.same(
      readinessReasons({ ...base, diskFreeBytes: null }, 'withdrawal'),
      [],
      'statfs unknown alone refuses nothing',
    );
    t.match(readinessReasons({ ...base, diskFreeBytes: 1024 * 1024 }, 'quota-payment'), [
      { code: 'AGENT_TX_DISK_LOW', message: /1024 KiB free, reserve 65536 KiB/ },
    ]);
    t.match(readinessReasons({ ...base, storeWriteFault: { sqliteCode: 'SQLITE_FULL' } }, 'quota-payment'), [
      { code: 'AGENT_TX_DISK_LOW', message: /SQLITE_FULL/ },
    ]);
    const both = { ...base, diskFreeBytes: 0, clock: wrongClock };
    t.same(
      readinessReasons(both, 'withdrawal').map((reason) => reason.code),
      ['AGENT_TX_DISK_LOW', 'AGENT_TX_CLOCK_SKEW'],
    );
    t.same(
      readinessReasons(both, 'quota-payment').map((reason) => reason.code),
      ['AGENT_TX_DISK_LOW'],
      'the clock refuses withdrawals only',
    );
    t.same(refusingCodes(both), ['AGENT_TX_DISK_LOW', 'AGENT_TX_CLOCK_SKEW'], 'telemetry lists them');
  },
);

t.test(
  'AGENT_STORE_CHECKPOINT_FAILED: maintenance retries with backoff and never throws from its timer',
  async (t) => {
    let checkpointOk = false;
    let deferred = true;
    const db = {
      retryDeferred: () => {
        if (checkpointOk) deferred = false;
        return 0;
      },
      checkpoint: () =>
        checkpointOk ? { ok: true, walFrames: 3 } : { ok: false, sqliteCode: 'SQLITE_FULL' },
      ackDeferred: () => deferred,
      writeFault: () => (checkpointOk ? null : { sqliteCode: 'SQLITE_FULL', what: 'ack mark' }),
    } as unknown as KioskDb;
    const clock = new ManualClock();
    const log = recordingLogger();
    const maintenance = new StoreMaintenance({ db, clock, logger: log.logger, periodMs: 60_000 });
    maintenance.start();
    clock.advance(60_000);
    t.equal(maintenance.failures(), 1);
    t.ok(log.codes().includes('AGENT_STORE_CHECKPOINT_FAILED'));
    clock.advance(1_000);
    clock.advance(2_000);
    t.ok(maintenance.failures() >= 2, 'retried sooner than the period (backoff from 1 s)');
    checkpointOk = true;
    clock.advance(60_000);
    t.equal(maintenance.failures(), 0, 'recovered once space returned');
    t.equal(deferred, false, 'the deferred ack was written');
    maintenance.stop();
  },
);

t.test(
  'HardwareHealth: bdSeq and the clock measurement survive a full disk; reasons before a card',
  async (t) => {
    const meta = new Map<string, string>();
    let full = false;
    const store = {
      writeFault: () => (full ? { sqliteCode: 'SQLITE_FULL' } : null),
      getMeta: (key: string) => meta.get(key) ?? null,
      setMeta: (key: string, value: string) => {
        if (full)
          throw new AgentError('AGENT_STORE_WRITE_FAILED', 'disk full', {
            details: { sqliteCode: 'SQLITE_FULL' },
          });
        meta.set(key, value);
      },
    };
    const clock = new ManualClock();
    let freeBytes = 500 * 1024 * 1024;
    const log = recordingLogger();
    const health = new HardwareHealth({
      store,
      clock,
      logger: log.logger,
      diskFreeBytes: () => freeBytes,
      diskReserveBytes: 64 * 1024 * 1024,
      clockSkewMsMax: SKEW_MS,
    });
    t.equal(health.nextBdSeq(), 1);
    full = true;
    t.equal(health.nextBdSeq(), 2, 'taken from memory when the disk refuses');
    t.equal(health.nextBdSeq(), 3, 'still increasing');
    t.same(
      health.reasons('quota-payment').map((reason) => reason.code),
      ['AGENT_TX_DISK_LOW'],
      'the failed write counts',
    );
    full = false;
    t.equal(health.nextBdSeq(), 4, 'stored again once space returns');
    t.equal(meta.get('bd_seq'), '4');
    t.same(health.reasons('withdrawal'), []);
    freeBytes = 10 * 1024 * 1024;
    t.same(
      health.reasons('withdrawal').map((reason) => reason.code),
      ['AGENT_TX_DISK_LOW'],
      'below the reserve',
    );
    freeBytes = 500 * 1024 * 1024;
    clock.nowMsValue = TEN_AM_MS + DAY_MS;
    health.hqAnswered({ sentAtMs: clock.nowMs() - 200, hqAtMs: TEN_AM_MS, receivedAtMs: clock.nowMs() });
    t.same(
      health.reasons('withdrawal').map((reason) => reason.code),
      ['AGENT_TX_CLOCK_SKEW'],
    );
    t.ok(log.codes().includes('AGENT_TX_CLOCK_SKEW'), 'logged once when it turns wrong');
    t.match(meta.get('clock_offset'), /"offsetMsLow":86399800/, 'stored for doctor');
    t.match(health.telemetry(), {
      refusingCodes: ['AGENT_TX_CLOCK_SKEW'],
      clockOffsetKnown: true,
      clockOffsetMsLow: 86_399_800,
      diskReserveBytes: 64 * 1024 * 1024,
    });
  },
);
