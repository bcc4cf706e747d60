// Goal: the OTA wire messages (issue 13) are refused at the edge unless every field is well formed:
// HQ's update offer inside a Command (release version, manifest hash, fetch URL, offer sequence,
// switch window) and the kiosk's journaled progress report (stage, byte counts, a reason exactly
// for a roll-back or a failure). Method: encodePayload checks exactly as a receiver decodes; each
// broken field gives WIRE_BAD_FIELD naming it, and a good message round-trips.
import t from 'tap';
import { decodePayload, encodePayload, PayloadType, v1, WireError } from '../src/index.js';
import { samplePayloads } from './fixtures.js';

const P = PayloadType;
const offer = {
  rolloutId: 'R-2026-12',
  releaseVersion: '1.4.0-linux-arm64',
  manifestSha256: 'ab'.repeat(32),
  packBytes: 4096,
  fetchUrl: 'https://hq.example.cn/api/v1/releases/1.4.0-linux-arm64/pack',
  offerSeq: 1_765_000_000_000,
  switchNotBeforeMs: 0,
  switchNotAfterMs: 0,
};
const command = (patch: object) => ({
  commandId: 'ota-R-2026-12-S1',
  notAfterMs: 1_765_000_000_000,
  otaOffer: { ...offer, ...patch },
});

function fieldOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof WireError)) return `raw ${String(error)}`;
    return `${error.code} ${String(error.details?.field ?? '')}`;
  }
}

t.test('a good offer and a good progress report round-trip', async (t) => {
  const bytes = encodePayload(P.PAYLOAD_TYPE_COMMAND, command({}));
  const decoded = decodePayload(P.PAYLOAD_TYPE_COMMAND, bytes);
  t.equal(decoded.action, 'otaOffer');
  t.equal(decoded.otaOffer?.releaseVersion, '1.4.0-linux-arm64');
  const progress = samplePayloads[P.PAYLOAD_TYPE_OTA_PROGRESS];
  const back = decodePayload(
    P.PAYLOAD_TYPE_OTA_PROGRESS,
    encodePayload(P.PAYLOAD_TYPE_OTA_PROGRESS, progress),
  );
  t.equal(back.stage, v1.OtaStage.OTA_STAGE_ROLLED_BACK);
  t.equal(back.reasonCode, 'AGENT_OTA_HEALTH_FAILED');
});

t.test('every broken offer field is named', async (t) => {
  const cases: Array<[string, object, string]> = [
    ['a version that is not a release slot', { releaseVersion: '../1.4.0' }, 'body.otaOffer.releaseVersion'],
    ['a manifest hash in upper case', { manifestSha256: 'AB'.repeat(32) }, 'body.otaOffer.manifestSha256'],
    ['an empty pack', { packBytes: 0 }, 'body.otaOffer.packBytes'],
    ['a file: URL', { fetchUrl: 'file:///etc/shadow' }, 'body.otaOffer.fetchUrl'],
    ['a URL with a space', { fetchUrl: 'https://hq/a b' }, 'body.otaOffer.fetchUrl'],
    ['no offer sequence', { offerSeq: 0 }, 'body.otaOffer.offerSeq'],
    [
      'a switch window that ends before it starts',
      { switchNotBeforeMs: 20, switchNotAfterMs: 10 },
      'body.otaOffer.switchNotAfterMs',
    ],
  ];
  for (const [name, patch, field] of cases) {
    t.equal(
      fieldOf(() => encodePayload(P.PAYLOAD_TYPE_COMMAND, command(patch))),
      `WIRE_BAD_FIELD ${field}`,
      name,
    );
  }
});

t.test('a progress report says why exactly when it rolled back or failed', async (t) => {
  const base = samplePayloads[P.PAYLOAD_TYPE_OTA_PROGRESS];
  const cases: Array<[string, object, string]> = [
    ['a roll-back without its reason', { reasonCode: '' }, 'body.reasonCode'],
    ['a reason on a healthy report', { stage: v1.OtaStage.OTA_STAGE_HEALTHY }, 'body.reasonCode'],
    ['no stage', { stage: v1.OtaStage.OTA_STAGE_UNSPECIFIED }, 'body.stage'],
    ['more bytes received than the pack has', { receivedBytes: 5000 }, 'body.receivedBytes'],
    ['a bad version', { releaseVersion: 'latest' }, 'body.releaseVersion'],
  ];
  for (const [name, patch, field] of cases) {
    t.equal(
      fieldOf(() => encodePayload(P.PAYLOAD_TYPE_OTA_PROGRESS, { ...base, ...patch })),
      `WIRE_BAD_FIELD ${field}`,
      name,
    );
  }
});
