// Goal: no byte string makes the decoder crash or accept a forgery. Method: fast-check, ~20,000
// cases of random bytes and of mutated valid envelopes (bit flips, cuts, insertions, splices);
// each must open cleanly or throw a WireError, and a mutated envelope that still opens must not
// verify unless its signed bytes and signature are unchanged. The seed is printed; replay with
// WIRE_FUZZ_SEED=<seed>.

import fc from 'fast-check';
import t from 'tap';
import {
  decodeEnvelope,
  knownPayloadTypes,
  openEnvelope,
  sealEnvelope,
  verifyEnvelope,
  WireError,
} from '../src/index.js';
import { newKey, sampleInput } from './fixtures.js';

const seed =
  process.env.WIRE_FUZZ_SEED === undefined
    ? Date.now() ^ (Math.random() * 2 ** 31)
    : Number(process.env.WIRE_FUZZ_SEED);
const key = newKey();
const valid = knownPayloadTypes.map((type) => sealEnvelope(sampleInput(type, key.keyId), key.privateKey));

type Outcome = 'opened' | string;

function outcome(bytes: Uint8Array): Outcome {
  try {
    openEnvelope(bytes);
    return 'opened';
  } catch (error) {
    if (error instanceof WireError) return error.code;
    throw error;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(bytes: Uint8Array, steps: MutationStep[]): Uint8Array {
  let out = new Uint8Array(bytes);
  for (const step of steps) {
    const at = out.length === 0 ? 0 : step.at % out.length;
    if (step.kind === 'flip') out[at] = (out[at] ?? 0) ^ (1 << step.bit);
    if (step.kind === 'set') out[at] = step.value;
    if (step.kind === 'cut') out = out.subarray(0, at);
    if (step.kind === 'insert')
      out = new Uint8Array([...out.subarray(0, at), ...step.bytes, ...out.subarray(at)]);
  }
  return out;
}

type MutationStep =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'set'; at: number; value: number };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

t.test(`fuzz decodeEnvelope/openEnvelope (seed ${seed})`, async (t) => {
  t.comment(`fast-check seed ${seed} (replay: WIRE_FUZZ_SEED=${seed})`);
  const counts = new Map<Outcome, number>();
  const count = (result: Outcome): void => {
    counts.set(result, (counts.get(result) ?? 0) + 1);
  };

  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      count(outcome(bytes));
    }),
    { seed, numRuns: 8_000 },
  );

  fc.assert(
    fc.property(
      fc.nat({ max: valid.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (index, steps) => {
        const original = valid[index] as Uint8Array;
        const bytes = mutate(original, steps as MutationStep[]);
        const result = outcome(bytes);
        count(result);
        if (result === 'opened') {
          const parts = decodeEnvelope(bytes);
          const before = decodeEnvelope(original);
          const unchanged =
            sameBytes(parts.signed, before.signed) && sameBytes(parts.signature, before.signature);
          if (verifyEnvelope(parts, key.publicKey) !== unchanged) {
            throw new Error('a changed envelope verified, or an unchanged one did not');
          }
        }
      },
    ),
    { seed: seed + 1, numRuns: 12_000 },
  );

  // Oversized inputs are refused before any decoding.
  fc.assert(
    fc.property(
      fc.integer({ min: 65_537, max: 200_000 }),
      (size) => outcome(new Uint8Array(size)) === 'WIRE_TOO_LARGE',
    ),
    { seed: seed + 2, numRuns: 20 },
  );

  const summary = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  t.comment(`outcomes: ${summary.map(([name, n]) => `${name}=${n}`).join(' ')}`);
  t.ok(
    counts.has('opened') && counts.has('WIRE_TRUNCATED'),
    'both opened and truncated inputs were exercised',
  );
});
