// Goal: the downlink watch (src/domain/outbox/downlink-watch.ts, issue 14) renews a silent down
// channel only while an answer is awaited, never before half the first wait, with waits that double
// per renewal inside [ceiling/2, ceiling] and never above the cap, and starts over on any message
// heard on the channel. Method: table cases on a fake clock (plain numbers), then fast-check
// properties (seed printed): the wait's bounds for every renewal count and jitter, and a random
// sequence of awaiting / heard / renewed steps against a small reference model of "when may the
// next renewal come at the earliest and at the latest".
import fc from 'fast-check';
import t from 'tap';
import {
  type DownlinkStallPolicy,
  type DownlinkWatch,
  IDLE_WATCH,
  noteAwaiting,
  noteHeard,
  noteRenewed,
  renewalWaitMs,
  renewDueAtMs,
} from '../../src/domain/outbox/downlink-watch.js';
import { downlinkStallMsInitial, downlinkStallMsMax } from '../../src/limits.js';

const policy: DownlinkStallPolicy = { stallMsInitial: 20_000, stallMsMax: 120_000 };

t.test('waits: doubling ceilings 20, 40, 80, 120, 120 s; jitter over the upper half', async (t) => {
  const cases: [renewalCount: number, random01: number, waitMs: number][] = [
    [0, 0, 10_000],
    [0, 0.5, 15_000],
    [0, 0.999_999, 19_999],
    [1, 0, 20_000],
    [2, 0.5, 60_000],
    [3, 0, 60_000],
    [3, 0.999_999, 119_999],
    [4, 0.5, 90_000],
    [60, 0.5, 90_000],
  ];
  for (const [renewalCount, random01, waitMs] of cases) {
    t.equal(
      renewalWaitMs(policy, renewalCount, random01),
      waitMs,
      `renewal ${renewalCount}, jitter ${random01}`,
    );
  }
  t.throws(() => renewalWaitMs(policy, -1, 0.5), /renewalCount/, 'a negative count is a programmer error');
  t.throws(() => renewalWaitMs(policy, 0, 1), /random01/, 'jitter is in [0, 1)');
  t.throws(
    () => renewalWaitMs({ stallMsInitial: 20_000, stallMsMax: 10_000 }, 0, 0.5),
    /backoffMsMax/,
    'a cap below the first wait is a programmer error',
  );
});

t.test('the shipped limits: first renewal after 10-20 s, cap 5 min', async (t) => {
  const shipped = { stallMsInitial: downlinkStallMsInitial, stallMsMax: downlinkStallMsMax };
  t.equal(renewalWaitMs(shipped, 0, 0), 10_000, 'at the earliest 10 s: after a resend (outboxAckTimeoutMs)');
  t.equal(renewalWaitMs(shipped, 0, 0.999_999), 19_999, 'at the latest 20 s');
  t.equal(renewalWaitMs(shipped, 30, 0.999_999), 299_999, 'never above 5 min');
});

t.test('a watch: silence counted from when waiting started, reset by a message', async (t) => {
  let watch: DownlinkWatch = IDLE_WATCH;
  watch = noteAwaiting(policy, watch, false, 1_000, 0.5);
  t.equal(renewDueAtMs(watch), null, 'nothing awaited: never due');
  watch = noteAwaiting(policy, watch, true, 3_600_000, 0.5);
  t.equal(renewDueAtMs(watch), 3_615_000, 'waiting from now, not from an hour of idleness');
  t.equal(noteAwaiting(policy, watch, true, 3_610_000, 0.9), watch, 'still waiting: the silence goes on');
  watch = noteRenewed(policy, watch, 3_615_000, 0.5);
  t.same(watch, { waitingSinceMs: 3_615_000, waitMs: 30_000, renewalCount: 1 }, 'renewed: a longer wait');
  watch = noteRenewed(policy, watch, 3_645_000, 0.5);
  t.equal(watch.renewalCount, 2, 'a refused renewal counts too');
  t.equal(renewDueAtMs(watch), 3_645_000 + 60_000);
  const heard = noteHeard(policy, watch, true, 3_650_000, 0.5);
  t.same(
    heard,
    { waitingSinceMs: 3_650_000, waitMs: 15_000, renewalCount: 0 },
    'a message: the backoff starts over',
  );
  const answered = noteHeard(policy, watch, false, 3_650_000, 0.5);
  t.equal(renewDueAtMs(answered), null, 'a message that answered everything: nothing awaited');
  t.equal(noteRenewed(policy, answered, 3_700_000, 0.5), answered, 'a channel not waiting is left alone');
  const settled = noteAwaiting(policy, watch, false, 3_650_000, 0.5);
  t.equal(renewDueAtMs(settled), null, 'nothing awaited any more: not due');
});

t.test('property: every wait within [ceiling/2, ceiling], ceiling doubling up to the cap', async (t) => {
  const details = fc.check(
    fc.property(
      fc.integer({ min: 1, max: 600_000 }),
      fc.integer({ min: 0, max: 3_000_000 }),
      fc.integer({ min: 0, max: 200 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (initialMs, extraMs, renewalCount, random01) => {
        const p = { stallMsInitial: initialMs, stallMsMax: initialMs + extraMs };
        const ceilingMs = Math.min(p.stallMsMax, initialMs * 2 ** Math.min(renewalCount, 30));
        const waitMs = renewalWaitMs(p, renewalCount, random01);
        const next = renewalWaitMs(p, renewalCount + 1, random01);
        return (
          Number.isSafeInteger(waitMs) &&
          waitMs >= Math.max(1, Math.floor(ceilingMs / 2)) &&
          waitMs <= ceilingMs &&
          waitMs <= p.stallMsMax &&
          next >= waitMs // same jitter: never shorter after another renewal
        );
      },
    ),
    { numRuns: 1000 },
  );
  if (details.failed)
    t.comment(`seed ${details.seed}, counterexample ${JSON.stringify(details.counterexample)}`);
  t.notOk(details.failed, `seed ${details.seed}`);
});

type Step =
  | {
      readonly kind: 'awaiting';
      readonly awaiting: boolean;
      readonly afterMs: number;
      readonly random01: number;
    }
  | {
      readonly kind: 'heard';
      readonly awaiting: boolean;
      readonly afterMs: number;
      readonly random01: number;
    }
  | { readonly kind: 'renewed'; readonly afterMs: number; readonly random01: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('awaiting' as const),
    awaiting: fc.boolean(),
    afterMs: fc.integer({ min: 0, max: 200_000 }),
    random01: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('heard' as const),
    awaiting: fc.boolean(),
    afterMs: fc.integer({ min: 0, max: 200_000 }),
    random01: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('renewed' as const),
    afterMs: fc.integer({ min: 0, max: 200_000 }),
    random01: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }),
);

t.test('property: due only while awaiting, within the backoff window of the silence', async (t) => {
  const details = fc.check(
    fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
      let watch = IDLE_WATCH;
      let nowMs = 1_000_000;
      // The reference model: awaited or not, renewals since the last message, when the silence began.
      let awaiting = false;
      let renewals = 0;
      let silenceSinceMs: number | null = null;
      for (const step of steps) {
        nowMs += step.afterMs;
        if (step.kind === 'awaiting') {
          watch = noteAwaiting(policy, watch, step.awaiting, nowMs, step.random01);
          if (step.awaiting && !awaiting) silenceSinceMs = nowMs;
          awaiting = step.awaiting;
        } else if (step.kind === 'heard') {
          watch = noteHeard(policy, watch, step.awaiting, nowMs, step.random01);
          awaiting = step.awaiting;
          renewals = 0;
          silenceSinceMs = awaiting ? nowMs : null;
        } else {
          watch = noteRenewed(policy, watch, nowMs, step.random01);
          if (awaiting) {
            renewals += 1;
            silenceSinceMs = nowMs;
          }
        }
        const dueAtMs = renewDueAtMs(watch);
        if (!awaiting) {
          if (dueAtMs !== null) return false; // nothing awaited: never a renewal
          continue;
        }
        const ceilingMs = Math.min(policy.stallMsMax, policy.stallMsInitial * 2 ** Math.min(renewals, 30));
        if (dueAtMs === null || silenceSinceMs === null) return false;
        if (dueAtMs < silenceSinceMs + Math.floor(ceilingMs / 2)) return false; // not too early
        if (dueAtMs > silenceSinceMs + ceilingMs) return false; // not later than the ceiling
        if (watch.renewalCount !== renewals) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  if (details.failed)
    t.comment(`seed ${details.seed}, counterexample ${JSON.stringify(details.counterexample)}`);
  t.notOk(details.failed, `seed ${details.seed}`);
});
