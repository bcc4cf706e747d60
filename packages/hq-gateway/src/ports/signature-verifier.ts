// The SignatureVerifier port: checks an envelope signature against a registered station key.
// The worker-thread pool (adapters/crypto) implements it; the ingest pipeline awaits it.

export type VerdictCallback = (ok: boolean, error: Error | undefined) => void;

export interface SignatureVerifier {
  /** Register a public key (SPKI DER) under a reference (the key fingerprint); idempotent. */
  addKey(keyRef: string, spkiDer: Uint8Array): number;
  /** True when `signature` is valid over `signed` under the key; false for an unknown key. */
  verify(keyRef: string, signed: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /**
   * The same check without a promise (the ingest hot path): `done` is called exactly once, never
   * synchronously, with the verdict, or with `false` and an error when the verifier failed.
   */
  submit(keyRef: string, signed: Uint8Array, signature: Uint8Array, done: VerdictCallback): void;
  close(): Promise<void>;
}
