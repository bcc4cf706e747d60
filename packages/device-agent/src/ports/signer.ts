// The signer port: what the agent needs from the UK key. Every event is signed before it enters
// the outbox (issue 4), so the agent must always know whether it can sign, and why not; hence one
// discriminated union for the state instead of flags. The PKCS#11 adapter implements it; tests
// and the demo may use a software fake.
import type { AgentErrorCode } from '../errors.js';

export type SignerState =
  /** Not opened yet. */
  | { readonly kind: 'closed-initially' }
  /** Logged in, key found: signDigest works. */
  | { readonly kind: 'ready'; readonly tokenSerial: string; readonly tokenLabel: string }
  /** No matching token (pulled out, session lost, module finalised); a probe looks again. */
  | {
      readonly kind: 'no-token';
      readonly code: AgentErrorCode;
      readonly reason: string;
      readonly failedProbeCount: number;
      readonly nextProbeInMs: number | null;
    }
  /** The token is there but has no key under the configured label. */
  | { readonly kind: 'no-key'; readonly keyLabel: string }
  /** The PIN file / env var could not be read. Re-checked on the next sign or probe. */
  | { readonly kind: 'pin-unavailable'; readonly reason: string }
  /** The token's own flags forbid a login (locked, final try, count low, not initialised). */
  | {
      readonly kind: 'locked';
      readonly codes: readonly AgentErrorCode[];
      readonly reasons: readonly string[];
    }
  /** One CKR_PIN_INCORRECT: alarm raised, nothing more is tried until reconfigured. */
  | { readonly kind: 'pin-rejected' }
  /** close() was called. */
  | { readonly kind: 'closed' };

export type SignerStateKind = SignerState['kind'];

export interface SignerPublicKey {
  /** DER SubjectPublicKeyInfo of the P-256 key. */
  readonly spkiDer: Uint8Array;
  readonly pem: string;
  /** SHA-256 of spkiDer, lowercase hex: the key id HQ binds at enrolment. */
  readonly fingerprintSha256Hex: string;
}

export interface Signer {
  /** The current state; never throws. */
  state(): SignerState;
  /**
   * Signs a 32-byte SHA-256 digest with ECDSA P-256. Returns 64 bytes r||s (verify in Node with
   * dsaEncoding 'ieee-p1363'). Throws AgentError (AGENT_TOKEN_*) and signs nothing when the state
   * does not allow it; a lost token is re-initialised and logged into on this call if it is back.
   */
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
  /** The public half of the signing key; throws AgentError like signDigest. */
  publicKey(): Promise<SignerPublicKey>;
  /** Subscribe to state changes (for telemetry and alarms). Returns an unsubscribe function. */
  onStateChange(listener: (state: SignerState) => void): () => void;
  /** Stops background probes, logs out, closes the session and finalises the module. */
  close(): Promise<void>;
}
