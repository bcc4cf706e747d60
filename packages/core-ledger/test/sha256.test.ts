// Goal: the pure SHA-256 that seals daily closes (R7) is correct. Method: the NIST FIPS 180-4
// example vectors, then random inputs compared with node:crypto (tests may use Node; src may not).

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { bytesToHex, sha256, sha256Hex, utf8Encode } from '../src/index.js';

t.test('NIST vectors', async (t) => {
  const vectors: [string, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ];
  for (const [input, digest] of vectors)
    t.equal(sha256Hex(input), digest, JSON.stringify(input).slice(0, 20));
  const million = new Uint8Array(1_000_000).fill(0x61);
  t.equal(
    bytesToHex(sha256(million)),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    "one million 'a'",
  );
});

t.test('agrees with node:crypto on random bytes and strings', async (t) => {
  const seed = Date.now() % 2 ** 31;
  t.comment(`fast-check seed ${seed}`);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      return bytesToHex(sha256(bytes)) === createHash('sha256').update(bytes).digest('hex');
    }),
    { seed, numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
      return Buffer.from(utf8Encode(text)).equals(Buffer.from(text, 'utf8'));
    }),
    { seed, numRuns: 300 },
  );
  t.pass('300 random inputs each');
});
