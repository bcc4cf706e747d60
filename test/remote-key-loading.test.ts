// Goal: remote key loading end to end (issue 13, R24). The bank HSM stand-in (hq-gateway bank-sim
// WorkingKeyIssuer) generates the PIN pad's working key (TPK) and gives out only the TPK enciphered
// under the station's TMK with its check value; HQ sends it in an HQ-signed command; the kiosk agent
// hands it to the PIN pad, which deciphers and checks it inside and answers its KCV; the agent
// reports that KCV in its signed CommandResult, and its next PIN block names the new key and
// verifies under the TPK the HSM stand-in holds. A wrong check value or a key wrapped under another
// TMK is refused by the pad and leaves the key in use unchanged. No clear TPK crosses the wire.
// Method: the real PinPadDriver on a socat PTY pair to the PIN-pad simulator (holding the TMK), the
// agent on a SQLite journal and a SoftHSM key with an in-memory link to play HQ, and the issuer on
// an in-memory SQLite database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  downTopic,
  keyCheckValue,
  openVerifiedEnvelope,
  PayloadType,
  verifyPinBlockFormat4,
  wrapKeyAesEcb,
} from '@bianmin/wire';
import Database from 'better-sqlite3';
import t from 'tap';
import { PinPadDriver } from '../packages/device-agent/src/adapters/serial/pin-pad-driver.js';
import { KioskDb } from '../packages/device-agent/src/adapters/sqlite/kiosk-db.js';
import { KioskAgent } from '../packages/device-agent/src/agent.js';
import { PtyPair } from '../packages/device-agent/src/sim/pty-pair.js';
import {
  fakeCardReader,
  HqKey,
  ManualClock,
  MemoryLink,
  recordingLogger,
  softHsmSigner,
  TEN_AM_MS,
} from '../packages/device-agent/test/agent/helpers.js';
import { waitFor } from '../packages/device-agent/test/agent/rig.js';
import { SimChild } from '../packages/device-agent/test/serial/helpers/sim-child.js';
import { WorkingKeyIssuer } from '../packages/hq-gateway/src/adapters/bank-sim/working-keys.js';

t.setTimeout(120_000);
// The drivers' timers are unref'd (a timer alone never keeps the agent up) and opening a PTY holds
// no handle: without a socket in this test, this keeps the process up until the teardown.
const keepAlive = setInterval(() => undefined, 60_000);
t.teardown(() => clearInterval(keepAlive));
const STATION = 'ST0024';
const PAN = '6222021234567890128';
const PIN = '1357';
const TMK_HEX = '00112233445566778899AABBCCDDEEFF';
const tmk = Buffer.from(TMK_HEX, 'hex');

const dir = mkdtempSync(join(tmpdir(), 'remote-key-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pty = await PtyPair.start();
t.teardown(() => pty.close());
const padSim = await SimChild.start(
  'pin-pad',
  pty.devicePath,
  { defaultPin: PIN, keys: { tmk: TMK_HEX } },
  dir,
);
t.teardown(() => padSim.stop());
const uk = softHsmSigner('REMOTE-KEY');
t.teardown(() => uk.close());
const hq = new HqKey();
const hsmDb = new Database(':memory:');
t.teardown(() => hsmDb.close());
const hsm = new WorkingKeyIssuer(hsmDb);
const tmkKcv = hsm.registerTmk(STATION, tmk);

const log = recordingLogger();
const pinPad = new PinPadDriver({ path: pty.hostPath, logger: log.logger });
const db = new KioskDb({ path: join(dir, 'kiosk.db') });
let link: MemoryLink | undefined;
const agent = await KioskAgent.open({
  stationId: STATION,
  keyId: uk.keyId,
  db,
  signer: uk.signer,
  cardReader: fakeCardReader([PAN, PAN]),
  pinPad,
  clock: new ManualClock(),
  logger: log.logger,
  hqPublicKeys: hq.pinned(),
  cardTokenKey: new Uint8Array(32).fill(7),
  tpkKeyId: 'TPK1',
  mqtt: { brokerUrl: 'mqtt://unused' },
  autoDailyClose: false,
  makeLink: () => {
    link = new MemoryLink(db);
    return link;
  },
});
pinPad.start();
agent.start();
t.teardown(async () => {
  await agent.stop();
  await pinPad.stop();
  db.close();
});
await pinPad.whenOpen(10_000);
link!.deliver(downTopic(STATION, 'config'), hq.config(STATION, { serviceHours: alwaysOpen() }));
await waitFor(() => agent.status().configVersion === 1);

function alwaysOpen() {
  return { timeZone: 'Asia/Shanghai', opensAtMinute: 0, closesAtMinute: 1440, maintenanceWindows: [] };
}

function commandResults(): Record<string, unknown>[] {
  return db
    .read(1, db.headSeq())
    .map((row) => openVerifiedEnvelope(row.envelopeBytes, () => uk.publicKeyPem))
    .filter((opened) => opened.type === PayloadType.PAYLOAD_TYPE_COMMAND_RESULT)
    .map((opened) => opened.body as unknown as Record<string, unknown>);
}

async function sendKey(commandId: string, key: { tpkKeyId: string; tpkUnderTmk: Uint8Array; kcv: string }) {
  const before = commandResults().length;
  const envelope = hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, {
    commandId,
    notAfterMs: TEN_AM_MS + 3_600_000,
    loadWorkingKey: key,
  });
  link!.deliver(downTopic(STATION, 'cmd'), envelope);
  await waitFor(() => commandResults().length > before);
  return { envelope, result: commandResults().at(-1)! };
}

/** One withdrawal up to the authorisation request: the PIN pad makes the block. */
async function pinBlockRequest() {
  const sentBefore = link!.direct.length;
  const pending = agent.startWithdrawal({ amountFen: 10_000 });
  await waitFor(() => link!.direct.length > sentBefore);
  const sent = link!.direct.at(-1)!;
  const opened = openVerifiedEnvelope(sent.payload, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST) throw new Error('not an auth request');
  const request = opened.body;
  // HQ approves; the cash is handed out: the withdrawal ends, the agent is free for the next one.
  link!.deliver(
    downTopic(STATION, 'auth-resp'),
    hq.seal(STATION, PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: request.requestId,
      transactionId: request.transactionId,
      decision: 1,
      declineReason: 0,
      bankResponseCode: '00',
      bankReference: `BANK-${request.requestId.slice(0, 8)}`,
      amountFen: Number(request.amountFen),
      feeFen: Number(request.feeFen),
      respondedAtMs: TEN_AM_MS,
    }),
  );
  const started = await pending;
  if (!started.ok) throw new Error('withdrawal not authorised');
  await agent.confirmCash(request.transactionId);
  return request;
}

t.test('HQ issues a TPK under the TMK; the pad loads it; PIN blocks move to it', async (t) => {
  t.equal(tmkKcv, keyCheckValue(tmk), 'the HSM stand-in knows the pad TMK by its KCV');
  const wrapped = hsm.issue(STATION, 'TPK-2026-12', TEN_AM_MS);
  const tpk = hsm.keyFor(STATION, 'TPK-2026-12')!.tpk;
  t.equal(hsm.tpkFor(STATION, 'TPK-2026-12'), undefined, 'R24: no PIN check under it before the KCV answer');
  t.equal(wrapped.kcv, keyCheckValue(tpk));
  const { envelope, result } = await sendKey('key-1', wrapped);
  t.match(result, { commandId: 'key-1', outcome: 1, detail: `TPK TPK-2026-12 loaded, KCV ${wrapped.kcv}` });
  t.notOk(Buffer.from(envelope).includes(Buffer.from(tpk)), 'the clear TPK is not in the signed command');
  t.ok(
    padSim.statuses.some((status) => status.command === 'LOAD_KEY'),
    'the pad received it',
  );
  // HQ compares the answered KCV with its own (app/working-key-check.ts) and activates the key.
  hsm.setKeyStatus(STATION, 'TPK-2026-12', 'active');
  t.same(hsm.tpkFor(STATION, 'TPK-2026-12'), tpk, 'activated: the HSM verifies PIN blocks under it');

  const request = await pinBlockRequest();
  t.equal(request.tpkKeyId, 'TPK-2026-12', 'the PIN block names the new key');
  t.ok(
    verifyPinBlockFormat4(request.pinBlock, PAN, tpk, PIN),
    'and the HSM stand-in verifies the PIN under the TPK it issued',
  );
  const logText = JSON.stringify(log.lines);
  t.notOk(logText.includes(Buffer.from(tpk).toString('hex')), 'no clear TPK in the log (lower hex)');
  t.notOk(logText.toUpperCase().includes(Buffer.from(tpk).toString('hex').toUpperCase()), 'nor upper hex');
});

t.test('AGENT_PINPAD_KCV_MISMATCH: a wrong check value or another TMK; the key in use stays', async (t) => {
  const good = hsm.issue(STATION, 'TPK-BAD-KCV', TEN_AM_MS);
  const wrongKcv = await sendKey('key-2', { ...good, kcv: good.kcv === '000000' ? '111111' : '000000' });
  t.match(wrongKcv.result, { outcome: 3, detail: /^AGENT_PINPAD_KCV_MISMATCH/ });
  const strangerTmk = Buffer.from('FFEEDDCCBBAA99887766554433221100', 'hex');
  const stranger = Buffer.from('0F0E0D0C0B0A09080706050403020100', 'hex');
  const otherTmk = await sendKey('key-3', {
    tpkKeyId: 'TPK-OTHER-TMK',
    tpkUnderTmk: wrapKeyAesEcb(strangerTmk, stranger),
    kcv: keyCheckValue(stranger),
  });
  t.match(otherTmk.result, { outcome: 3, detail: /^AGENT_PINPAD_KCV_MISMATCH/ });
  const request = await pinBlockRequest();
  t.equal(request.tpkKeyId, 'TPK-2026-12', 'PIN blocks still name the last key the pad accepted');
  t.ok(verifyPinBlockFormat4(request.pinBlock, PAN, hsm.tpkFor(STATION, 'TPK-2026-12')!, PIN));
});

t.test('the wire refuses a malformed key command before it is signed or opened', async (t) => {
  const command = (loadWorkingKey: { tpkKeyId: string; tpkUnderTmk: Uint8Array; kcv: string }) => () =>
    hq.seal(STATION, PayloadType.PAYLOAD_TYPE_COMMAND, {
      commandId: 'key-x',
      notAfterMs: TEN_AM_MS,
      loadWorkingKey,
    });
  const good = { tpkKeyId: 'TPK-X', tpkUnderTmk: new Uint8Array(16).fill(1), kcv: 'ABC123' };
  t.throws(command({ ...good, tpkUnderTmk: new Uint8Array(15) }), /WIRE_BAD_FIELD.*tpkUnderTmk/);
  t.throws(command({ ...good, kcv: 'abc123' }), /WIRE_BAD_FIELD.*kcv/);
  t.throws(command({ ...good, tpkKeyId: 'bad id!' }), /WIRE_BAD_FIELD.*tpkKeyId/);
});
