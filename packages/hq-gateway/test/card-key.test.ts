// Goal: HQ's per-card tally key is a keyed hash (HMAC-SHA-256) that depends on the secret, is
// stable for one secret, is not the plain SHA-256 of the PAN, never contains the PAN, and its
// secret never prints; the config reads the secret from a file and refuses a short or non-hex one.
// Method: direct calls with fixed and random secrets over a table of Luhn PANs, plus
// checkHqConfig/readCardKeySecret on temp files.
import { generateKeyPairSync, hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { CardKeySecret, cardKeyOf } from '../src/app/card-key.js';
import { checkHqConfig, readCardKeySecret } from '../src/config.js';
import { HqError } from '../src/errors.js';
import { luhnPan } from './helpers/station-sim.js';

const pans = [luhnPan('622860', 16), luhnPan('622861', 16), luhnPan('404040', 19), luhnPan('5123', 12)];
const secretBytesA = new Uint8Array(32).fill(0xa5);
const secretBytesB = new Uint8Array(32).fill(0x5a);

function hqPrivateKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

t.test('the key depends on the secret and is stable for one secret', async (t) => {
  const a = CardKeySecret.fromSecretBytes(secretBytesA);
  const aAgain = CardKeySecret.fromSecretBytes(Uint8Array.from(secretBytesA));
  const b = CardKeySecret.fromSecretBytes(secretBytesB);
  for (const pan of pans) {
    t.match(cardKeyOf(a, pan), /^[0-9a-f]{64}$/, 'a 64-hex digest (the card_key column is unchanged)');
    t.equal(cardKeyOf(a, pan), cardKeyOf(aAgain, pan), 'same secret, same key');
    t.not(cardKeyOf(a, pan), cardKeyOf(b, pan), 'two secrets, two keys');
  }
  t.not(cardKeyOf(a, pans[0]!), cardKeyOf(a, pans[1]!), 'two cards, two keys');
});

t.test('the key is not a plain digest and never contains the PAN', async (t) => {
  const secrets = [
    CardKeySecret.fromSecretBytes(secretBytesA),
    CardKeySecret.fromSecretBytes(new Uint8Array(randomBytes(48))),
    CardKeySecret.fromHqPrivateKey(hqPrivateKey()),
  ];
  for (const secret of secrets) {
    for (const pan of pans) {
      const key = cardKeyOf(secret, pan);
      t.not(key, hash('sha256', pan, 'hex'), 'not SHA-256(PAN)');
      t.not(key, hash('sha256', `bianmin.v1/card-key/${pan}`, 'hex'), 'not the former unkeyed key');
      t.notOk(key.includes(pan), 'no PAN inside');
      t.notOk(key.includes(pan.slice(-4)) && key.includes(pan.slice(0, 6)), 'no masked-PAN parts together');
    }
  }
});

t.test('the default from the HQ key is deterministic and per key', async (t) => {
  const keyA = hqPrivateKey();
  const pan = pans[0]!;
  t.equal(
    cardKeyOf(CardKeySecret.fromHqPrivateKey(keyA), pan),
    cardKeyOf(CardKeySecret.fromHqPrivateKey(keyA), pan),
    'same HQ key (a restart) gives the same card key',
  );
  t.not(
    cardKeyOf(CardKeySecret.fromHqPrivateKey(keyA), pan),
    cardKeyOf(CardKeySecret.fromHqPrivateKey(hqPrivateKey()), pan),
    'another HQ key gives another card key',
  );
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  t.throws(() => CardKeySecret.fromHqPrivateKey(publicKey), TypeError, 'a public key is refused');
});

t.test('the secret never prints, and bad input is refused', async (t) => {
  const secret = CardKeySecret.fromSecretBytes(secretBytesA);
  t.equal(JSON.stringify({ secret }), '{"secret":"[secret]"}');
  t.equal(inspect(secret), '[secret]');
  t.equal(`${secret}`, '[secret]');
  t.throws(() => CardKeySecret.fromSecretBytes(new Uint8Array(31)), RangeError, 'under 32 bytes');
  t.throws(() => cardKeyOf(secret, '62286012345'), /12-19 digits/, 'too short a PAN');
  t.throws(() => cardKeyOf(secret, '6228601234567890x'), /12-19 digits/, 'not digits');
});

t.test('the config reads the secret from cardKeySecretFile and refuses a bad one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-card-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = { dbPath: 'hq.sqlite', brokerUrl: 'mqtt://127.0.0.1:1883', clientId: 'hq', hqKeyFile: 'k' };
  const configWith = (text: string) => {
    writeFileSync(join(dir, 'card-key-secret.hex'), text);
    return checkHqConfig({ ...base, calendarDir: '.', cardKeySecretFile: 'card-key-secret.hex' }, dir);
  };
  const config = configWith(`${Buffer.from(secretBytesA).toString('hex')}\n`);
  t.equal(config.cardKeySecretFile, join(dir, 'card-key-secret.hex'), 'path resolved against the config');
  const read = readCardKeySecret(config);
  t.ok(read instanceof CardKeySecret);
  t.equal(cardKeyOf(read!, pans[0]!), cardKeyOf(CardKeySecret.fromSecretBytes(secretBytesA), pans[0]!));
  for (const bad of ['ab'.repeat(31), 'zz'.repeat(32), 'a'.repeat(65)]) {
    const badConfig = configWith(bad);
    const error = t.throws(() => readCardKeySecret(badConfig)) as unknown as HqError;
    t.ok(error instanceof HqError);
    t.equal(error.code, 'HQ_CONFIG_INVALID');
    t.equal(error.problems[0]?.field, 'cardKeySecretFile');
    t.notOk(error.message.includes(bad), 'the message does not echo the secret');
  }
  const without = checkHqConfig({ ...base, calendarDir: '.' }, dir);
  const envBefore = process.env.HQ_CARD_KEY_SECRET_HEX;
  t.teardown(() => {
    if (envBefore === undefined) delete process.env.HQ_CARD_KEY_SECRET_HEX;
    else process.env.HQ_CARD_KEY_SECRET_HEX = envBefore;
  });
  delete process.env.HQ_CARD_KEY_SECRET_HEX;
  t.equal(readCardKeySecret(without), undefined, 'none configured: the gateway derives one');
  process.env.HQ_CARD_KEY_SECRET_HEX = Buffer.from(secretBytesB).toString('hex');
  const fromEnv = readCardKeySecret(without);
  t.equal(
    cardKeyOf(fromEnv!, pans[0]!),
    cardKeyOf(CardKeySecret.fromSecretBytes(secretBytesB), pans[0]!),
    'or from HQ_CARD_KEY_SECRET_HEX',
  );
});
