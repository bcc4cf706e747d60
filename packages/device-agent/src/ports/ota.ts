// What the kiosk's OTA shell (app/ota-runner.ts) needs from the world, as ports: the persistent OTA
// state, the source of the download, the release slots on disk (download file, verify, unpack,
// the `current` switch), the update lock, the health check, the restart and the report to HQ.
// Adapters: adapters/ota/ (real files: atomic state file, slots and links under a releases dir);
// tests add fakes for the source, the lock, the health check, the restart and the reporter.
import type { LockReason, OtaOffer, OtaProgress, OtaState } from '../domain/ota/ota-machine.js';

export interface OtaStateStore {
  /** The persisted state, or undefined before the first save. Throws AGENT_OTA_STATE_INVALID. */
  load(): OtaState | undefined;
  /** Durable when it returns (temp file, fsync, rename, fsync of the folder). */
  save(state: OtaState): void;
}

export interface ReleaseSource {
  /** Up to `sizeBytesMax` bytes of the offer's pack from `fromByte` (HTTP range or the link). */
  fetch(offer: OtaOffer, fromByte: number, sizeBytesMax: number): Promise<Uint8Array>;
}

export type VerifyOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ReleaseSlots {
  /** Bytes of the offer's download already durable (resume point). */
  downloadedBytes(version: string): number;
  /** Writes `bytes` at `fromByte` (anything after it is dropped first) and fsyncs. */
  storeChunk(version: string, fromByte: number, bytes: Uint8Array): void;
  /** Signature under a pinned release key, the manifest's version, then every file's SHA-256. */
  verify(version: string): VerifyOutcome;
  /** Unpacks the verified download into releases/<version> (via a .partial folder and a rename). */
  unpack(version: string): void;
  /** Backs up the journal, then points `current` at releases/<version> by one rename. */
  switchTo(version: string): void;
  /** The slot `current` names now. */
  current(): string;
  /** Removes the download and any partial slot of `version` (never the running or previous slot). */
  discard(version: string): void;
}

export interface UpdateLock {
  /** Why the kiosk may not switch now (R20 hours, a transaction in flight); empty: it may. */
  reasons(nowMs: number): readonly LockReason[];
}

export interface HealthCheck {
  /** Doctor checks, a broker session and the journal chain, on the running release. */
  run(): Promise<{ readonly ok: boolean; readonly reason: string }>;
}

export interface Restarter {
  /** Asks systemd to restart the agent (the process ends; a new one resumes from the state file). */
  restart(): void;
}

export interface ProgressReporter {
  report(rolloutId: string, progress: OtaProgress, reason: string): Promise<void>;
}

/** Where a switch asked of root (ota.switchVia "unit") stands, for the release on trial. */
export type SwitchVerdict =
  | { readonly kind: 'done' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'refused'; readonly code: string; readonly detail: string };

export interface SwitchOutcomes {
  /** done: `current` names `version`; refused: root's outcome file says why; waiting: neither yet. */
  verdict(version: string): SwitchVerdict;
}
