// Goal: birth/death freshness (issue 8): a replayed Birth, Death or Telemetry (an older or the
// current session's bdSeq after its death, an older signed time, or an envelope already seen)
// does not change a station's status. Method: the pure status rule on a table of sequences, and
// the replay guard's bound.
import t from 'tap';
import {
  applyStatus,
  initialStatus,
  type StatusInput,
  StatusReplayGuard,
} from '../src/domain/station-status.js';
import type { StationStatus } from '../src/domain/types.js';

function run(inputs: readonly StatusInput[]): { status: StationStatus; outcomes: string[] } {
  let status = initialStatus('F1');
  const outcomes: string[] = [];
  for (const input of inputs) {
    const result = applyStatus(status, input);
    status = result.status;
    outcomes.push(result.outcome);
  }
  return { status, outcomes };
}

const birth = (bdSeq: number, createdAtMs: number, atMs = createdAtMs): StatusInput => ({
  kind: 'birth',
  bdSeq,
  atMs,
  createdAtMs,
});
const death = (bdSeq: number, atMs: number): StatusInput => ({ kind: 'death', bdSeq, atMs });
const telemetry = (bdSeq: number, atMs: number): StatusInput => ({
  kind: 'telemetry',
  bdSeq,
  atMs,
  peripherals: [],
  outboxDepth: 0,
});

t.test('a replayed birth does not bring a dead session back online', async (t) => {
  const { status, outcomes } = run([birth(5, 1_000), death(5, 2_000), birth(5, 1_000, 3_000)]);
  t.same(outcomes, ['applied', 'applied', 'stale_birth']);
  t.same([status.online, status.offlineReason, status.bdSeq], [false, 'death', 5]);
});

t.test('a birth of an older session, or signed before the current one, is stale', async (t) => {
  t.same(run([birth(5, 1_000), birth(4, 2_000)]).outcomes, ['applied', 'stale_birth']);
  t.same(run([birth(5, 5_000), birth(6, 4_000)]).outcomes, ['applied', 'stale_birth'], 'old timestamp');
  t.same(run([birth(5, 1_000), birth(6, 2_000)]).outcomes, ['applied', 'applied'], 'a new session');
});

t.test('a replayed death of an older session is stale; the current one applies', async (t) => {
  const { status, outcomes } = run([birth(5, 1_000), death(5, 2_000), birth(6, 3_000), death(5, 4_000)]);
  t.same(outcomes, ['applied', 'applied', 'applied', 'stale_death']);
  t.equal(status.online, true);
});

t.test('telemetry of a dead or other session does not bring the station online', async (t) => {
  t.same(run([birth(5, 1_000), death(5, 2_000), telemetry(5, 3_000)]).outcomes, [
    'applied',
    'applied',
    'stale_telemetry',
  ]);
  t.same(run([birth(5, 1_000), telemetry(4, 2_000)]).outcomes, ['applied', 'stale_telemetry']);
  const silenced = run([
    birth(5, 1_000),
    { kind: 'silence', atMs: 200_000, silenceMsMax: 90_000 },
    telemetry(5, 200_001),
  ]);
  t.same(
    silenced.outcomes,
    ['applied', 'silenced', 'applied'],
    'after silence, telemetry of the session brings it back',
  );
  t.equal(silenced.status.online, true);
});

t.test('an envelope already seen is recognised; the guard is bounded per station', async (t) => {
  const guard = new StatusReplayGuard(2);
  t.notOk(guard.seenBefore('F1', 'a'));
  t.ok(guard.seenBefore('F1', 'a'), 'the same bytes again');
  t.notOk(guard.seenBefore('F2', 'a'), 'per station');
  t.notOk(guard.seenBefore('F1', 'b'));
  t.notOk(guard.seenBefore('F1', 'c'), 'the oldest (a) is forgotten');
  t.notOk(guard.seenBefore('F1', 'a'));
  t.ok(guard.seenBefore('F1', 'c'));
});
