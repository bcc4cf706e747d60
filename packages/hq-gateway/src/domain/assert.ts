// Assertions for programmer errors in HQ's domain (STYLE.md, kind 1), mirroring core-ledger's
// src/assert.ts and the agent's domain/assert.ts: a broken invariant of HQ's own state (a tally
// below zero, an ack point above the high-water mark) or a caller passing something the type
// system cannot rule out. They throw HqAssertionError and crash; the supervisor restarts HQ and
// the store makes the restart safe. NEVER use them on a kiosk's message, an operator's input or a
// config value: HQ refuses that (quarantine with a code) or records a discrepancy, never crashes.

/** Thrown for programmer errors only. Operating errors are HqError with a registered code. */
export class HqAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HqAssertionError';
  }
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new HqAssertionError(message);
}
