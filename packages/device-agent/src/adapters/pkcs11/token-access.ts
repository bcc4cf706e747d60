// The PKCS#11 steps shared by the signer and `kiosk provision`: initialise the module, find the
// token by label or serial, log in without ever risking a lock (domain/token/login-policy), find
// keys by label, read the public key and generate a key pair on the token.
import {
  decideLogin,
  decodeTokenFlags,
  type LoginRefusal,
  type TokenFlags,
} from '../../domain/token/login-policy.js';
import { classifyCkr } from '../../domain/token/return-values.js';
import { AgentError, type AgentErrorCode } from '../../errors.js';
import { tokenFindObjectsCountMax } from '../../limits.js';
import type { SignerPublicKey } from '../../ports/signer.js';
import { ckrOf, type Handle, P, type Pkcs11Binding, unpad } from './binding.js';
import { publicKeyFromEcPoint } from './ec-public-key.js';
import { readUserPin, type UserPinSource } from './pin-source.js';

/** Token selector from the config: a label, a serial, or both (both must match). */
export interface TokenSelector {
  readonly label?: string;
  readonly serial?: string;
}

export interface FoundToken {
  readonly slot: Handle;
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string;
  readonly flags: TokenFlags;
}

/** P-256 curve OID, DER: the CKA_EC_PARAMS of every key the agent makes. */
const p256ParamsDer = Buffer.from('06082a8648ce3d030107', 'hex');

/** C_Initialize, tolerating a library already initialised by another binding in this process. */
export function initializeModule(binding: Pkcs11Binding): void {
  try {
    binding.C_Initialize();
  } catch (cause) {
    if (ckrOf(cause) === P.CKR_CRYPTOKI_ALREADY_INITIALIZED) return;
    throw new AgentError('AGENT_TOKEN_MODULE_LOAD_FAILED', 'C_Initialize failed', {
      cause,
      details: { ckr: ckrOf(cause) },
    });
  }
}

export function loadModule(binding: Pkcs11Binding, modulePath: string): void {
  try {
    binding.load(modulePath);
  } catch (cause) {
    throw new AgentError('AGENT_TOKEN_MODULE_LOAD_FAILED', `cannot load PKCS#11 module ${modulePath}`, {
      cause,
      details: { modulePath },
    });
  }
}

export function matchesSelector(selector: TokenSelector, label: string, serial: string): boolean {
  if (selector.label === undefined && selector.serial === undefined) {
    throw new Error('assert: a token selector needs a label or a serial');
  }
  return (
    (selector.label === undefined || selector.label === label) &&
    (selector.serial === undefined || selector.serial === serial)
  );
}

/** Finds the token; null when none matches. Token-lost return values become AGENT_TOKEN_NOT_PRESENT. */
export function findToken(binding: Pkcs11Binding, selector: TokenSelector): FoundToken | null {
  try {
    for (const slot of binding.C_GetSlotList(true)) {
      const info = binding.C_GetTokenInfo(slot);
      const label = unpad(info.label);
      const serial = unpad(info.serialNumber);
      if (!matchesSelector(selector, label, serial)) continue;
      return {
        slot,
        label,
        serial,
        model: unpad(info.model),
        manufacturer: unpad(info.manufacturerID),
        flags: decodeTokenFlags(info.flags),
      };
    }
    return null;
  } catch (cause) {
    throw wrapCkr(cause, 'cannot list tokens');
  }
}

/** Maps a binding error to an AgentError by its CKR class. */
export function wrapCkr(cause: unknown, message: string): AgentError {
  if (cause instanceof AgentError) return cause;
  const code = ckrOf(cause);
  const kind = code === null ? 'other' : classifyCkr(code);
  const agentCode: AgentErrorCode =
    kind === 'token-lost'
      ? 'AGENT_TOKEN_NOT_PRESENT'
      : kind === 'pin-incorrect'
        ? 'AGENT_TOKEN_PIN_REJECTED'
        : kind === 'pin-locked'
          ? 'AGENT_TOKEN_PIN_LOCKED'
          : 'AGENT_TOKEN_SIGN_FAILED';
  return new AgentError(agentCode, message, { cause, details: { ckr: code } });
}

export type LoginOutcome =
  | { readonly kind: 'logged-in' }
  | { readonly kind: 'refused'; readonly refusals: readonly LoginRefusal[] }
  | { readonly kind: 'pin-unavailable'; readonly error: AgentError }
  | { readonly kind: 'pin-rejected'; readonly error: AgentError };

/**
 * Logs the user in only when the token's flags allow it (never a try that could lock the token).
 * A CKR_PIN_INCORRECT comes back as 'pin-rejected': the caller must never try again on its own.
 */
export function loginSafely(
  binding: Pkcs11Binding,
  session: Handle,
  token: FoundToken,
  pinRejectedBefore: boolean,
  pinSource: UserPinSource,
): LoginOutcome {
  const decision = decideLogin(token.flags, pinRejectedBefore);
  if (decision.kind === 'refuse') return { kind: 'refused', refusals: decision.refusals };
  if (decision.kind === 'no-login-needed') return { kind: 'logged-in' };
  let pin: ReturnType<typeof readUserPin>;
  try {
    pin = readUserPin(pinSource);
  } catch (error) {
    if (error instanceof AgentError) return { kind: 'pin-unavailable', error };
    throw error;
  }
  try {
    binding.C_Login(session, P.CKU_USER, pin.reveal());
    return { kind: 'logged-in' };
  } catch (cause) {
    const ckr = ckrOf(cause);
    const kind = ckr === null ? 'other' : classifyCkr(ckr);
    if (kind === 'already-logged-in') return { kind: 'logged-in' };
    if (kind === 'pin-incorrect') {
      return {
        kind: 'pin-rejected',
        error: new AgentError('AGENT_TOKEN_PIN_REJECTED', 'the token rejected the user PIN', { cause }),
      };
    }
    if (kind === 'pin-locked') {
      return {
        kind: 'refused',
        refusals: [
          { code: 'AGENT_TOKEN_PIN_LOCKED', reason: 'C_Login says the user PIN is locked or expired' },
        ],
      };
    }
    throw wrapCkr(cause, 'C_Login failed');
  }
}

/** Handles of objects of one class with the given label (at most tokenFindObjectsCountMax). */
export function findObjects(
  binding: Pkcs11Binding,
  session: Handle,
  objectClass: number,
  label: string,
): Handle[] {
  try {
    binding.C_FindObjectsInit(session, [
      { type: P.CKA_CLASS, value: objectClass },
      { type: P.CKA_LABEL, value: label },
    ]);
    try {
      return binding.C_FindObjects(session, tokenFindObjectsCountMax);
    } finally {
      binding.C_FindObjectsFinal(session);
    }
  } catch (cause) {
    throw wrapCkr(cause, `cannot search the token for "${label}"`);
  }
}

export function readPublicKey(binding: Pkcs11Binding, session: Handle, publicKey: Handle): SignerPublicKey {
  let attributes: ReturnType<Pkcs11Binding['C_GetAttributeValue']>;
  try {
    attributes = binding.C_GetAttributeValue(session, publicKey, [{ type: P.CKA_EC_POINT }]);
  } catch (cause) {
    throw wrapCkr(cause, 'cannot read CKA_EC_POINT');
  }
  const value = attributes[0]?.value;
  if (!Buffer.isBuffer(value)) throw new AgentError('AGENT_TOKEN_BAD_PUBLIC_KEY', 'CKA_EC_POINT is missing');
  return publicKeyFromEcPoint(value);
}

/**
 * Generates a P-256 key pair ON the token: the private half is sensitive, non-extractable and
 * persistent, and sign-only (no decrypt, unwrap or derive: a stolen session cannot turn the
 * station's identity key into anything but a signer), so it can sign but never leave the key. Refuses (AGENT_TOKEN_KEY_EXISTS) when any
 * object already has the label: a key is never overwritten or shadowed.
 */
export function generateP256KeyPair(binding: Pkcs11Binding, session: Handle, label: string): SignerPublicKey {
  if (label.length === 0) throw new Error('assert: key label must not be empty');
  const existing = [
    ...findObjects(binding, session, P.CKO_PRIVATE_KEY, label),
    ...findObjects(binding, session, P.CKO_PUBLIC_KEY, label),
  ];
  if (existing.length > 0) {
    throw new AgentError('AGENT_TOKEN_KEY_EXISTS', `the token already has a key labelled "${label}"`, {
      details: { keyLabel: label },
    });
  }
  const id = Buffer.from(label, 'utf8');
  let pair: { publicKey: Handle; privateKey: Handle };
  try {
    pair = binding.C_GenerateKeyPair(
      session,
      { mechanism: P.CKM_EC_KEY_PAIR_GEN },
      [
        { type: P.CKA_TOKEN, value: true },
        { type: P.CKA_PRIVATE, value: false },
        { type: P.CKA_LABEL, value: label },
        { type: P.CKA_ID, value: id },
        { type: P.CKA_VERIFY, value: true },
        { type: P.CKA_ENCRYPT, value: false },
        { type: P.CKA_WRAP, value: false },
        { type: P.CKA_DERIVE, value: false },
        { type: P.CKA_EC_PARAMS, value: p256ParamsDer },
      ],
      [
        { type: P.CKA_TOKEN, value: true },
        { type: P.CKA_PRIVATE, value: true },
        { type: P.CKA_LABEL, value: label },
        { type: P.CKA_ID, value: id },
        { type: P.CKA_SIGN, value: true },
        { type: P.CKA_DECRYPT, value: false },
        { type: P.CKA_UNWRAP, value: false },
        { type: P.CKA_DERIVE, value: false },
        { type: P.CKA_SENSITIVE, value: true },
        { type: P.CKA_EXTRACTABLE, value: false },
      ],
    );
  } catch (cause) {
    throw wrapCkr(cause, 'C_GenerateKeyPair failed');
  }
  return readPublicKey(binding, session, pair.publicKey);
}
