// The card number (PAN) kept so it cannot leak by accident (DOMAIN R24): `maskPan` (the one
// implementation, @bianmin/wire's, re-exported) shows the first 6 and last 4 digits, and `Pan`
// prints masked through toJSON, toString and util.inspect. Only `digits()` gives the full number,
// for the PIN block binding and the authorisation message.

import { luhnValid, maskPan } from '@bianmin/wire';

export { maskPan };

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
export const panLengthMin = 12;
export const panLengthMax = 19;

/** The Luhn check lives in @bianmin/wire (one implementation for kiosk, HQ and tests). */
export { luhnValid };

export class Pan {
  readonly #digits: string;

  private constructor(digits: string) {
    this.#digits = digits;
  }

  /** A PAN of 12–19 digits passing Luhn, or undefined (the caller raises a code naming the field). */
  static parse(text: string): Pan | undefined {
    if (text.length < panLengthMin || text.length > panLengthMax || !luhnValid(text)) return undefined;
    return new Pan(text);
  }

  /** The full number: only for the PIN block and the authorisation message, never for logs. */
  digits(): string {
    return this.#digits;
  }

  get masked(): string {
    return maskPan(this.#digits);
  }

  toJSON(): string {
    return this.masked;
  }

  toString(): string {
    return this.masked;
  }

  [inspectCustom](): string {
    return `Pan(${this.masked})`;
  }
}
