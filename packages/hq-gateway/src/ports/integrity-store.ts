// The IntegrityStore port (issue 8): what HQ keeps to trust provenance rather than claims and to
// contain one station without hurting the others: the authorisations it granted, the stations it
// suspended, the provenance judgements recorded at ingest (a rebuild of the ledger mirror reuses
// them), the quarantine's bounds, and each station's alerts for `hq status`. SQLite implements it
// over the store's main connection (adapters/sqlite/integrity-store.ts).
import type { WithdrawalGrant } from '../domain/provenance.js';

export interface Suspension {
  readonly stationId: string;
  /** The code of the bound broken (HQ_SEQ_TOO_FAR_AHEAD, HQ_STATION_SUSPENDED, ...). */
  readonly reasonCode: string;
  readonly detail: string;
  readonly sinceMs: number;
}

/** Who lifted a suspension, when (HQ's clock) and why: kept with the suspension lifted. */
export interface Resumption {
  readonly resumedAtMs: number;
  readonly resumedBy: string;
  readonly reason: string;
}

/** A lifted suspension as recorded (`station_resumptions`). */
export interface ResumptionRecord extends Suspension, Resumption {}

/** What `hq status` shows per station beside its link state. */
export interface StationAlert {
  readonly stationId: string;
  readonly suspension: Suspension | null;
  readonly discrepancyCount: number;
  /** The newest discrepancy: its code and why. */
  readonly lastDiscrepancy: {
    readonly code: string;
    readonly detail: string;
    readonly foundAtMs: number;
  } | null;
}

export interface IntegrityStore {
  /** Durable before the APPROVED answer goes out (idempotent by request id). */
  recordGrant(grant: WithdrawalGrant): Promise<void>;
  /** Grants made at or after `grantedAtMsMin`, oldest first (restored at start-up). */
  grantsSince(grantedAtMsMin: number): Promise<WithdrawalGrant[]>;
  /** Event id -> provenance codes recorded for it at ingest (a mirror rebuild skips those events). */
  provenanceJudgements(stationId: string, codes: readonly string[]): Promise<Map<string, string[]>>;
  /** Idempotent: a station already suspended keeps its first reason. */
  suspend(suspension: Suspension): Promise<void>;
  /**
   * True when the station was suspended. With `resumption`, the lifted suspension and who, when
   * and why are recorded in the same transaction.
   */
  resume(stationId: string, resumption?: Resumption): Promise<boolean>;
  /** The suspensions lifted for this station, oldest first. */
  resumptions(stationId: string): Promise<ResumptionRecord[]>;
  suspensions(): Promise<Suspension[]>;
  /**
   * Keep at most `perStationMax` quarantine rows per station and `totalMax` in all, dropping the
   * oldest; returns how many were dropped now (also added to the stored running count).
   */
  pruneQuarantine(
    stationIds: readonly (string | null)[],
    perStationMax: number,
    totalMax: number,
  ): Promise<number>;
  /** Quarantine rows dropped by the bounds since the store was made. */
  quarantineDropped(): Promise<number>;
  stationAlerts(): Promise<StationAlert[]>;
}
