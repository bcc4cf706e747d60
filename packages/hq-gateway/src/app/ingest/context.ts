// What the ingest steps share: the ports (PipelineDeps), the settings fixed at construction, the
// per-station state, the counters, and the few pipeline services a step may call (the open batch,
// scheduling a commit, background work, the downlink, stopping on a fatal error). Each step is a
// function or a small class in its own file that takes this context; the pipeline
// (app/ingest-pipeline.ts) builds it once.
import type { EventEmitter } from 'node:events';
import type { WithdrawalLimits } from '@bianmin/core-ledger';
import type { AuthRateLimit, AuthRateLimiter } from '../../domain/auth-rate-limit.js';
import type { StationBounds } from '../../domain/containment.js';
import type { HqFeeSchedule } from '../../domain/fee-check.js';
import type { LedgerMirror } from '../../domain/ledger-mirror.js';
import type { ProvenanceBook } from '../../domain/provenance.js';
import type { StationHoldExpiryBook } from '../../domain/station-hold-expiry.js';
import type { StatusReplayGuard } from '../../domain/station-status.js';
import type { StationEvent } from '../../domain/types.js';
import type { WithdrawalTally } from '../../domain/withdrawal-limits.js';
import type { BankCore } from '../../ports/bank-core.js';
import type { Clock, TimeSource } from '../../ports/clock.js';
import type { IntegrityStore } from '../../ports/integrity-store.js';
import type { Log } from '../../ports/log.js';
import type { Publisher } from '../../ports/publisher.js';
import type { RealityDeps } from '../../ports/reality.js';
import type { SignatureVerifier } from '../../ports/signature-verifier.js';
import type { IngestStore } from '../../ports/store.js';
import type { CardKeySecret } from '../card-key.js';
import type { HqKey } from '../seal-hq.js';
import type { Background } from './background.js';
import type { Batch } from './batch.js';
import type { PipelineCounters } from './counters.js';
import type { Downlink } from './downlink.js';
import type { HeldEvents } from './held-events.js';
import type { StationState } from './station-state.js';

export interface PipelineDeps {
  readonly store: IngestStore;
  readonly verifier: SignatureVerifier;
  readonly bank: BankCore;
  readonly publisher: Publisher;
  /** Time and timers; a bare time source gets the process's timers (ports/clock.ts). */
  readonly clock: Clock | TimeSource;
  readonly hqKey: HqKey;
  readonly ledger: LedgerMirror;
  readonly log: Log;
  /** The withdrawal fee the schedule in force sets (R5); default core-ledger's standard fee. */
  readonly withdrawalFeeFen?: number;
  /**
   * Check every event's own signature instead of one per run of hash-linked events
   * (domain/verify-plan.ts). Default false: a run is checked at its newest signature.
   */
  readonly verifyEverySignature?: boolean;
  /** R5 limits checked before the bank: the station config's (main.ts); default core-ledger's. */
  readonly withdrawalLimits?: WithdrawalLimits;
  /** Nothing heard from an online station for longer than this (ms) → offline, 'silence'. */
  readonly stationSilenceMsMax?: number;
  /** Keys the per-card tally key (HMAC); default derived from hqKey (docs/decisions/hq-card-key-hmac.md). */
  readonly cardKeySecret?: CardKeySecret;
  /** Grants, suspensions, provenance judgements, quarantine bounds (issue 8). */
  readonly integrity: IntegrityStore;
  /** What HQ itself recorded; the same book the ledger mirror judges with (main.ts). */
  readonly provenance: ProvenanceBook;
  /** Every fee schedule version (R6 history); default: one schedule with withdrawalFeeFen. */
  readonly feeSchedules?: readonly HqFeeSchedule[];
  /** Largest plausible kiosk clock skew (ms); default limits.ts clockSkewMsMaxDefault. */
  readonly clockSkewMsMax?: number;
  /**
   * A granted hold's life on HQ's clock (ms) for a station whose config HQ has not seen (every
   * other is judged by the value its own config carries: configSent); default stationDefaults'.
   */
  readonly holdExpiryMs?: number;
  /** Per-station bounds; default limits.ts (tests pass smaller ones). */
  readonly stationBounds?: StationBounds;
  /** Per-station authorisation request rate; default limits.ts (domain/auth-rate-limit.ts). */
  readonly authRateLimit?: AuthRateLimit;
  /** R8 账实相符 after closes and drawer counts (bank settlement, declared cash); absent: not checked. */
  readonly reality?: RealityDeps;
  /** Issue 13: stored OTA progress events go to the rollouts (app/rollout-wire.ts); absent: stored only. */
  readonly rollouts?: RolloutIngest;
  /**
   * Whether this gateway acts for the station now (NATS mode: its partition is owned and reloaded,
   * NatsLink.ownsStation); absent: every station (one gateway, MQTT). The silence sweep and the
   * resend requests skip the others.
   */
  readonly ownsStation?: (stationId: string) => boolean;
}

/** Takes one stored OTA_PROGRESS event into its rollout; never throws (refusals are logged). */
export interface RolloutIngest {
  ingest(event: StationEvent): Promise<void>;
}

export interface IngestSettings {
  readonly withdrawalFeeFen: number;
  readonly withdrawalLimits: WithdrawalLimits;
  readonly stationSilenceMsMax: number;
  readonly cardKeySecret: CardKeySecret;
  readonly verifyEverySignature: boolean;
  readonly feeSchedules: readonly HqFeeSchedule[];
  readonly clockSkewMsMax: number;
  readonly holdExpiryMs: number;
  readonly stationBounds: StationBounds;
}

export interface IngestContext {
  readonly store: IngestStore;
  readonly verifier: SignatureVerifier;
  readonly bank: BankCore;
  readonly ledger: LedgerMirror;
  readonly integrity: IntegrityStore;
  readonly provenance: ProvenanceBook;
  /** R8 账实相符 (app/ingest/reality.ts); undefined: not checked. */
  readonly reality: RealityDeps | undefined;
  /** Issue 13: where stored OTA progress goes; undefined: stored only. */
  readonly rollouts: RolloutIngest | undefined;
  /** Whether this gateway acts for the station now (PipelineDeps.ownsStation; default: yes). */
  readonly ownsStation: (stationId: string) => boolean;
  /** Births and deaths already seen (freshness). */
  readonly statusGuard: StatusReplayGuard;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: IngestSettings;
  readonly counters: PipelineCounters;
  readonly stations: Map<string, StationState>;
  readonly held: HeldEvents;
  /** Withdrawals HQ approved, per card and station day (R5 limits before the bank). */
  readonly tally: WithdrawalTally;
  /** Authorisation requests per station (issue 8: one station cannot flood the bank). */
  readonly authRate: AuthRateLimiter;
  /** The hold expiry HQ signed into each station's configs (issue 9: judged per station). */
  readonly holdExpiries: StationHoldExpiryBook;
  readonly background: Background;
  readonly downlink: Downlink;
  /** The pipeline itself: steps emit its events ('quarantined', 'status', 'authorised', …). */
  readonly events: EventEmitter;
  /** The batch being filled now (a new one after each seal). */
  openBatch(): Batch;
  /** The open batch has new rows: commit it when full or after batchDelayMsMax. */
  scheduleCommit(): void;
  /** Stop the pipeline: nothing more is taken in or stored. */
  die(error: unknown): void;
  /** True once die() was called. */
  dead(): boolean;
}
