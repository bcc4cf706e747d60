// Pure key handling for the PIN pad: parsing a typed key component, combining components by XOR
// (what the pad does inside; the simulator uses it) and the rules a set of components must follow.
// The check value itself is computed by @bianmin/wire (keyCheckValue) where AES is at hand.

import { pinKeyComponentCountMax, pinKeyComponentCountMin } from '../../limits.js';
import { SecretKeyBytes } from './secret.js';

export type KeyComponentProblem = 'not-hex-32' | 'all-zero' | 'component-count' | 'duplicate-component';

/** Parses 32 hex digits (spaces and dashes allowed between groups, as printed on key mailers). */
export function parseKeyComponent(text: string): SecretKeyBytes | KeyComponentProblem {
  const compact = text.replace(/[\s-]/g, '');
  if (!/^[0-9A-Fa-f]{32}$/.test(compact)) return 'not-hex-32';
  const bytes = new Uint8Array(16);
  for (let index = 0; index < 16; index += 1)
    bytes[index] = Number.parseInt(compact.slice(2 * index, 2 * index + 2), 16);
  if (bytes.every((byte) => byte === 0)) return 'all-zero';
  const key = SecretKeyBytes.fromBytes(bytes);
  bytes.fill(0);
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
  return problems;
}

/** XOR of the components (2–3 keys of 16 bytes): the TMK. Asserts a usable set. */
export function combineKeyComponents(components: readonly Uint8Array[]): Uint8Array {
  const problems = checkComponentSet(components);
  if (problems.length > 0) throw new RangeError(`key components unusable: ${problems.join(', ')}`);
  const out = new Uint8Array(16);
  for (const component of components)
    for (let index = 0; index < 16; index += 1) out[index]! ^= component[index] ?? 0;
  return out;
}
