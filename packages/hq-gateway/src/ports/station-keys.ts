// The StationKeyStore port (issue 11): revoked station keys, kept forever, and the re-enrolment
// that gives a revoked station a new key. A revoked key never serves again, under its station or
// any other; a re-enrolment keeps the station id and org code (R15), replaces the key, lifts the
// revocation with who and why recorded (a resumption), in one transaction.
import type { StationRecord } from '../domain/types.js';
import type { Resumption } from './integrity-store.js';

export interface RevokedKey {
  readonly stationId: string;
  readonly keyId: string;
  /** SHA-256 of the public key (the enrolment's fingerprint). */
  readonly fingerprint: string;
  readonly revokedAtMs: number;
  readonly revokedBy: string;
  readonly reason: string;
}

export interface StationKeyStore {
  /** Keep a revoked key; idempotent by fingerprint (the first record stays). */
  recordRevokedKey(key: RevokedKey): Promise<void>;
  /** The revoked key with this fingerprint, under any station. */
  revokedKey(fingerprint: string): Promise<RevokedKey | undefined>;
  /** The station's revoked keys, oldest first. */
  revokedKeys(stationId: string): Promise<RevokedKey[]>;
  /**
   * One transaction: the station's key (key id, public key, fingerprint, serials, enrolment time)
   * replaced by `next`'s, its org code kept, and its key-revocation suspension lifted and recorded
   * with `resumption`. False, changing nothing, when the station is not held by a key revocation.
   */
  replaceRevokedKey(next: StationRecord, resumption: Resumption): Promise<boolean>;
}
