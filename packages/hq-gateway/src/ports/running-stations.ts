// The RunningStations port (issue 11): what station control needs of a running gateway to make an
// enrolment, suspension, resumption or key revocation take effect at once. The ingest pipeline
// implements it (main.ts wires it); the CLI, in another process, has none and bumps the store's
// station-control version instead, which the gateway polls (app/station-control.ts).
import type { StationRecord } from '../domain/types.js';
import type { Suspension } from './integrity-store.js';

/**
 * R4: a station whose network lifecycle exists and is not open (not yet opened, suspended or
 * closed in the lifecycle) may not transact; its withdrawal requests are declined with this code.
 */
export interface NetworkBlock {
  readonly code: 'HQ_NET_NOT_OPEN';
  /** The lifecycle state it is in. */
  readonly state: string;
}

export interface RunningStations {
  stationIds(): string[];
  /** The station's suspension in memory, null when served, undefined when unknown. */
  suspension(stationId: string): Suspension | null | undefined;
  addStation(record: StationRecord): void;
  /** A station re-enrolled with a new key after a revocation: only the new key verifies from now on. */
  rekeyStation(record: StationRecord): void;
  /** The fingerprint of the key the running gateway verifies the station by; undefined when unknown. */
  stationFingerprint(stationId: string): string | undefined;
  /** Quarantine the station's messages from now on (replaces a suspension held). */
  applySuspension(suspension: Suspension): void;
  resumeStation(stationId: string): boolean;
  /** R4: the station's lifecycle block in memory, null when none, undefined when unknown. */
  networkBlock(stationId: string): NetworkBlock | null | undefined;
  /** R4: decline (a block) or allow (null) the station's business from now on. */
  setNetworkBlock(stationId: string, block: NetworkBlock | null): void;
}
