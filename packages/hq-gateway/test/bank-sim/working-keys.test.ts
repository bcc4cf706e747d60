// Goal: the bank HSM stand-in's part in remote key loading (R24): it issues a station's TPK only
// wrapped under that station's TMK with the TPK's check value, and the bank simulator verifies a
// PIN block under the TPK the request names for that station (falling back to the default TPK
// otherwise); the gateway's scheduled rotation sends each due station a fresh key on HQ's clock. Method: an in-memory SQLite database, the wire package's PIN block codec, and the
// pad's side played by unwrapping with the TMK.
import { encodePinBlockFormat4, keyCheckValue, unwrapKeyAesEcb } from '@bianmin/wire';
import Database from 'better-sqlite3';
import t from 'tap';
import { BankSimulator } from '../../src/adapters/bank-sim/bank-sim.js';
import { rotationKeyId, WorkingKeyRotation } from '../../src/app/working-key-rotation.js';
import { silentLog } from '../../src/ports/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const PAN = '6222021234567890128';
const tmk = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
const defaultTpk = new Uint8Array(16).fill(0x42);

function bank() {
  const db = new Database(':memory:');
  const sim = new BankSimulator(db, defaultTpk);
  sim.seedAccounts([{ pan: PAN, pin: '2468', balanceFen: 1_000_000, dailyLimitFen: 500_000 }]);
  return { db, sim };
}

function ask(pinBlock: Uint8Array, requestId: string, tpkKeyId?: string) {
  return {
    requestId,
    transactionId: `tx-${requestId}`,
    stationId: 'ST0024',
    pan: PAN,
    pinBlock,
    ...(tpkKeyId === undefined ? {} : { tpkKeyId }),
    amountFen: 10_000,
    feeFen: 100,
    businessDate: '2026-12-05',
    atMs: Date.UTC(2026, 11, 5, 2),
  };
}

t.test('issue: only the wrapped TPK and its KCV leave the HSM; the pad side unwraps it', async (t) => {
  const { db, sim } = bank();
  t.teardown(() => db.close());
  const keys = sim.workingKeys;
  t.equal(keys.registerTmk('ST0024', tmk), keyCheckValue(tmk));
  const wrapped = keys.issue('ST0024', 'TPK-2026-12', Date.UTC(2026, 11, 5));
  t.same(Object.keys(wrapped).sort(), ['kcv', 'tpkKeyId', 'tpkUnderTmk'], 'nothing else is handed out');
  const inPad = unwrapKeyAesEcb(tmk, wrapped.tpkUnderTmk);
  t.equal(keyCheckValue(inPad), wrapped.kcv, 'what the pad deciphers has the KCV HQ sent');
  t.same(keys.keyFor('ST0024', 'TPK-2026-12')?.tpk, inPad, 'the HSM keeps the same key for PIN checks');
  t.equal(keys.keyFor('ST0099', 'TPK-2026-12'), undefined, 'per station');
  t.throws(() => keys.issue('ST0099', 'TPK-1', 1), /no TMK registered/);
  t.throws(() => keys.issue('ST0024', 'bad id!', 1), /tpkKeyId/);
  t.throws(() => keys.registerTmk('ST0024', new Uint8Array(16)), /not all zero/);
});

t.test('authorise: the PIN block is checked under the TPK the request names', async (t) => {
  const { db, sim } = bank();
  t.teardown(() => db.close());
  sim.workingKeys.registerTmk('ST0024', tmk);
  const wrapped = sim.workingKeys.issue('ST0024', 'TPK-2026-12', Date.UTC(2026, 11, 5));
  const tpk = unwrapKeyAesEcb(tmk, wrapped.tpkUnderTmk);
  const underIssued = encodePinBlockFormat4({ pin: '2468', pan: PAN, key: tpk });
  t.match(
    await sim.authorise(ask(underIssued, 'r0', 'TPK-2026-12')),
    { approved: false, code: 'HQ_BANK_KEY_NOT_ACTIVE', responseCode: '96' },
    'R24: sent, no KCV answer yet: no PIN block is verified under it',
  );
  t.equal(sim.workingKeys.tpkFor('ST0024', 'TPK-2026-12'), undefined, 'nor handed out for a check');
  sim.workingKeys.setKeyStatus('ST0024', 'TPK-2026-12', 'active');
  t.match(await sim.authorise(ask(underIssued, 'r1', 'TPK-2026-12')), { approved: true });
  t.match(
    await sim.authorise(ask(underIssued, 'r2')),
    { approved: false, code: 'HQ_BANK_PIN_BLOCK_INVALID' },
    'the same block read under the default TPK does not decode',
  );
  const underDefault = encodePinBlockFormat4({ pin: '2468', pan: PAN, key: defaultTpk });
  t.match(
    await sim.authorise(ask(underDefault, 'r3', 'TPK1')),
    { approved: true },
    'an unknown id: the default TPK',
  );
  // A key whose KCV answer disagreed is never used again, and never falls back to the default.
  const refused = sim.workingKeys.issue('ST0024', 'TPK-LIAR', Date.UTC(2026, 11, 6));
  sim.workingKeys.setKeyStatus('ST0024', 'TPK-LIAR', 'refused');
  t.match(
    await sim.authorise(ask(underDefault, 'r4', refused.tpkKeyId)),
    { approved: false, code: 'HQ_BANK_KEY_NOT_ACTIVE' },
    'a refused key: declined with its code, not read under the default TPK',
  );
});

t.test("a key from before the KCV check ('issued') still verifies", async (t) => {
  const { db, sim } = bank();
  t.teardown(() => db.close());
  sim.workingKeys.registerTmk('ST0024', tmk);
  const wrapped = sim.workingKeys.issue('ST0024', 'TPK-OLD', Date.UTC(2026, 10, 1));
  db.prepare("UPDATE bank_station_tpks SET status = 'issued' WHERE key_id = 'TPK-OLD'").run();
  const block = encodePinBlockFormat4({
    pin: '2468',
    pan: PAN,
    key: unwrapKeyAesEcb(tmk, wrapped.tpkUnderTmk),
  });
  t.match(await sim.authorise(ask(block, 'o1', 'TPK-OLD')), { approved: true }, 'in use before the upgrade');
});

t.test('scheduled rotation: due stations get a fresh TPK on the clock; others wait', async (t) => {
  const { db, sim } = bank();
  t.teardown(() => db.close());
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 2, 0, 0));
  const sent: { stationId: string; tpkKeyId: string; kcv: string }[] = [];
  const operations = {
    sendWorkingKey: async (
      stationId: string,
      key: { tpkKeyId: string; tpkUnderTmk: Uint8Array; kcv: string },
    ) => {
      if (stationId === 'ST-DOWN') throw new Error('broker down');
      sent.push({ stationId, tpkKeyId: key.tpkKeyId, kcv: key.kcv });
      return { commandId: `c-${sent.length}`, tpkKeyId: key.tpkKeyId, kcv: key.kcv, published: true };
    },
  };
  const dayMs = 24 * 3600 * 1000;
  const rotation = new WorkingKeyRotation({
    hsm: sim.workingKeys,
    operations,
    clock,
    log: silentLog,
    rotationMs: 30 * dayMs,
  });
  t.throws(
    () => new WorkingKeyRotation({ hsm: sim.workingKeys, operations, clock, log: silentLog, rotationMs: 1 }),
    /at least one check interval/,
  );
  t.same(await rotation.rotateDue(), [], 'no station has a TMK: nothing to send');
  sim.workingKeys.registerTmk('ST0024', tmk);
  sim.workingKeys.registerTmk('ST-DOWN', Buffer.from('FFEEDDCCBBAA99887766554433221100', 'hex'));
  t.same(await rotation.rotateDue(), ['ST0024'], 'a TMK and no TPK yet: the first one goes out');
  t.equal(sent[0]?.tpkKeyId, 'TPK-202612051000', 'named by its Beijing minute');
  t.equal(sent[0]?.kcv, keyCheckValue(sim.workingKeys.keyFor('ST0024', 'TPK-202612051000')!.tpk));
  t.same(
    sim.workingKeys.stationsDue(clock.nowMs(), 30 * dayMs),
    ['ST-DOWN'],
    'not sent: forgotten, due again',
  );
  clock.advance(29 * dayMs);
  t.same(await rotation.rotateDue(), [], 'ST0024 within its period; ST-DOWN still cannot be sent (logged)');
  clock.advance(dayMs);
  t.same(await rotation.rotateDue(), ['ST0024'], 'after 30 days: rotated');
  t.equal(sent.length, 2);
  t.not(sent[1]?.kcv, undefined);
  t.equal(rotationKeyId(Date.UTC(2026, 11, 31, 16, 5)), 'TPK-202701010005', 'the Beijing date, not UTC');
});
