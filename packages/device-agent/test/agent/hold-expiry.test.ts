// Goal (issue 8, "fields carry what the proto says"): a WithdrawalAuthorised event carries the
// hold expiry HQ configured (Limits.hold_expiry_ms), not 0; 0 stays 0 ("no expiry").
// Method: one agent on SQLite and SoftHSM, HQ played through an in-memory link; the signed event
// is read back from the outbox.
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { holdExpiresAtMsOf as holdExpiresAtMs } from '../../src/domain/tx/active-config.js';
import { ManualClock, TEN_AM_MS } from './helpers.js';
import { type Rig, rigSet, STATION, waitFor, withdraw } from './rig.js';

const set = rigSet(t, 'AGENT-HOLD');

function authorisedEvents(r: Rig) {
  return r.db
    .read(1, r.db.headSeq())
    .filter((row) => row.payloadType === 'PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED')
    .map((row) => {
      const opened = openVerifiedEnvelope(row.envelopeBytes, () => set.uk.publicKeyPem);
      if (opened.type !== PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED) throw new Error('not authorised');
      return opened.body;
    });
}

const LIMITS = {
  withdrawalFenMaxPerTransaction: 500_000,
  billPaymentFenMaxPerTransaction: 200_000,
  topupFenMaxPerTransaction: 50_000,
  authorisationTimeoutMs: 5_000,
};

t.test('the hold expiry on the wire is the configured one', async (t) => {
  const r = await set.open(t, { clock: new ManualClock(TEN_AM_MS) });
  r.link.deliver(
    downTopic(STATION, 'config'),
    set.hq.config(STATION, { limits: { ...LIMITS, holdExpiryMs: 600_000 } }),
  );
  await waitFor(() => r.agent.status().configVersion === 1);
  await withdraw(r, set, 20_000, 'wd-expiry');
  const [event] = authorisedEvents(r);
  t.equal(Number(event!.authorisedAtMs), TEN_AM_MS);
  t.equal(Number(event!.holdExpiresAtMs), TEN_AM_MS + 600_000, 'authorised at + hold_expiry_ms');
});

t.test('no configured expiry: 0 on the wire (proto: no expiry)', async (t) => {
  const r = await set.open(t, { clock: new ManualClock(TEN_AM_MS) });
  r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { limits: LIMITS }));
  await waitFor(() => r.agent.status().configVersion === 1);
  await withdraw(r, set, 20_000, 'wd-no-expiry');
  t.equal(Number(authorisedEvents(r)[0]!.holdExpiresAtMs), 0);
  t.throws(() => holdExpiresAtMs(TEN_AM_MS, -1), /assert/);
});
