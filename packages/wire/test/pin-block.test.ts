// Goal: the ISO 9564 format-4 PIN block codec (AES-128) builds exactly the structure the standard
// describes, binds the PIN to the PAN, and refuses anything else. Method: a known AES vector for the
// KCV, a block rebuilt by hand from the definition, table cases for every fault, and fast-check
// round trips over random PINs, PANs and keys (the seed is printed).

import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import {
  decodePinBlockFormat4,
  encodePinBlockFormat4,
  keyCheckValue,
  keyCheckValueMatches,
  panField,
  unwrapKeyAesEcb,
  verifyPinBlockFormat4,
  wrapKeyAesEcb,
} from '../src/pin-block.js';

const key = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
const pan = '6222021234567894';
const fill = Uint8Array.from(Buffer.from('0102030405060708', 'hex'));

function aes(direction: 'e' | 'd', k: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher =
    direction === 'e' ? createCipheriv('aes-128-ecb', k, null) : createDecipheriv('aes-128-ecb', k, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}

t.test('KCV: AES-128 zero key over a zero block is the published 66E94B…', async (t) => {
  t.equal(keyCheckValue(new Uint8Array(16)), '66E94B');
  t.ok(keyCheckValueMatches(new Uint8Array(16), '66e94b'));
  t.notOk(keyCheckValueMatches(new Uint8Array(16), '66E94C'));
  t.notOk(keyCheckValueMatches(new Uint8Array(16), '66E9'));
});

t.test('the block is E(E(P) xor A) with P and A laid out as the standard says', async (t) => {
  const plain = Buffer.from('441234AAAAAAAAAA0102030405060708', 'hex');
  const panBytes = Buffer.from('46222021234567894000000000000000', 'hex');
  t.same(panField(pan), new Uint8Array(panBytes));
  const intermediate = aes('e', key, plain);
  const expected = aes(
    'e',
    key,
    Uint8Array.from(intermediate, (byte, index) => byte ^ (panBytes[index] ?? 0)),
  );
  const block = encodePinBlockFormat4({ pin: '1234', pan, key, randomFill: fill });
  t.same(block, expected);
  t.same(decodePinBlockFormat4(block, pan, key), { ok: true, pin: '1234' });
  // A 12-digit PAN has length nibble 0; a 19-digit one 7.
  t.equal(Buffer.from(panField('123456789012')!).toString('hex').slice(0, 2), '01');
  t.equal(Buffer.from(panField('6228480012345678940')!).toString('hex').slice(0, 1), '7');
});

t.test('the PIN is bound to the PAN and the key; structure faults are named', async (t) => {
  const block = encodePinBlockFormat4({ pin: '123456', pan, key });
  t.same(verifyPinBlockFormat4(block, pan, key, '123456'), { ok: true });
  t.same(verifyPinBlockFormat4(block, pan, key, '123457'), { ok: false, reason: 'pin-mismatch' });
  t.not(decodePinBlockFormat4(block, '4111111111111111', key).ok, true, 'another PAN does not decode');
  t.not(decodePinBlockFormat4(block, pan, new Uint8Array(16)).ok, true, 'another key does not decode');
  t.same(decodePinBlockFormat4(block.subarray(0, 15), pan, key), { ok: false, reason: 'block-length' });
  t.same(decodePinBlockFormat4(block, '12345', key), { ok: false, reason: 'pan-format' });

  const panBytes = panField(pan)!;
  const forge = (hex: string): Uint8Array => {
    const intermediate = aes('e', key, Uint8Array.from(Buffer.from(hex, 'hex')));
    return aes(
      'e',
      key,
      Uint8Array.from(intermediate, (byte, index) => byte ^ (panBytes[index] ?? 0)),
    );
  };
  t.same(decodePinBlockFormat4(forge('341234AAAAAAAAAA0102030405060708'), pan, key), {
    ok: false,
    reason: 'control-field',
  });
  t.same(decodePinBlockFormat4(forge('431234AAAAAAAAAA0102030405060708'), pan, key), {
    ok: false,
    reason: 'pin-length',
  });
  t.same(decodePinBlockFormat4(forge('4D1234AAAAAAAAAA0102030405060708'), pan, key), {
    ok: false,
    reason: 'pin-length',
  });
  t.same(decodePinBlockFormat4(forge('44123BAAAAAAAAAA0102030405060708'), pan, key), {
    ok: false,
    reason: 'pin-digit',
  });
  t.same(decodePinBlockFormat4(forge('441234AAAAAAAAAB0102030405060708'), pan, key), {
    ok: false,
    reason: 'fill',
  });
});

t.test('encode refuses bad input loudly (the simulator is the only caller)', async (t) => {
  t.throws(() => encodePinBlockFormat4({ pin: '123', pan, key }), RangeError);
  t.throws(() => encodePinBlockFormat4({ pin: '1234567890123', pan, key }), RangeError);
  t.throws(() => encodePinBlockFormat4({ pin: '12a4', pan, key }), RangeError);
  t.throws(() => encodePinBlockFormat4({ pin: '1234', pan: '12345678901', key }), RangeError);
  t.throws(() => encodePinBlockFormat4({ pin: '1234', pan, key: new Uint8Array(8) }), RangeError);
  t.throws(() => encodePinBlockFormat4({ pin: '1234', pan, key, randomFill: new Uint8Array(4) }), RangeError);
});

t.test('random fill: the same PIN gives a different block each time', async (t) => {
  const a = encodePinBlockFormat4({ pin: '1234', pan, key });
  const b = encodePinBlockFormat4({ pin: '1234', pan, key });
  t.notSame(a, b);
});

t.test('TPK under TMK: wrap and unwrap with KCV check', async (t) => {
  const tmk = Uint8Array.from(Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'));
  const wrapped = wrapKeyAesEcb(tmk, key);
  t.notSame(wrapped, key);
  const unwrapped = unwrapKeyAesEcb(tmk, wrapped);
  t.same(unwrapped, key);
  t.ok(keyCheckValueMatches(unwrapped, keyCheckValue(key)));
  t.throws(() => unwrapKeyAesEcb(tmk, new Uint8Array(15)), RangeError);
});

t.test('property: encode then decode gives the PIN back for any PIN, PAN and key', async (t) => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  t.comment(`fast-check seed ${seed}`);
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9]{4,12}$/),
      fc.stringMatching(/^[0-9]{12,19}$/),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (pin, anyPan, anyKey) => {
        const block = encodePinBlockFormat4({ pin, pan: anyPan, key: anyKey });
        const decoded = decodePinBlockFormat4(block, anyPan, anyKey);
        return decoded.ok && decoded.pin === pin && verifyPinBlockFormat4(block, anyPan, anyKey, pin).ok;
      },
    ),
    { seed, numRuns: 2000 },
  );
  t.pass('2000 random PINs, PANs and keys round-trip');
});
