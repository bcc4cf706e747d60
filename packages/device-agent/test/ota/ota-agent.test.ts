// Goal: the kiosk agent acts on HQ's update offers over the signed downlink and answers with signed,
// journaled progress (issue 13): an offer not signed by HQ is never run; a good one is downloaded,
// verified and staged at once but switched only when the update lock is free (no withdrawal open,
// the station closed: here its 14:00-16:00 maintenance window, R20); a replayed offer and a
// downgrade are refused with their codes; after the restart a healthy release reports healthy, a
// broken one rolls back by itself and reports why. Method: the real agent (SQLite journal, SoftHSM
// UK key) with an in-memory link playing HQ, a manual clock, and the real OTA runner on real
// release folders (test/ota/ota-fixture.ts); a restart is a new agent on the same files.
import { generateKeyPairSync } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType, sealEnvelope, v1 } from '@bianmin/wire';
import type { Test } from 'tap';
import t from 'tap';
import { compareReleases, releaseNumbers } from '../../src/domain/ota/offer-check.js';
import { type Rig, type RigSet, rigSet, STATION, waitFor } from '../agent/rig.js';
import { buildPack, type KioskWorld, kioskWorld, releaseKey, wiringFor } from './ota-fixture.js';

const key = releaseKey();
const MAINTENANCE_MS = Date.UTC(2026, 10, 28, 6, 30); // 14:30 Beijing time
let commandCount = 0;

function offerCommand(version: string, pack: Uint8Array, offerSeq: number, rolloutId = 'R-1') {
  commandCount += 1;
  return {
    commandId: `ota-${commandCount}`,
    notAfterMs: MAINTENANCE_MS + 86_400_000,
    otaOffer: {
      rolloutId,
      releaseVersion: version,
      manifestSha256: 'ab'.repeat(32),
      packBytes: pack.length,
      fetchUrl: `https://hq.example.cn/api/v1/releases/${version}/pack`,
      offerSeq,
    },
  };
}

async function deliver(r: Rig, set: RigSet, command: ReturnType<typeof offerCommand>, signer?: 'stranger') {
  const body = command;
  let bytes: Uint8Array;
  if (signer === 'stranger') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    bytes = sealEnvelope(
      {
        stationId: STATION,
        keyId: set.hq.keyId, // claims HQ's key id; the signature is another key's
        seq: 0,
        eventId: `forged-${command.commandId}`,
        createdAtMs: r.clock.nowMs(),
        type: PayloadType.PAYLOAD_TYPE_COMMAND,
        body,
      },
      pair.privateKey,
    );
  } else {
    bytes = set.hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, body, r.clock.nowMs());
  }
  r.link.deliver(downTopic(STATION, 'cmd'), bytes);
}

/** The signed events of one type in the outbox, opened under the UK key. */
function sent(r: Rig, set: RigSet, type: 'PAYLOAD_TYPE_OTA_PROGRESS' | 'PAYLOAD_TYPE_COMMAND_RESULT') {
  return r.db
    .read(1, r.db.headSeq())
    .filter((row) => row.payloadType === type)
    .map((row) => openVerifiedEnvelope(row.envelopeBytes, () => set.uk.publicKeyPem));
}

function stages(r: Rig, set: RigSet): string[] {
  return sent(r, set, 'PAYLOAD_TYPE_OTA_PROGRESS').map((opened) => {
    if (opened.type !== PayloadType.PAYLOAD_TYPE_OTA_PROGRESS) throw new Error('not progress');
    const body = opened.body;
    const stage = String(v1.OtaStage[body.stage]).replace('OTA_STAGE_', '');
    return body.reasonCode === ''
      ? `${body.releaseVersion} ${stage}`
      : `${body.releaseVersion} ${stage} ${body.reasonCode} ${body.detail}`;
  });
}

function results(r: Rig, set: RigSet): string[] {
  return sent(r, set, 'PAYLOAD_TYPE_COMMAND_RESULT').map((opened) => {
    if (opened.type !== PayloadType.PAYLOAD_TYPE_COMMAND_RESULT) throw new Error('not a result');
    return `${opened.body.commandId} ${v1.CommandOutcome[opened.body.outcome]} ${opened.body.detail}`;
  });
}

async function openKiosk(t: Test, set: RigSet, world: KioskWorld, path?: string) {
  const r = await set.open(t, {
    ota: wiringFor(world, [key.publicKey]),
    ...(path === undefined ? {} : { path }),
  });
  world.nowMs = r.clock.nowMs();
  r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION));
  await waitFor(() => r.agent.status().configVersion === 1);
  return r;
}

t.test(
  'offers over the signed downlink: forged, good, replayed, downgrade; switch in the maintenance window; healthy',
  async (t) => {
    const set = rigSet(t, 'OTA-AGENT-1');
    const world = kioskWorld('1.3.0');
    const pack = buildPack('1.4.0', key);
    world.packs.set('1.4.0', pack);
    const r = await openKiosk(t, set, world);
    const ota = r.agent.ota();
    if (ota === undefined) throw new Error('agent without OTA');

    // Signed by a stranger under HQ's key id: the inbox refuses it before any command runs.
    const forged = offerCommand('1.4.0', pack, 1_000);
    await deliver(r, set, forged, 'stranger');
    await ota.settled();
    t.equal(r.db.getMeta(`hq_command:${forged.commandId}`), null, 'the forged offer was never run');
    t.equal(ota.state().phase.name, 'idle');

    const good = offerCommand('1.4.0', pack, 1_000);
    await deliver(r, set, good);
    await waitFor(() => r.db.getMeta(`hq_command:${good.commandId}`) !== null);
    await ota.settled();
    t.equal(ota.state().phase.name, 'staged', 'downloaded, verified and unpacked at once');
    t.same(stages(r, set), ['1.4.0 DOWNLOADING', '1.4.0 STAGED']);
    t.equal(
      readlinkSync(join(world.root, 'current')),
      join('releases', '1.3.0'),
      'not switched at 10:00: the station is open',
    );

    // The same offer again under a new command id, and an older release: refused with their codes.
    const replayed = offerCommand('1.4.0', pack, 1_000);
    await deliver(r, set, replayed);
    await waitFor(() => r.db.getMeta(`hq_command:${replayed.commandId}`) !== null);
    const downgrade = offerCommand('1.2.0', pack, 2_000);
    await deliver(r, set, downgrade);
    await waitFor(() => r.db.getMeta(`hq_command:${downgrade.commandId}`) !== null);
    const answers = results(r, set);
    t.match(answers[0], /COMMAND_OUTCOME_DONE offer of 1\.4\.0 accepted/);
    t.match(
      answers[1],
      /COMMAND_OUTCOME_REFUSED AGENT_OTA_OFFER_REPLAYED.*AGENT_OTA_OFFER_BUSY/,
      'every reason at once (R21)',
    );
    t.match(answers[2], /COMMAND_OUTCOME_REFUSED AGENT_OTA_OFFER_DOWNGRADE/);
    t.notMatch(answers[2], /REPLAYED/, 'a higher offer_seq is no replay');

    // 14:30 Beijing time: the maintenance window (R20) frees the lock; the runner switches and restarts.
    // The agent's own minute timer asks the lock again (no explicit tick: the clock moves).
    world.nowMs = MAINTENANCE_MS;
    r.clock.advance(MAINTENANCE_MS - r.clock.nowMs());
    await ota.settled();
    t.equal(world.restarts, 1, 'systemd asked to restart');
    t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.4.0'));
    t.ok(ota.restarted);
    await r.agent.stop();

    // The restarted agent (same journal, same state file) judges its health and reports.
    const again = await openKiosk(t, set, world, r.path);
    await again.agent.ota()?.settled();
    t.equal(again.agent.ota()?.state().goodVersion, '1.4.0', 'marked good');
    t.same(stages(again, set), ['1.4.0 DOWNLOADING', '1.4.0 STAGED', '1.4.0 HEALTHY']);
  },
);

t.test(
  'a broken release rolls back by itself and reports why; the lock holds while a release is staged',
  async (t) => {
    const set = rigSet(t, 'OTA-AGENT-2');
    const world = kioskWorld('1.3.0');
    const pack = buildPack('1.5.0', key);
    world.packs.set('1.5.0', pack);
    world.broken.add('1.5.0');
    const r = await openKiosk(t, set, world);
    const ota = r.agent.ota();
    if (ota === undefined) throw new Error('agent without OTA');
    r.clock.nowMsValue = MAINTENANCE_MS;
    world.nowMs = MAINTENANCE_MS;
    const offer = offerCommand('1.5.0', pack, 5_000, 'R-2');
    await deliver(r, set, offer);
    await waitFor(() => r.db.getMeta(`hq_command:${offer.commandId}`) !== null);
    await ota.settled();
    t.equal(world.restarts, 1, 'in the window: staged, switched and restarted in one go');
    await r.agent.stop();

    const trial = await openKiosk(t, set, world, r.path);
    await trial.agent.ota()?.settled();
    t.equal(world.restarts, 2, 'the failed trial switched back and restarted');
    t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.3.0'), 'back on the good release');
    t.same(stages(trial, set), [
      '1.5.0 DOWNLOADING',
      '1.5.0 STAGED',
      '1.5.0 ROLLED_BACK AGENT_OTA_HEALTH_FAILED doctor: broker session refused',
    ]);
  },
);

t.test('an agent started without OTA refuses offers; release numbers compare as numbers', async (t) => {
  const set = rigSet(t, 'OTA-AGENT-3');
  const r = await set.open(t);
  const offer = offerCommand('1.4.0', new Uint8Array(8), 1);
  await deliver(r, set, offer);
  await waitFor(() => r.db.getMeta(`hq_command:${offer.commandId}`) !== null);
  t.match(results(r, set)[0], /COMMAND_OUTCOME_REFUSED AGENT_OTA_OFFER_UNSUPPORTED/);
  t.ok(compareReleases('1.10.0-linux-arm64', '1.9.9') > 0, '1.10 is newer than 1.9');
  t.equal(compareReleases('2.0.0-linux-x64', '2.0.0'), 0, 'the arch suffix is not a version');
  t.equal(releaseNumbers('latest'), null);
});

t.test("HQ's switch window holds the switch on top of R20 until it opens", async (t) => {
  const set = rigSet(t, 'OTA-AGENT-4');
  const world = kioskWorld('1.3.0');
  const pack = buildPack('1.4.0', key);
  world.packs.set('1.4.0', pack);
  const r = await openKiosk(t, set, world);
  const ota = r.agent.ota();
  if (ota === undefined) throw new Error('agent without OTA');
  r.clock.nowMsValue = MAINTENANCE_MS;
  world.nowMs = MAINTENANCE_MS;
  const offer = offerCommand('1.4.0', pack, 7_000, 'R-4');
  const opensMs = MAINTENANCE_MS + 3_600_000; // 15:30 Beijing time, still in the maintenance window
  const windowed = {
    ...offer,
    otaOffer: { ...offer.otaOffer, switchNotBeforeMs: opensMs, switchNotAfterMs: opensMs + 600_000 },
  };
  r.link.deliver(
    downTopic(STATION, 'cmd'),
    set.hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, windowed, r.clock.nowMs()),
  );
  await waitFor(() => r.db.getMeta(`hq_command:${offer.commandId}`) !== null);
  await ota.settled();
  t.equal(ota.state().phase.name, 'staged', 'station closed for maintenance, but before the offer window');
  t.equal(world.restarts, 0);
  world.nowMs = opensMs;
  r.clock.advance(opensMs - r.clock.nowMs());
  await ota.settled();
  t.equal(world.restarts, 1, 'switched once the window opened');
  t.equal(readlinkSync(join(world.root, 'current')), join('releases', '1.4.0'));
});
