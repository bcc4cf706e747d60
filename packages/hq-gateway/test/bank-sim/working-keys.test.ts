// Goal: the bank HSM stand-in's part in remote key loading (R24): it issues a station's TPK only
// wrapped under that station's TMK with the TPK's check value, and the bank simulator verifies a
// PIN block under the TPK the request names for that station (falling back to the default TPK
// otherwise). Method: an in-memory SQLite database, the wire package's PIN block codec, and the
// pad's side played by unwrapping with the TMK.
import { encodePinBlockFormat4, keyCheckValue, unwrapKeyAesEcb } from '@bianmin/wire';
import Database from 'better-sqlite3';
import t from 'tap';
import { BankSimulator } from '../../src/adapters/bank-sim/bank-sim.js';

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
  t.same(keys.tpkFor('ST0024', 'TPK-2026-12'), inPad, 'the HSM keeps the same key for PIN checks');
  t.equal(keys.tpkFor('ST0099', 'TPK-2026-12'), undefined, 'per station');
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
});
