// Sealed means immutable (R7, R8): nothing the ledger returns may let a caller change a sealed
// close, a posted entry or any recorded outcome. Values the ledger keeps and hands out more than
// once (closes, refusals, fee schedules) are deep-frozen when they are made; values built fresh for
// each call (events, entries, balances, totals, results) are frozen too, so a caller that tries to
// change one gets a TypeError (ESM code is strict) instead of a silent, misleading edit.

import { assert } from './assert.js';

/** Freezes a value and everything reachable from it (plain objects and arrays); returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  const frozen = Object.freeze(value);
  assert(Object.isFrozen(frozen), 'deepFreeze froze its value');
  return frozen;
}

/** A plain-data copy of a small JSON-shaped value (service hours, limits). */
export function plainCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
