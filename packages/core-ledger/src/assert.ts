// Assertions for programmer errors (STYLE.md, kind 1): a broken invariant or a caller passing
// something the type system cannot rule out (a float where fen are due). They throw
// LedgerAssertionError and are never used for business outcomes, which are returned as values.

import { LedgerAssertionError } from './errors.js';
import { LEDGER_LIMITS } from './limits.js';

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new LedgerAssertionError(message);
}

/** R1: money is integer fen. Asserts a safe integer in [0, amountFenMax]. */
export function assertFen(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > LEDGER_LIMITS.amountFenMax) {
    throw new LedgerAssertionError(
      `${field} must be integer fen in [0, ${LEDGER_LIMITS.amountFenMax}] (R1), got ${String(value)}`,
    );
  }
}

/** An instant: integer epoch milliseconds (UTC), never negative. */
export function assertInstantMs(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LedgerAssertionError(`${field} must be integer epoch milliseconds, got ${String(value)}`);
  }
}

/** A client-made id or other short identifier: a non-empty string of bounded length. */
export function assertId(value: string, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > LEDGER_LIMITS.idLengthMax) {
    throw new LedgerAssertionError(`${field} must be a string of 1..${LEDGER_LIMITS.idLengthMax} characters`);
  }
}
