// What the pipeline keeps per enrolled station between messages: its sequence tracker (ack point
// and gaps), status, the refusals its next ack carries, the chain tip and the mirror ordering.
import type { ChainTip } from '../../domain/chain-link.js';
import { MirrorOrder } from '../../domain/mirror-order.js';
import { SeqTracker } from '../../domain/seq-tracker.js';
import { initialStatus } from '../../domain/station-status.js';
import type { StationRecord, StationStatus } from '../../domain/types.js';
import { mirrorPendingMax } from '../../limits.js';
import type { Suspension } from '../../ports/integrity-store.js';
import type { NetworkBlock } from '../../ports/running-stations.js';

/** A refused but handled seq, carried by the station's next ack (docs/protocol.md Ack). */
export interface Refusal {
  readonly seq: number;
  readonly eventId: string;
  /** v1.RefusalReason */
  readonly reason: number;
  readonly code: string;
  readonly detail: string;
}

/** What one station's ack says: cumulative ack point, highest seq seen, refusals. */
export interface AckDue {
  handledThroughSeq: number;
  highestSeqReceived: number;
  refusals: Refusal[];
}

export interface StationState {
  /** Replaced only by a re-enrolment after a key revocation (IngestPipeline.rekeyStation). */
  record: StationRecord;
  /** The verifier's reference of the station's key (its fingerprint). */
  keyRef: string;
  readonly tracker: SeqTracker;
  status: StationStatus;
  /** Refusals not yet sealed into an ack. */
  refusals: Refusal[];
  /** The newest stored event, for the chain-link check (domain/chain-link.ts). */
  chainTip: ChainTip | null;
  /** The order in which the ledger mirror takes the station's handled seqs. */
  readonly mirror: MirrorOrder;
  /** Set while the station is suspended (a per-station bound broken; persisted, issue 8). */
  suspension: Suspension | null;
  /** R4: set while the station's network lifecycle exists and is not open (its withdrawals declined). */
  networkBlock: NetworkBlock | null;
  /** Messages refused (quarantined) since the station's last resume or HQ's start. */
  refusalCount: number;
  /** Hardware refusal codes the kiosk's last telemetry listed (domain/kiosk-refusals.ts). */
  hardwareRefusals: readonly string[];
}

export function newStationState(
  record: StationRecord,
  ackedSeq: number,
  storedAbove: readonly number[],
  status: StationStatus | undefined,
): StationState {
  if (!(Number.isSafeInteger(ackedSeq) && ackedSeq >= 0)) throw new Error(`acked seq ${ackedSeq}`);
  return {
    record,
    keyRef: record.fingerprint,
    tracker: new SeqTracker(ackedSeq, storedAbove),
    status: status ?? initialStatus(record.stationId),
    refusals: [],
    chainTip: null,
    mirror: new MirrorOrder(ackedSeq + 1, mirrorPendingMax),
    suspension: null,
    networkBlock: null,
    refusalCount: 0,
    hardwareRefusals: [],
  };
}
