// Assertions for programmer errors in the agent's domain (STYLE.md, kind 1), mirroring
// core-ledger's src/assert.ts: a broken invariant, or a caller passing something the type system
// cannot rule out (a float where a count is due, a 15-byte PIN block). They throw
// AgentAssertionError and crash; the supervisor restarts the process and the journal makes the
// restart safe. NEVER use them on input from outside the process (a serial line, a PIN pad reply,
// a token's answer, a config value, a message from HQ): that is refused with an AgentError code.

/** Thrown for programmer errors only. Operating errors are AgentError with a registered code. */
export class AgentAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentAssertionError';
  }
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AgentAssertionError(message);
}

/** An integer in [min, max] (both inclusive, both safe integers): a seq, a CRC, a count, a delay. */
export function assertIntegerInRange(value: number, min: number, max: number, field: string): void {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new AgentAssertionError(`${field}: bad range [${String(min)}, ${String(max)}]`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new AgentAssertionError(`${field} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Exactly `sizeBytes` bytes (a PIN block, a key, a digest). */
export function assertByteLength(bytes: Uint8Array, sizeBytes: number, field: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== sizeBytes) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new AgentAssertionError(`${field} must be ${sizeBytes} bytes, got ${got}`);
  }
}

/** Lower-case hex of exactly `charCount` characters (a chain hash is 64: 32 bytes of SHA-256). */
export function assertHexLowerCase(text: string, charCount: number, field: string): void {
  if (typeof text !== 'string' || text.length !== charCount || !/^[0-9a-f]*$/.test(text)) {
    throw new AgentAssertionError(`${field} must be ${charCount} lower-case hex characters`);
  }
}
