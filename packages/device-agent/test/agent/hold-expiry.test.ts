// Goal: a WithdrawalAuthorised event carries what the proto says its hold_expires_at_ms is: the
// authorisation instant plus the hold expiry HQ configured (Limits.hold_expiry_ms), and 0 only when
// HQ configured none (docs/protocol.md, proto/bianmin/v1/events.proto). Method: the real agent on
// SQLite with a SoftHSM signer and an in-memory link; the test plays HQ (sealed config with a hold
// expiry, an approving authorisation response) and reads the journaled event back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent } from '../../src/agent.js';
import { holdExpiresAtMsOf } from '../../src/domain/tx/active-config.js';
import {
  fakeCardReader,
  fakePinPad,
  HqKey,
  ManualClock,
  MemoryLink,
  silentLogger,
  softHsmSigner,
  TEN_AM_MS,
} from './helpers.js';

const STATION = 'ST0001';
const uk = softHsmSigner('AGENT-HOLD');
t.teardown(() => uk.close());
const hq = new HqKey();

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200_000 && !check(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error('condition never became true');
}

async function authorisedHoldExpiry(t: import('tap').Test, holdExpiryMs: number): Promise<[number, number]> {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-hold-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = new KioskDb({ path: join(dir, 'kiosk.db') });
  let link: MemoryLink | undefined;
  const agent = await KioskAgent.open({
    stationId: STATION,
    keyId: uk.keyId,
    db,
    signer: uk.signer,
    cardReader: fakeCardReader(['6222021234567890128']),
    pinPad: fakePinPad(),
    clock: new ManualClock(),
    logger: silentLogger,
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
  agent.start();
  t.teardown(async () => {
    await agent.stop();
    db.close();
  });
  const limits = {
    withdrawalFenMaxPerTransaction: 500_000,
    billPaymentFenMaxPerTransaction: 200_000,
    topupFenMaxPerTransaction: 50_000,
    authorisationTimeoutMs: 5_000,
    holdExpiryMs,
  };
  link!.deliver(downTopic(STATION, 'config'), hq.config(STATION, { limits }));
  await waitFor(() => agent.status().configVersion > 0);
  const pending = agent.startWithdrawal({ amountFen: 50_000, txId: 'wd-hold-1' });
  await waitFor(() => link!.direct.length === 1);
  const sent = openVerifiedEnvelope(link!.direct[0]!.payload, () => uk.publicKeyPem);
  if (sent.type !== PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST) throw new Error('not an auth request');
  link!.deliver(
    downTopic(STATION, 'auth-resp'),
    hq.seal(STATION, PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: sent.body.requestId,
      transactionId: sent.body.transactionId,
      decision: 1,
      declineReason: 0,
      bankResponseCode: '00',
      bankReference: 'BANK-1',
      amountFen: Number(sent.body.amountFen),
      feeFen: 100,
      respondedAtMs: TEN_AM_MS,
    }),
  );
  await pending;
  const row = db.read(1, db.headSeq()).find((r) => r.payloadType === 'PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED');
  const opened = openVerifiedEnvelope(row!.envelopeBytes, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED) throw new Error('not authorised');
  return [Number(opened.body.authorisedAtMs), Number(opened.body.holdExpiresAtMs)];
}

t.test('hold_expires_at_ms = authorised_at_ms + the configured hold expiry', async (t) => {
  const [authorisedAtMs, holdExpiresAtMs] = await authorisedHoldExpiry(t, 15 * 60_000);
  t.ok(authorisedAtMs > 0);
  t.equal(holdExpiresAtMs, authorisedAtMs + 15 * 60_000, 'the configured 15 minutes, not 0');
});

t.test('no configured hold expiry: 0, as the proto defines', async (t) => {
  const [, holdExpiresAtMs] = await authorisedHoldExpiry(t, 0);
  t.equal(holdExpiresAtMs, 0);
  t.equal(holdExpiresAtMsOf(1_000, 0), 0);
  t.equal(holdExpiresAtMsOf(1_000, 500), 1_500);
});
