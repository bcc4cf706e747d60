// Pure key handling for the PIN pad: parsing a typed key component, combining components by XOR
// (what the pad does inside; the simulator uses it) and the rules a set of components must follow.
// The check value itself is computed by @bianmin/wire (keyCheckValue) where AES is at hand.

import { pinKeyComponentCountMax, pinKeyComponentCountMin } from '../../limits.js';
import { assert, assertByteLength, assertIntegerInRange } from '../assert.js';
import { SecretKeyBytes } from './secret.js';

/** Every problem kind once at most (R21 lists all reasons, each once). */
const problemCountMax = 4;

export type KeyComponentProblem = 'not-hex-32' | 'all-zero' | 'component-count' | 'duplicate-component';

/** Parses 32 hex digits (spaces and dashes allowed between groups, as printed on key mailers). */
export function parseKeyComponent(text: string): SecretKeyBytes | KeyComponentProblem {
  const compact = text.replace(/[\s-]/g, '');
  // `text` is the technician's: anything may arrive, so it is refused as a value, never asserted.
  if (!/^[0-9A-Fa-f]{32}$/.test(compact)) return 'not-hex-32';
  const bytes = new Uint8Array(SecretKeyBytes.byteCount);
  for (let index = 0; index < 16; index += 1)
    bytes[index] = Number.parseInt(compact.slice(2 * index, 2 * index + 2), 16);
  if (bytes.every((byte) => byte === 0)) return 'all-zero';
  const key = SecretKeyBytes.fromBytes(bytes);
  bytes.fill(0);
  // The clear component lives on only inside the wrapper, which prints "[secret]".
  assert(
    bytes.every((byte) => byte === 0),
    'parseKeyComponent: the clear copy was not wiped',
  );
  assert(key.byteLength === SecretKeyBytes.byteCount, 'parseKeyComponent: key is 16 bytes');
  return key;
}

/** Every problem with a set of components at once (R21), empty when the set is usable. */
export function checkComponentSet(components: readonly Uint8Array[]): KeyComponentProblem[] {
  const problems: KeyComponentProblem[] = [];
  if (components.length < pinKeyComponentCountMin || components.length > pinKeyComponentCountMax) {
    problems.push('component-count');
  }
  if (components.some((component) => component.length !== 16)) problems.push('not-hex-32');
  const seen = new Set(components.map((component) => Buffer.from(component).toString('hex')));
  if (seen.size !== components.length) problems.push('duplicate-component');
  assert(new Set(problems).size === problems.length, 'checkComponentSet: a problem listed twice');
  assert(problems.length <= problemCountMax, 'checkComponentSet: more problems than kinds');
  return problems;
}

/** XOR of the components (2–3 keys of 16 bytes): the TMK. Asserts a usable set. */
export function combineKeyComponents(components: readonly Uint8Array[]): Uint8Array {
  const problems = checkComponentSet(components);
  if (problems.length > 0) throw new RangeError(`key components unusable: ${problems.join(', ')}`);
  // What checkComponentSet just allowed: 2–3 components, each an AES-128 key.
  assertIntegerInRange(components.length, pinKeyComponentCountMin, pinKeyComponentCountMax, 'components');
  const out = new Uint8Array(SecretKeyBytes.byteCount);
  for (const component of components)
    for (let index = 0; index < SecretKeyBytes.byteCount; index += 1) out[index]! ^= component[index] ?? 0;
  assertByteLength(out, SecretKeyBytes.byteCount, 'combined TMK');
  return out;
}
