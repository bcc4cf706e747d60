// A small deterministic PRNG (mulberry32) so a demo or an end-to-end run replays from its seed.

/** Returns a function giving numbers in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  if (!Number.isSafeInteger(seed)) throw new Error('assert: the seed is an integer');
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max] from `random`. */
export function intBetween(random: () => number, min: number, max: number): number {
  if (!(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max)) {
    throw new Error('assert: intBetween needs integers min <= max');
  }
  return min + Math.floor(random() * (max - min + 1));
}

/** `count` deterministic bytes from `random` (test keys in a demo; never for real secrets). */
export function bytesFrom(random: () => number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let index = 0; index < count; index += 1) out[index] = Math.floor(random() * 256);
  return out;
}
