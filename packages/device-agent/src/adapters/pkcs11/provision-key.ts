// `kiosk provision`'s token step: make sure the token holds the signing key, creating it ON the
// token when it has none, never overwriting one that exists. Uses the same never-lock login as
// the signer. Opens and closes its own read/write session and finalises the module afterwards.
import { AgentError } from '../../errors.js';
import type { SignerPublicKey } from '../../ports/signer.js';
import { createPkcs11jsBinding, type Handle, P, type Pkcs11Binding } from './binding.js';
import type { UserPinSource } from './pin-source.js';
import {
  findObjects,
  findToken,
  generateP256KeyPair,
  initializeModule,
  loadModule,
  loginSafely,
  readPublicKey,
  type TokenSelector,
  wrapCkr,
} from './token-access.js';

export interface EnsureKeyOptions {
  readonly modulePath: string;
  readonly token: TokenSelector;
  readonly keyLabel: string;
  readonly pin: UserPinSource;
  readonly createBinding?: () => Pkcs11Binding;
}

export interface EnsuredKey {
  /** True when this call generated the key; false when it was already there (left untouched). */
  readonly created: boolean;
  readonly publicKey: SignerPublicKey;
  readonly token: {
    readonly label: string;
    readonly serial: string;
    readonly model: string;
    readonly manufacturer: string;
  };
}

export function ensureSigningKey(options: EnsureKeyOptions): EnsuredKey {
  const binding = (options.createBinding ?? createPkcs11jsBinding)();
  loadModule(binding, options.modulePath);
  initializeModule(binding);
  try {
    const token = findToken(binding, options.token);
    if (token === null) {
      throw new AgentError('AGENT_TOKEN_NOT_PRESENT', 'no token matches the configured label/serial', {
        details: { label: options.token.label ?? null, serial: options.token.serial ?? null },
      });
    }
    let session: Handle;
    try {
      session = binding.C_OpenSession(token.slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    } catch (cause) {
      throw wrapCkr(cause, 'C_OpenSession failed');
    }
    const outcome = loginSafely(binding, session, token, false, options.pin);
    if (outcome.kind === 'pin-rejected' || outcome.kind === 'pin-unavailable') throw outcome.error;
    if (outcome.kind === 'refused') {
      const first = outcome.refusals[0]!;
      throw new AgentError(first.code, outcome.refusals.map((refusal) => refusal.reason).join('; '));
    }
    const tokenView = {
      label: token.label,
      serial: token.serial,
      model: token.model,
      manufacturer: token.manufacturer,
    };
    const existingPrivate = findObjects(binding, session, P.CKO_PRIVATE_KEY, options.keyLabel);
    if (existingPrivate.length > 0) {
      const [publicHandle] = findObjects(binding, session, P.CKO_PUBLIC_KEY, options.keyLabel);
      if (publicHandle === undefined) {
        throw new AgentError(
          'AGENT_TOKEN_KEY_NOT_FOUND',
          `key "${options.keyLabel}" has no public half on the token`,
        );
      }
      return { created: false, publicKey: readPublicKey(binding, session, publicHandle), token: tokenView };
    }
    return {
      created: true,
      publicKey: generateP256KeyPair(binding, session, options.keyLabel),
      token: tokenView,
    };
  } finally {
    try {
      binding.C_Finalize();
    } catch {
      // nothing to release
    }
  }
}
