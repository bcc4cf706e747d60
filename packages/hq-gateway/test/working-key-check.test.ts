// Goal (issue 13, R24): HQ activates a PIN pad's working key only when the KCV the kiosk reports
// after loading it equals the HSM stand-in's KCV of that key; a kiosk that lies about its KCV (or
// reports none) is a recorded discrepancy HQ_KEY_KCV_MISMATCH with an alert, and its key is not
// activated; a failed load is HQ_KEY_LOAD_FAILED; a resent result and a result for a command HQ
// never sent as a key record nothing. Method: the pure verdict table, then the whole gateway
// in-process (hq-memory-fixture, SQLite) with simulated stations that decipher the wrapped key with
// their TMK and answer a signed CommandResult (honest or lying) over the in-process broker; the
// verdicts are read back from the operations log and the alert list.
import { once } from 'node:events';
import { keyCheckValue, PayloadType, unwrapKeyAesEcb } from '@bianmin/wire';
import t, { type Test } from 'tap';
import { recordKeySent, workingKeyState } from '../src/app/working-key-check.js';
import { checkWorkingKeyResult, reportedKcv } from '../src/domain/working-key-check.js';
import { workingKeyCommandTtlMs } from '../src/limits.js';
import { type HqFixture, startHqFixture } from './helpers/hq-memory-fixture.js';
import type { SimStation } from './helpers/station-sim.js';

t.test('the verdict: activated, mismatch (wrong or missing KCV), load failed', async (t) => {
  const cases: [number, string, string][] = [
    [1, 'TPK K-1 loaded, KCV 1a2b3c', 'activated'],
    [1, 'TPK K-1 loaded, KCV 000000', 'kcv-mismatch'],
    [1, 'TPK K-1 loaded', 'kcv-mismatch'],
    [3, 'AGENT_PINPAD_KCV_MISMATCH: the pad reports KCV 1A2B3C', 'load-failed'],
    [2, 'expired', 'load-failed'],
  ];
  for (const [outcome, detail, verdict] of cases)
    t.equal(checkWorkingKeyResult({ outcome, detail, hsmKcv: '1A2B3C' }).verdict, verdict, detail);
  t.equal(reportedKcv('TPK K-1 loaded, KCV abcdef'), 'ABCDEF');
  t.match(checkWorkingKeyResult({ outcome: 1, detail: 'TPK loaded', hsmKcv: '1A2B3C' }), {
    code: 'HQ_KEY_KCV_MISMATCH',
    kcvExpected: '1A2B3C',
    kcvReported: '',
  });
});

const TMK = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
let hq: HqFixture;
t.before(async () => {
  hq = await startHqFixture(['K1', 'K2', 'K3']);
  for (const stationId of ['K1', 'K2']) hq.gateway.bank.workingKeys.registerTmk(stationId, TMK);
});
t.teardown(() => hq.close());

const store = () => hq.gateway.api.network.store;
function station(id: string): SimStation {
  return hq.stations.find((s) => s.stationId === id)!;
}

/** HQ issues and sends a key as `hq key load` does; the station receives the command. */
async function sendKey(stationId: string, tpkKeyId: string) {
  const sim = station(stationId);
  const count = sim.workingKeys.length;
  const wrapped = hq.gateway.bank.workingKeys.issue(stationId, tpkKeyId, Date.now());
  const sent = await hq.gateway.operations.sendWorkingKey(stationId, wrapped, workingKeyCommandTtlMs);
  await recordKeySent(store(), stationId, sent, 'test', Date.now());
  await sim.waitForWorkingKey(count + 1);
  return sim.workingKeys[count]!;
}

/** The station answers a signed CommandResult; resolves with HQ's verdict (null: not a key command). */
async function answer(t: Test, stationId: string, commandId: string, outcome: number, detail: string) {
  const sim = station(stationId);
  const checked = once(hq.gateway.pipeline, 'working-key-checked');
  const sealed = sim.seal(PayloadType.PAYLOAD_TYPE_COMMAND_RESULT, {
    commandId,
    outcome,
    detail,
    finishedAtMs: Date.now(),
  });
  await sim.publish('event', sealed.bytes);
  const [, answered, verdict] = await checked;
  t.equal(answered, commandId, 'the check is for this command');
  return verdict as { verdict: string; code?: string } | null;
}

t.test('an honest kiosk: the KCV matches the HSM, the key is activated', async (t) => {
  const received = await sendKey('K1', 'TPK-K1-1');
  const kcv = keyCheckValue(unwrapKeyAesEcb(TMK, received.tpkUnderTmk));
  t.same(await workingKeyState(store(), 'K1'), {
    activeTpkKeyId: null,
    pendingTpkKeyIds: ['TPK-K1-1'],
    kcvMismatches: 0,
  });
  const verdict = await answer(t, 'K1', received.commandId, 1, `TPK TPK-K1-1 loaded, KCV ${kcv}`);
  t.match(verdict, { verdict: 'activated', kcv });
  t.ok(hq.gateway.bank.workingKeys.tpkFor('K1', 'TPK-K1-1') !== undefined, 'the HSM uses the activated key');
  t.same(await workingKeyState(store(), 'K1'), {
    activeTpkKeyId: 'TPK-K1-1',
    pendingTpkKeyIds: [],
    kcvMismatches: 0,
  });
  const again = await answer(t, 'K1', received.commandId, 1, `TPK TPK-K1-1 loaded, KCV ${kcv}`);
  t.equal(again, null, 'a resent result records nothing');
  t.equal((await store().read('working-key:K1')).length, 2, 'sent + activated only');
});

t.test('a lying kiosk: HQ_KEY_KCV_MISMATCH recorded and alerted, the key not activated', async (t) => {
  const received = await sendKey('K2', 'TPK-K2-1');
  const trueKcv = keyCheckValue(unwrapKeyAesEcb(TMK, received.tpkUnderTmk));
  const lie = trueKcv === '000000' ? '111111' : '000000';
  const verdict = await answer(t, 'K2', received.commandId, 1, `TPK TPK-K2-1 loaded, KCV ${lie}`);
  t.match(verdict, { verdict: 'kcv-mismatch', code: 'HQ_KEY_KCV_MISMATCH', kcvReported: lie });
  const state = await workingKeyState(store(), 'K2');
  t.equal(state.activeTpkKeyId, null, 'not activated');
  t.equal(
    hq.gateway.bank.workingKeys.tpkFor('K2', 'TPK-K2-1'),
    undefined,
    'the HSM never uses the refused key to verify a PIN block',
  );
  t.equal(state.kcvMismatches, 1);
  const record = (await store().read('working-key:K2')).at(-1)!;
  t.match(record, {
    kind: 'key-kcv-mismatch',
    actor: 'system:working-key-check',
    payload: { code: 'HQ_KEY_KCV_MISMATCH', tpkKeyId: 'TPK-K2-1', kcvExpected: trueKcv, kcvReported: lie },
  });
  const alerts = await hq.gateway.ops.alerts({ open: true, limit: 10, offset: 0 });
  t.same(
    alerts.filter((a) => a.stationId === 'K2').map((a) => a.kind),
    ['HQ_ALERT_KEY_KCV_MISMATCH'],
    'one alert for the station',
  );
  t.match(alerts[0]!.detail, /校验值不符.*密钥未启用/);
  t.notMatch(
    alerts[0]!.detail,
    new RegExp(Buffer.from(unwrapKeyAesEcb(TMK, received.tpkUnderTmk)).toString('hex'), 'i'),
  );
});

t.test('a failed load is HQ_KEY_LOAD_FAILED; the active key stays', async (t) => {
  const received = await sendKey('K1', 'TPK-K1-2');
  const verdict = await answer(
    t,
    'K1',
    received.commandId,
    3,
    'AGENT_PINPAD_KCV_MISMATCH: the pad reports KCV 123456, HQ sent ABCDEF',
  );
  t.match(verdict, { verdict: 'load-failed', code: 'HQ_KEY_LOAD_FAILED' });
  t.equal((await workingKeyState(store(), 'K1')).activeTpkKeyId, 'TPK-K1-1', 'the first key stays active');
  const stranger = await answer(t, 'K1', 'cmd-never-sent', 1, 'TPK X loaded, KCV 123456');
  t.equal(stranger, null, 'a result for a command HQ did not send as a key: not ours');
});

t.test('the scheduled rotation: its key is recorded as sent and checked the same way', async (t) => {
  // K3's TMK is known and it has no working key: the rotation sends it one when the gateway starts.
  hq.gateway.bank.workingKeys.registerTmk('K3', TMK);
  await hq.gateway.stop();
  await hq.startGateway();
  await station('K3').waitForWorkingKey(1);
  const received = station('K3').workingKeys[0]!;
  t.match(received.tpkKeyId, /^TPK-\d{12}$/, 'a rotation key id');
  const sent = (await store().read('working-key:K3'))[0];
  t.match(sent, { kind: 'key-sent', actor: 'system:rotation', payload: { commandId: received.commandId } });
  const trueKcv = keyCheckValue(unwrapKeyAesEcb(TMK, received.tpkUnderTmk));
  const lie = trueKcv === '0F0F0F' ? '1F1F1F' : '0F0F0F';
  const verdict = await answer(t, 'K3', received.commandId, 1, `TPK ${received.tpkKeyId} loaded, KCV ${lie}`);
  t.match(
    verdict,
    { verdict: 'kcv-mismatch', code: 'HQ_KEY_KCV_MISMATCH' },
    'a lie after a rotation is caught too',
  );
  t.equal((await workingKeyState(store(), 'K3')).activeTpkKeyId, null);
});
