// Goal: the pure OTA state machine (domain/ota/ota-machine.ts) only ever runs a good or trial
// release, ignores inputs that do not fit its phase without changing state, and resumes each phase
// with that phase's own work; the update lock (domain/ota/update-lock.ts) holds while a transaction
// is in flight or the station is open (R20) and frees in the maintenance window or after hours.
// Method: table cases, then a fast-check property feeding random input sequences (seed printed).
import fc from 'fast-check';
import t from 'tap';
import {
  expectedCurrent,
  initialOtaState,
  type OtaInput,
  type OtaState,
  otaResume,
  otaStep,
} from '../../src/domain/ota/ota-machine.js';
import { decodePack, encodePack, isSafeRelativePath } from '../../src/domain/ota/release-pack.js';
import { updateLockReasons } from '../../src/domain/ota/update-lock.js';

const timings = { trialMs: 1_000 };
const offer = { rolloutId: 'R1', version: '1.4.0', downloadBytes: 10 };

t.test('inputs out of phase are ignored and change nothing', async (t) => {
  const idle = initialOtaState('1.3.0');
  for (const input of [
    { type: 'verified' },
    { type: 'unpacked' },
    { type: 'switched', atMs: 1 },
    { type: 'health', ok: true, reason: '', atMs: 1 },
    { type: 'chunk-stored', receivedBytes: 1 },
  ] as OtaInput[]) {
    const result = otaStep(idle, input, timings);
    t.equal(result.state, idle, `${input.type} in idle`);
    t.type(result.ignored, 'string');
  }
  t.ok(
    otaStep(idle, { type: 'offer', offer: { ...offer, version: '1.3.0' } }, timings).ignored,
    'same version',
  );
  const busy = otaStep(idle, { type: 'offer', offer }, timings).state;
  t.match(otaStep(busy, { type: 'offer', offer: { ...offer, version: '1.5.0' } }, timings).ignored, /busy/);
});

t.test(
  'a switch refused by root (switchVia "unit") ends the trial failed, on the good release',
  async (t) => {
    const trial: OtaState = { goodVersion: '1.3.0', phase: { name: 'trial', offer, trialDeadlineMs: 5 } };
    const result = otaStep(trial, { type: 'switch-refused', code: 'RELEASE_BUNDLE_MISMATCH' }, timings);
    const report = { rolloutId: 'R1', progress: 'failed', reason: 'RELEASE_BUNDLE_MISMATCH' };
    t.same(result.state, { goodVersion: '1.3.0', phase: { name: 'idle' }, unreported: report });
    t.same(result.effects, [
      { type: 'discard', version: '1.4.0' },
      { type: 'report', ...report },
    ]);
    const idle = initialOtaState('1.3.0');
    t.type(
      otaStep(idle, { type: 'switch-refused', code: 'X_Y' }, timings).ignored,
      'string',
      'only on trial',
    );
  },
);

t.test('each phase resumes with its own work', async (t) => {
  const trial: OtaState = { goodVersion: '1.3.0', phase: { name: 'trial', offer, trialDeadlineMs: 5 } };
  t.same(otaResume(trial), [{ type: 'health-check' }]);
  t.equal(expectedCurrent(trial), '1.4.0');
  const back: OtaState = { goodVersion: '1.3.0', phase: { name: 'rolling-back', offer, reason: 'x' } };
  t.same(otaResume(back), [{ type: 'switch', toVersion: '1.3.0' }]);
  t.equal(expectedCurrent(back), '1.3.0');
  t.same(otaResume({ goodVersion: '1.3.0', phase: { name: 'downloading', offer, receivedBytes: 4 } }), [
    { type: 'download', fromByte: 4 },
  ]);
});

const inputArb: fc.Arbitrary<OtaInput> = fc.oneof(
  fc.constant<OtaInput>({ type: 'offer', offer }),
  fc.integer({ min: 1, max: 10 }).map<OtaInput>((n) => ({ type: 'chunk-stored', receivedBytes: n })),
  fc.constant<OtaInput>({ type: 'verified' }),
  fc.constant<OtaInput>({ type: 'verify-refused', code: 'AGENT_OTA_HASH_MISMATCH' }),
  fc.constant<OtaInput>({ type: 'unpacked' }),
  fc.constantFrom<OtaInput>({ type: 'lock', reasons: [] }, { type: 'lock', reasons: ['station-open'] }),
  fc.integer({ min: 0, max: 3_000 }).map<OtaInput>((atMs) => ({ type: 'switched', atMs })),
  fc
    .record({ ok: fc.boolean(), atMs: fc.integer({ min: 0, max: 3_000 }) })
    .map<OtaInput>(({ ok, atMs }) => ({ type: 'health', ok, reason: ok ? '' : 'doctor', atMs })),
);

t.test('property: the kiosk only ever runs the good release or the one on trial', async (t) => {
  const details = fc.check(
    fc.property(fc.array(inputArb, { maxLength: 60 }), (inputs) => {
      let state = initialOtaState('1.3.0');
      for (const input of inputs) {
        // The shell never feeds a chunk that does not move forward; skip those like it would.
        if (
          input.type === 'chunk-stored' &&
          !(state.phase.name === 'downloading' && input.receivedBytes > state.phase.receivedBytes)
        )
          continue;
        const result = otaStep(state, input, timings);
        if (result.ignored !== undefined && result.state !== state) return false;
        const switches = result.effects.filter((e) => e.type === 'switch');
        // A switch goes to the offer only from switching; otherwise back to the good release.
        for (const effect of switches) {
          if (effect.type !== 'switch') return false;
          const toOffer = effect.toVersion === offer.version;
          if (toOffer !== (state.phase.name === 'staged')) return false;
        }
        state = result.state;
        const current = expectedCurrent(state);
        if (current !== state.goodVersion && !(state.phase.name === 'trial' && current === offer.version))
          return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
  if (details.failed)
    t.comment(`seed ${details.seed}, counterexample ${JSON.stringify(details.counterexample)}`);
  t.notOk(details.failed, `seed ${details.seed}`);
});

t.test('R20 update lock: in flight, open, maintenance window, after hours', async (t) => {
  const hours = {
    opensAtMinute: 8 * 60,
    closesAtMinute: 20 * 60,
    maintenanceWindows: [{ startMinute: 14 * 60, endMinute: 16 * 60 }],
  };
  const beijing = (hour: number, minute = 0) => Date.UTC(2026, 11, 5, hour - 8, minute);
  t.same(updateLockReasons(hours, beijing(10), false), ['station-open'], '10:00 open for business');
  t.same(updateLockReasons(hours, beijing(14, 30), false), [], '14:30 maintenance window');
  t.same(updateLockReasons(hours, beijing(14, 30), true), ['transaction-in-flight'], 'never mid-transaction');
  t.same(updateLockReasons(hours, beijing(21), false), [], '21:00 after hours');
  t.same(
    updateLockReasons(hours, beijing(16), true),
    ['transaction-in-flight', 'station-open'],
    'every reason at once',
  );
});

t.test('pack paths and framing', async (t) => {
  t.ok(isSafeRelativePath('app/node_modules/@bianmin/wire/dist/index.js'));
  for (const bad of ['../x', '/etc/passwd', 'a//b', 'a/./b', '.hidden', '', 'a b'])
    t.notOk(isSafeRelativePath(bad), bad);
  const manifest = new TextEncoder().encode(JSON.stringify({ version: '1', files: [] }));
  const pack = encodePack(manifest, new Uint8Array([1, 2]), []);
  const decoded = decodePack(pack, { filesMax: 10, manifestBytesMax: 1_000 });
  t.same(decoded.ok ? decoded.pack.files : undefined, []);
  t.same(decodePack(pack.subarray(0, 5), { filesMax: 10, manifestBytesMax: 1_000 }), {
    ok: false,
    problem: 'manifest frame truncated or too large',
  });
  t.match(
    decodePack(encodePack(manifest, new Uint8Array(), [new Uint8Array([9])]), {
      filesMax: 10,
      manifestBytesMax: 1_000,
    }),
    {
      ok: false,
      problem: /payload is 1 bytes, manifest says 0/,
    },
  );
});
