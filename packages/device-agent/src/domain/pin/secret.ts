// Wrappers for secrets the agent carries but must never show: the enciphered PIN block and key
// components typed by the technician. toJSON, toString and util.inspect print "[secret]" (STYLE.md
// "Logging"); pino's redact list is only the second line of defence.

import { assert } from '../assert.js';

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

class SecretBase {
  readonly #bytes: Uint8Array;

  protected constructor(bytes: Uint8Array) {
    assert(bytes instanceof Uint8Array && bytes.length > 0, 'secret: bytes must be a non-empty Uint8Array');
    this.#bytes = Uint8Array.from(bytes);
    // Our own copy: the caller wipes its buffer after handing it over, and our wipe never reaches it.
    assert(this.#bytes.buffer !== bytes.buffer, 'secret: must hold a copy, not the caller buffer');
  }

  get byteLength(): number {
    return this.#bytes.length;
  }

  /** A copy of the bytes, for the one place that must send them on (the device, or HQ). */
  exposeBytes(): Uint8Array {
    const copy = Uint8Array.from(this.#bytes);
    assert(copy.length === this.#bytes.length, 'secret: the exposed copy has the secret length');
    return copy;
  }

  /** Overwrites the bytes (after use; JS gives no stronger guarantee). */
  wipe(): void {
    this.#bytes.fill(0);
    assert(
      this.#bytes.every((byte) => byte === 0),
      'secret: wipe left a non-zero byte',
    );
  }

  toJSON(): string {
    return '[secret]';
  }

  toString(): string {
    return '[secret]';
  }

  [inspectCustom](): string {
    return '[secret]';
  }
}

/** The ISO 9564 format-4 PIN block from the PIN pad: 16 bytes enciphered under the TPK. Opaque. */
export class PinBlock extends SecretBase {
  static readonly byteCount = 16;

  static fromBytes(bytes: Uint8Array): PinBlock {
    if (bytes.length !== PinBlock.byteCount) throw new RangeError('PIN block must be 16 bytes');
    const block = new PinBlock(bytes);
    assert(block.byteLength === PinBlock.byteCount, 'PinBlock: length 16');
    return block;
  }
}

/** Key material in clear (a TMK component typed by the technician): 16 bytes, AES-128. */
export class SecretKeyBytes extends SecretBase {
  static readonly byteCount = 16;

  static fromBytes(bytes: Uint8Array): SecretKeyBytes {
    if (bytes.length !== SecretKeyBytes.byteCount) throw new RangeError('key must be 16 bytes');
    const key = new SecretKeyBytes(bytes);
    assert(key.byteLength === SecretKeyBytes.byteCount, 'SecretKeyBytes: length 16 (AES-128)');
    return key;
  }
}
