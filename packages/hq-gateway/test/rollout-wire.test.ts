// Goal: rollouts run over the signed wire (issue 13): HQ offers a release to each started group as
// an HQ-signed Command on down/cmd; a kiosk's signed, journaled OtaProgress event is stored and
// then moves its station in the rollout, which starts the next group or stops at its error
// threshold; hostile reports (another station's rollout, another release, a forged signature, a
// step back) change nothing and are refused with their codes. Method: the whole gateway in process
// over the in-process broker and a temp store, simulated stations that verify what HQ sends under
// HQ's key and sign their events with their enrolled keys; the refusal codes and the stop alert
// through ingestOtaProgress on the memory operations store with a recording log and a fake clock.

import { v1 } from '@bianmin/wire';
import t from 'tap';
import { MemoryOperationsStore } from '../src/adapters/memory/operations-store.js';
import {
  ingestOtaProgress,
  offerCommand,
  type ReleaseCatalog,
  type RolloutWireDeps,
  sendOffers,
} from '../src/app/rollout-wire.js';
import { createRollout, operateRollout, readRollout } from '../src/app/rollouts.js';
import type { StationEvent } from '../src/domain/types.js';
import type { Log } from '../src/ports/log.js';
import { FakeClock } from './helpers/fake-clock.js';
import { startHqFixture } from './helpers/hq-memory-fixture.js';
import type { SimStation } from './helpers/station-sim.js';

const S = v1.OtaStage;
const manifestSha256 = 'c0'.repeat(32);
const catalog: ReleaseCatalog = {
  describe: (version) =>
    version === '1.4.0-linux-arm64' ? { manifestSha256, packBytes: 123_456 } : undefined,
  fetchUrl: (version) => `https://hq.example.cn/api/v1/releases/${version}/pack`,
};
const spec = (rolloutId: string, stationIds: string[], errorThresholdPercent = 0) => ({
  rolloutId,
  releaseVersion: '1.4.0-linux-arm64',
  stationIds,
  groupSize: 1,
  successThresholdPercent: 100,
  errorThresholdPercent,
  stationTimeoutMs: 3_600_000,
});

function progress(
  station: SimStation,
  rolloutId: string,
  stage: number,
  reasonCode = '',
  releaseVersion = '1.4.0-linux-arm64',
) {
  return station.seal(v1.PayloadType.PAYLOAD_TYPE_OTA_PROGRESS, {
    rolloutId,
    releaseVersion,
    stage,
    receivedBytes: stage === S.OTA_STAGE_DOWNLOADING ? 4096 : 123_456,
    totalBytes: 123_456,
    reasonCode,
    detail: reasonCode === '' ? '' : 'doctor: broker session refused',
    reportedAtMs: Date.now(),
  });
}

t.test(
  'offers go out signed per group; signed progress moves the rollout; hostile reports change nothing',
  async (t) => {
    const hq = await startHqFixture(['S1', 'S2', 'S3'], { releaseCatalog: catalog });
    t.teardown(() => hq.close());
    const [s1, s2, s3] = hq.stations as [SimStation, SimStation, SimStation];
    const deps = hq.gateway.rollouts;
    t.ok((await createRollout(deps, spec('R-1', ['S1', 'S2']), 'li.wei', '十二月版本')).ok);
    const offered = await sendOffers(deps, await operateRollout(deps, 'R-1', 'start', 'li.wei', ''));
    t.same(offered, ['S1'], 'group 1 is offered the release');
    await s1.waitForOtaOffers(1);
    const offer = s1.otaOffers[0]?.offer;
    t.equal(offer?.releaseVersion, '1.4.0-linux-arm64');
    t.equal(offer?.manifestSha256, manifestSha256, 'the manifest hash the kiosk will check');
    t.equal(offer?.fetchUrl, 'https://hq.example.cn/api/v1/releases/1.4.0-linux-arm64/pack');
    t.ok(Number(offer?.offerSeq) > 0, 'an offer sequence against replays');

    // S3 is in no group of R-1: its (validly signed) report is stored but refused by the rollout.
    await s3.publish('event', progress(s3, 'R-1', S.OTA_STAGE_HEALTHY).bytes);
    // A report signed by another key in S1's name is quarantined before it reaches the rollout.
    const forger = hq.stations[2] as SimStation;
    const forged = s1.seal(
      v1.PayloadType.PAYLOAD_TYPE_OTA_PROGRESS,
      {
        rolloutId: 'R-1',
        releaseVersion: '1.4.0-linux-arm64',
        stage: S.OTA_STAGE_HEALTHY,
        receivedBytes: 1,
        totalBytes: 1,
        reasonCode: '',
        detail: '',
        reportedAtMs: Date.now(),
      },
      { key: forger.privateKey, seq: 1 },
    );
    await s1.publish('event', forged.bytes);
    await hq.gateway.flush();
    let state = await readRollout(deps, 'R-1');
    t.equal(state?.stations.get('S1')?.progress, 'offered', 'neither the outsider nor the forgery moved S1');
    t.notOk(state?.stations.has('S3'), 'S3 is not part of the rollout');
    t.ok(hq.gateway.pipeline.counters.quarantined >= 1, 'the forgery is quarantined');

    await s1.publish('event', progress(s1, 'R-1', S.OTA_STAGE_DOWNLOADING).bytes);
    await s1.publish('event', progress(s1, 'R-1', S.OTA_STAGE_STAGED).bytes);
    await s1.publish('event', progress(s1, 'R-1', S.OTA_STAGE_HEALTHY).bytes);
    await hq.gateway.flush();
    state = await readRollout(deps, 'R-1');
    t.equal(state?.stations.get('S1')?.progress, 'healthy', "S1's signed reports moved it to healthy");
    await s2.waitForOtaOffers(1);
    t.equal(s2.otaOffers[0]?.offer.rolloutId, 'R-1', "S1's healthy report started group 2: S2 got its offer");

    await s2.publish('event', progress(s2, 'R-1', S.OTA_STAGE_ROLLED_BACK, 'AGENT_OTA_HEALTH_FAILED').bytes);
    await hq.gateway.flush();
    state = await readRollout(deps, 'R-1');
    t.equal(state?.status, 'stopped', "S2's roll-back passed the 0% error threshold");
    t.equal(
      state?.stations.get('S2')?.reason,
      'AGENT_OTA_HEALTH_FAILED: doctor: broker session refused',
      'with its reason',
    );
  },
);

function recordingLog(): Log & { readonly lines: { level: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const log = {
    lines,
    debug: (fields: object) => lines.push({ level: 'debug', fields: fields as Record<string, unknown> }),
    info: (fields: object) => lines.push({ level: 'info', fields: fields as Record<string, unknown> }),
    warn: (fields: object) => lines.push({ level: 'warn', fields: fields as Record<string, unknown> }),
    error: (fields: object) => lines.push({ level: 'error', fields: fields as Record<string, unknown> }),
    child: () => log,
  };
  return log;
}

function progressEvent(
  stationId: string,
  rolloutId: string,
  stage: number,
  releaseVersion = '1.4.0-linux-arm64',
): StationEvent {
  const ended = stage === S.OTA_STAGE_ROLLED_BACK || stage === S.OTA_STAGE_FAILED;
  return {
    eventId: `ev-${stationId}-${stage}`,
    stationId,
    seq: 1,
    kind: 'OTA_PROGRESS',
    createdAtMs: 1,
    businessDate: '2026-12-05',
    businessType: null,
    transactionId: null,
    amountFen: 0,
    feeFen: 0,
    quotaFenAfter: null,
    detail: {
      rolloutId,
      releaseVersion,
      stage,
      reasonCode: ended ? 'AGENT_OTA_HEALTH_FAILED' : '',
      detail: '',
    },
    envelope: new Uint8Array(),
    envelopeSha256: '',
  };
}

t.test('refusal codes: outsider, unknown rollout, other release, a step back; the stop alert', async (t) => {
  const log = recordingLog();
  const sent: string[] = [];
  const deps: RolloutWireDeps = {
    store: new MemoryOperationsStore(),
    clock: new FakeClock(),
    log,
    catalog,
    send: async (stationId) => {
      sent.push(stationId);
    },
    offerValidityMs: 60_000,
  };
  await createRollout(deps, spec('R-2', ['S1', 'S2'], 0), 'li.wei', '');
  t.same(await sendOffers(deps, await operateRollout(deps, 'R-2', 'start', 'li.wei', '')), ['S1']);
  const codeOf = async (event: StationEvent) => {
    const result = await ingestOtaProgress(deps, event);
    return result.ok ? 'ok' : result.reasons.map((r) => r.code).join(',');
  };
  t.equal(await codeOf(progressEvent('S9', 'R-2', S.OTA_STAGE_HEALTHY)), 'HQ_ROLLOUT_STATION_NOT_TARGETED');
  t.equal(
    await codeOf(progressEvent('S2', 'R-2', S.OTA_STAGE_HEALTHY)),
    'HQ_ROLLOUT_STATION_NOT_TARGETED',
    'S2 not offered yet',
  );
  t.equal(await codeOf(progressEvent('S1', 'R-0', S.OTA_STAGE_HEALTHY)), 'HQ_ROLLOUT_NOT_FOUND');
  t.equal(
    await codeOf(progressEvent('S1', 'R-2', S.OTA_STAGE_HEALTHY, '1.3.0-linux-arm64')),
    'HQ_ROLLOUT_RELEASE_MISMATCH',
    'a report replayed from another release',
  );
  t.equal(await codeOf(progressEvent('S1', 'R-2', S.OTA_STAGE_STAGED)), 'ok');
  t.equal(await codeOf(progressEvent('S1', 'R-2', S.OTA_STAGE_DOWNLOADING)), 'HQ_ROLLOUT_PROGRESS_BACKWARDS');
  t.ok(log.lines.filter((l) => l.level === 'warn').length >= 5, 'every refusal is logged with its code');
  t.equal(await codeOf(progressEvent('S1', 'R-2', S.OTA_STAGE_ROLLED_BACK)), 'ok');
  t.ok(
    log.lines.some((l) => l.level === 'error' && l.fields.code === 'HQ_ROLLOUT_STOPPED'),
    'HQ_ROLLOUT_STOPPED raised as an alert',
  );
  t.same(sent, ['S1'], 'a stopped rollout offers nothing more');
  t.equal((await readRollout(deps, 'R-2'))?.status, 'stopped');
});

t.test('an offer names its release as published; an unpublished one is a programmer error', async (t) => {
  const deps = { catalog, offerValidityMs: 60_000 };
  const store = new MemoryOperationsStore();
  const rollout = { store, clock: new FakeClock() };
  await createRollout(rollout, spec('R-3', ['S1']), 'li.wei', '');
  const state = await readRollout(rollout, 'R-3');
  if (state === undefined) throw new Error('no rollout');
  const command = offerCommand(deps, state, 'S1', 1_765_000_000_000);
  t.equal(command.notAfterMs, 1_765_000_060_000);
  t.equal(command.otaOffer?.packBytes, 123_456);
  t.throws(() =>
    offerCommand({ ...deps, catalog: { ...catalog, describe: () => undefined } }, state, 'S1', 1),
  );
});
