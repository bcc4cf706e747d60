// What a PKCS#11 return value (CKR_*) means for the signer. Token loss shows up under many codes
// depending on the module and the moment it happens (SoftHSM says CKR_OBJECT_HANDLE_INVALID or
// CKR_GENERAL_ERROR when its token directory vanishes; a USB key says CKR_DEVICE_REMOVED or
// CKR_TOKEN_NOT_PRESENT; a finalised library says CKR_CRYPTOKI_NOT_INITIALIZED): all of them mean
// "re-initialise and find the token again", never "retry the login".

import { assert } from '../assert.js';

/** PKCS#11 v2.40 return values used below. */
export const ckr = {
  CKR_GENERAL_ERROR: 0x05,
  CKR_FUNCTION_FAILED: 0x06,
  CKR_SLOT_ID_INVALID: 0x03,
  CKR_DEVICE_ERROR: 0x30,
  CKR_DEVICE_MEMORY: 0x31,
  CKR_DEVICE_REMOVED: 0x32,
  CKR_KEY_HANDLE_INVALID: 0x60,
  CKR_OBJECT_HANDLE_INVALID: 0x82,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_EXPIRED: 0xa3,
  CKR_PIN_LOCKED: 0xa4,
  CKR_SESSION_CLOSED: 0xb0,
  CKR_SESSION_HANDLE_INVALID: 0xb3,
  CKR_TOKEN_NOT_PRESENT: 0xe0,
  CKR_TOKEN_NOT_RECOGNIZED: 0xe1,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_USER_NOT_LOGGED_IN: 0x101,
  CKR_CRYPTOKI_NOT_INITIALIZED: 0x190,
} as const;

export type CkrClass = 'token-lost' | 'pin-incorrect' | 'pin-locked' | 'already-logged-in' | 'other';

const tokenLost: ReadonlySet<number> = new Set([
  ckr.CKR_GENERAL_ERROR,
  ckr.CKR_FUNCTION_FAILED,
  ckr.CKR_SLOT_ID_INVALID,
  ckr.CKR_DEVICE_ERROR,
  ckr.CKR_DEVICE_MEMORY,
  ckr.CKR_DEVICE_REMOVED,
  ckr.CKR_KEY_HANDLE_INVALID,
  ckr.CKR_OBJECT_HANDLE_INVALID,
  ckr.CKR_SESSION_CLOSED,
  ckr.CKR_SESSION_HANDLE_INVALID,
  ckr.CKR_TOKEN_NOT_PRESENT,
  ckr.CKR_TOKEN_NOT_RECOGNIZED,
  ckr.CKR_USER_NOT_LOGGED_IN,
  ckr.CKR_CRYPTOKI_NOT_INITIALIZED,
]);

// The PIN answers must never be read as token loss (that would re-initialise and log in again).
assert(
  !tokenLost.has(ckr.CKR_PIN_INCORRECT) &&
    !tokenLost.has(ckr.CKR_PIN_LOCKED) &&
    !tokenLost.has(ckr.CKR_PIN_EXPIRED),
  'return-values: a PIN return value is classed as token loss',
);

/**
 * The class of a return value. `code` is whatever numeric `code` a caught error carried (the module
 * is outside the process), so a value that is not a CK_RV is classed 'other', never asserted.
 */
export function classifyCkr(code: number): CkrClass {
  if (!Number.isSafeInteger(code) || code < 0) return 'other';
  if (code === ckr.CKR_PIN_INCORRECT) return 'pin-incorrect';
  if (code === ckr.CKR_PIN_LOCKED || code === ckr.CKR_PIN_EXPIRED) return 'pin-locked';
  if (code === ckr.CKR_USER_ALREADY_LOGGED_IN) return 'already-logged-in';
  if (tokenLost.has(code)) return 'token-lost';
  return 'other';
}
