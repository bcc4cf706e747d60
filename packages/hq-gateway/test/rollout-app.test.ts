// Goal: rollouts on the OperationsStore port record every transition once with who, when and why,
// write nothing on a refusal, are idempotent on a repeated kiosk report, and time out silent
// stations on HQ's clock. Method: the memory adapter and the fake clock (time moves only when the
// test advances it); the records are read back from the store.
import t from 'tap';
import { MemoryOperationsStore } from '../src/adapters/memory/operations-store.js';
import {
  createRollout,
  operateRollout,
  readRollout,
  reportProgress,
  rolloutHistory,
  sweepRollout,
} from '../src/app/rollouts.js';
import { FakeClock } from './helpers/fake-clock.js';

const spec = {
  rolloutId: 'R-2026-12',
  releaseVersion: '1.4.0',
  stationIds: ['S1', 'S2', 'S3', 'S4'],
  groupSize: 2,
  successThresholdPercent: 100,
  errorThresholdPercent: 0,
  stationTimeoutMs: 6 * 3_600_000,
};

t.test('every transition is recorded with who, when and why', async (t) => {
  const clock = new FakeClock();
  const deps = { store: new MemoryOperationsStore(), clock };
  t.ok((await createRollout(deps, spec, 'li.wei', 'monthly release')).ok);
  clock.advance(60_000);
  t.ok((await operateRollout(deps, spec.rolloutId, 'start', 'li.wei', 'approved')).ok);
  await reportProgress(deps, spec.rolloutId, 'S1', 'healthy', '');
  const again = await reportProgress(deps, spec.rolloutId, 'S1', 'healthy', '');
  t.ok(again.ok && again.events.length === 0, 'a repeated report is a no-op');
  const last = await reportProgress(deps, spec.rolloutId, 'S2', 'healthy', '');
  t.same(
    last.ok ? last.events.map((e) => e.type) : [],
    ['station', 'group-started'],
    'the report that completes group 0 starts group 1 in the same record',
  );
  const history = await rolloutHistory(deps, spec.rolloutId);
  t.same(
    history.map((r) => [r.kind, r.actor, r.reason]),
    [
      ['create', 'li.wei', 'monthly release'],
      ['start', 'li.wei', 'approved'],
      ['report', 'station:S1', ''],
      ['report', 'station:S2', ''],
    ],
  );
  t.equal(history[1]?.atMs, clock.nowMs(), 'when: HQ clock');
  const state = await readRollout(deps, spec.rolloutId);
  t.equal(state?.stations.get('S3')?.progress, 'offered');
});

t.test('a refusal writes nothing; a cancel is final', async (t) => {
  const deps = { store: new MemoryOperationsStore(), clock: new FakeClock() };
  await createRollout(deps, spec, 'li.wei', '');
  const refused = await operateRollout(deps, spec.rolloutId, 'resume', 'li.wei', '');
  t.same(refused.ok ? [] : refused.reasons.map((r) => r.code), ['HQ_ROLLOUT_TRANSITION_ILLEGAL']);
  t.equal((await rolloutHistory(deps, spec.rolloutId)).length, 1, 'nothing written');
  t.ok((await operateRollout(deps, spec.rolloutId, 'cancel', 'zhang.min', 'wrong version')).ok);
  const start = await operateRollout(deps, spec.rolloutId, 'start', 'li.wei', '');
  t.notOk(start.ok);
  t.equal((await readRollout(deps, spec.rolloutId))?.status, 'cancelled');
  const missing = await operateRollout(deps, 'R-none', 'start', 'li.wei', '');
  t.same(missing.ok ? [] : missing.reasons.map((r) => r.code), ['HQ_ROLLOUT_NOT_FOUND']);
});

t.test('fake clock: a silent station times out and the error threshold stops the rollout', async (t) => {
  const clock = new FakeClock();
  const deps = { store: new MemoryOperationsStore(), clock };
  await createRollout(deps, spec, 'li.wei', '');
  await operateRollout(deps, spec.rolloutId, 'start', 'li.wei', '');
  await reportProgress(deps, spec.rolloutId, 'S1', 'downloading', '');
  clock.advance(spec.stationTimeoutMs - 1);
  const early = await sweepRollout(deps, spec.rolloutId);
  t.ok(early.ok && early.events.length === 0, 'one ms before the deadline nothing happens');
  t.equal((await rolloutHistory(deps, spec.rolloutId)).length, 3, 'an empty sweep writes nothing');
  clock.advance(1);
  const swept = await sweepRollout(deps, spec.rolloutId);
  t.same(swept.ok ? swept.events.map((e) => e.type) : [], ['station', 'station', 'stopped']);
  const state = await readRollout(deps, spec.rolloutId);
  t.equal(state?.status, 'stopped');
  t.equal(state?.stations.get('S1')?.reason, 'timeout');
  const history = await rolloutHistory(deps, spec.rolloutId);
  t.equal(history.at(-1)?.actor, 'system:rollout');
});
