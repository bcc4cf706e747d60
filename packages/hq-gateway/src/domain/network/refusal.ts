// Business refusals of the station network (STYLE.md kind 2): returned as values with a stable
// code, never thrown, and every reason at once (R21, 一次性告知) in the registry's order
// (src/errors.ts), so the same refusal always reads the same way. A reason may name the field at
// fault and carry details (for R12, every site within 2 km with its distance).
import { type HqCode, hqCodes } from '../../errors.js';
import { assert } from '../assert.js';

export interface NetReason {
  readonly code: HqCode;
  /** The command field at fault, when there is one. */
  readonly field?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface NetRefusal {
  readonly ok: false;
  /** The first reason's code in registry order. */
  readonly code: HqCode;
  readonly reasons: readonly NetReason[];
}

export type Decision<T> = { readonly ok: true; readonly value: T } | NetRefusal;

const order: ReadonlyMap<string, number> = new Map(Object.keys(hqCodes).map((code, index) => [code, index]));

/** A refusal with every reason, sorted by the registry's order (stable for equal codes). */
export function refuse(reasons: readonly NetReason[]): NetRefusal {
  assert(reasons.length > 0, 'a refusal has at least one reason');
  const sorted = reasons
    .map((reason, index) => ({ reason, index }))
    .sort((a, b) => (order.get(a.reason.code) ?? 0) - (order.get(b.reason.code) ?? 0) || a.index - b.index)
    .map((entry) => entry.reason);
  assert(sorted.length === reasons.length, 'sorting keeps every reason');
  return { ok: false, code: sorted[0]!.code, reasons: sorted };
}

/** ok with the value when no reason was collected, else the refusal with all of them. */
export function decide<T>(reasons: readonly NetReason[], value: () => T): Decision<T> {
  return reasons.length > 0 ? refuse(reasons) : { ok: true, value: value() };
}

export function fieldInvalid(field: string, message: string): NetReason {
  assert(field.length > 0, 'a field name');
  return { code: 'HQ_NET_FIELD_INVALID', field, message: `${field}: ${message}` };
}
