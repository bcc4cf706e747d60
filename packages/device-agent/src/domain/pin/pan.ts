// The card number (PAN) kept so it cannot leak by accident (DOMAIN R24): `maskPan` (the one
// implementation, @bianmin/wire's, re-exported) shows the first 6 and last 4 digits, and `Pan`
// prints masked through toJSON, toString and util.inspect. Only `digits()` gives the full number,
// for the PIN block binding and the authorisation message.

import { luhnValid, maskPan } from '@bianmin/wire';
import { assert, assertIntegerInRange } from '../assert.js';

export { maskPan };

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
export const panLengthMin = 12;
export const panLengthMax = 19;
/** R24: a masked PAN shows the first 6 and the last 4 digits, never more. */
const panDigitsShownMax = 10;

/** The Luhn check lives in @bianmin/wire (one implementation for kiosk, HQ and tests). */
export { luhnValid };

export class Pan {
  readonly #digits: string;

  private constructor(digits: string) {
    // Only parse() constructs, after checking the card's text: a Pan is always a valid number.
    assertIntegerInRange(digits.length, panLengthMin, panLengthMax, 'Pan digits length');
    assert(luhnValid(digits), 'Pan: digits only, passing Luhn');
    this.#digits = digits;
  }

  /** A PAN of 12–19 digits passing Luhn, or undefined (the caller raises a code naming the field). */
  static parse(text: string): Pan | undefined {
    // `text` is the card reader's: anything may arrive, so it is refused as a value, never asserted.
    if (text.length < panLengthMin || text.length > panLengthMax || !luhnValid(text)) return undefined;
    const pan = new Pan(text);
    assert(pan.#digits === text, 'Pan.parse: keeps the number unchanged');
    return pan;
  }

  /** The full number: only for the PIN block and the authorisation message, never for logs. */
  digits(): string {
    assertIntegerInRange(this.#digits.length, panLengthMin, panLengthMax, 'Pan digits length');
    return this.#digits;
  }

  get masked(): string {
    const masked = maskPan(this.#digits);
    // R24, whatever maskPan becomes: same length, and at most first 6 + last 4 digits visible.
    assert(masked.length === this.#digits.length, 'Pan.masked: same length as the number');
    assert(
      masked.replace(/[^0-9]/g, '').length <= panDigitsShownMax,
      'Pan.masked: more than 10 digits shown',
    );
    return masked;
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
