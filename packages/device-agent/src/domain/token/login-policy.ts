// Which token states forbid a login. A real USB key locks its user PIN after a few wrong tries and
// a locked key means a site visit, so the agent never makes a login attempt that could lock it:
// it reads the token's flags first and refuses when the token has already counted a wrong PIN
// (COUNT_LOW), has one try left (FINAL_TRY) or is locked; and after one CKR_PIN_INCORRECT of its
// own it stops for good until a technician reconfigures it. Pure: flags in, decision out.

import { assert } from '../assert.js';

/** PKCS#11 v2.40 CK_TOKEN_INFO flag bits (section 3.2), named here so the domain needs no binding. */
export const tokenFlagBits = {
  CKF_LOGIN_REQUIRED: 0x0000_0004,
  CKF_USER_PIN_INITIALIZED: 0x0000_0008,
  CKF_TOKEN_INITIALIZED: 0x0000_0400,
  CKF_USER_PIN_COUNT_LOW: 0x0001_0000,
  CKF_USER_PIN_FINAL_TRY: 0x0002_0000,
  CKF_USER_PIN_LOCKED: 0x0004_0000,
  CKF_USER_PIN_TO_BE_CHANGED: 0x0008_0000,
} as const;

// The bits are typed in by hand from the standard: each one a single bit, no two the same.
assert(
  Object.values(tokenFlagBits).every((bit) => bit > 0 && (bit & (bit - 1)) === 0) &&
    new Set(Object.values(tokenFlagBits)).size === Object.values(tokenFlagBits).length,
  'tokenFlagBits: each flag is one distinct bit',
);

export interface TokenFlags {
  readonly loginRequired: boolean;
  readonly tokenInitialized: boolean;
  readonly userPinInitialized: boolean;
  readonly userPinCountLow: boolean;
  readonly userPinFinalTry: boolean;
  readonly userPinLocked: boolean;
  readonly userPinToBeChanged: boolean;
}

export function decodeTokenFlags(flags: number): TokenFlags {
  // Not an AgentAssertionError: `flags` is the token's own answer (C_GetTokenInfo), input from
  // outside; the check is kept as it was until the adapter refuses a bad value with a code.
  if (!Number.isSafeInteger(flags) || flags < 0)
    throw new Error(`assert: token flags must be a uint, got ${flags}`);
  const has = (bit: number): boolean => (flags & bit) !== 0;
  return {
    loginRequired: has(tokenFlagBits.CKF_LOGIN_REQUIRED),
    tokenInitialized: has(tokenFlagBits.CKF_TOKEN_INITIALIZED),
    userPinInitialized: has(tokenFlagBits.CKF_USER_PIN_INITIALIZED),
    userPinCountLow: has(tokenFlagBits.CKF_USER_PIN_COUNT_LOW),
    userPinFinalTry: has(tokenFlagBits.CKF_USER_PIN_FINAL_TRY),
    userPinLocked: has(tokenFlagBits.CKF_USER_PIN_LOCKED),
    userPinToBeChanged: has(tokenFlagBits.CKF_USER_PIN_TO_BE_CHANGED),
  };
}

/** Refusal kinds, each listed at most once. */
const loginRefusalCountMax = 5;

export type LoginRefusalCode =
  | 'AGENT_TOKEN_PIN_REJECTED'
  | 'AGENT_TOKEN_PIN_LOCKED'
  | 'AGENT_TOKEN_PIN_FINAL_TRY'
  | 'AGENT_TOKEN_PIN_COUNT_LOW'
  | 'AGENT_TOKEN_NOT_INITIALIZED';

export interface LoginRefusal {
  readonly code: LoginRefusalCode;
  readonly reason: string;
}

export type LoginDecision =
  | { readonly kind: 'login' }
  | { readonly kind: 'no-login-needed' }
  | { readonly kind: 'refuse'; readonly refusals: readonly LoginRefusal[] };

/**
 * Decides whether a C_Login may be attempted. Every reason to refuse is listed (R21), most severe
 * first: our own earlier rejection, locked, final try, count low, not initialised.
 */
export function decideLogin(flags: TokenFlags, pinRejectedBefore: boolean): LoginDecision {
  const refusals: LoginRefusal[] = [];
  if (pinRejectedBefore) {
    refusals.push({
      code: 'AGENT_TOKEN_PIN_REJECTED',
      reason: 'the token rejected the configured PIN once; fix the PIN source, then restart or reconfigure',
    });
  }
  if (flags.userPinLocked) {
    refusals.push({ code: 'AGENT_TOKEN_PIN_LOCKED', reason: 'the token reports the user PIN locked' });
  }
  if (flags.userPinFinalTry) {
    refusals.push({
      code: 'AGENT_TOKEN_PIN_FINAL_TRY',
      reason: 'one PIN try left: a wrong PIN now would lock the token',
    });
  }
  if (flags.userPinCountLow) {
    refusals.push({
      code: 'AGENT_TOKEN_PIN_COUNT_LOW',
      reason: 'the token has counted wrong PIN attempts; login waits for a technician',
    });
  }
  if (!flags.tokenInitialized || !flags.userPinInitialized) {
    refusals.push({
      code: 'AGENT_TOKEN_NOT_INITIALIZED',
      reason: 'the token or its user PIN is not initialised',
    });
  }
  assert(refusals.length <= loginRefusalCountMax, 'decideLogin: more refusals than kinds');
  assert(
    new Set(refusals.map((refusal) => refusal.code)).size === refusals.length,
    'decideLogin: a refusal code listed twice',
  );
  if (refusals.length > 0) return { kind: 'refuse', refusals };
  // The property that keeps a USB key from locking: after our own rejection, or on a token that
  // reports locked, final try or counted failures, no login is ever attempted.
  assert(
    !pinRejectedBefore && !flags.userPinLocked && !flags.userPinFinalTry && !flags.userPinCountLow,
    'decideLogin: a login on a token that could lock',
  );
  return flags.loginRequired ? { kind: 'login' } : { kind: 'no-login-needed' };
}
