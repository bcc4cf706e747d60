// One ingest batch: the rows the in-order steps produce until the batch is sealed, then committed
// in one store transaction (app/ingest/commit.ts). Acks are computed when it is sealed.
import type {
  DiscrepancyRecord,
  GapRecord,
  QuarantineRecord,
  StationEvent,
  StationStatus,
} from '../../domain/types.js';
import type { IngestBatch } from '../../ports/store.js';
import type { AckDue } from './station-state.js';

export class Batch {
  readonly events: StationEvent[] = [];
  readonly quarantined: QuarantineRecord[] = [];
  readonly discrepancies: DiscrepancyRecord[] = [];
  readonly gapsOpened: GapRecord[] = [];
  readonly gapFills: Array<{ stationId: string; seq: number; atMs: number }> = [];
  readonly statuses = new Map<string, StationStatus>();
  /** Stations to (re-)acknowledge after the commit. */
  readonly touched = new Set<string>();
  readonly resendFrom = new Map<string, number>();
  readonly closes: StationEvent[] = [];
  readonly settlements: StationEvent[] = [];
  /** Drawer counts declared after a close (R8 账实相符): checked after the commit (reality.ts). */
  readonly cashDeclarations: StationEvent[] = [];
  /** Release-rollout progress reports (issue 13): fed to the rollouts after the commit. */
  readonly otaProgress: StationEvent[] = [];
  /** Filled when the batch is sealed: what each touched station's ack will say. */
  acks = new Map<string, AckDue>();
  /** The commit-failure count when sealed: a failure since then drops this batch. */
  failuresAtSeal = 0;

  get rowCount(): number {
    // Discrepancies count too: one found outside an event (a skewed authorisation request) must be stored.
    return this.events.length + this.quarantined.length + this.statuses.size + this.discrepancies.length;
  }

  get empty(): boolean {
    return this.rowCount === 0 && this.touched.size === 0;
  }

  /** The rows the store writes in one transaction. */
  rows(): IngestBatch {
    return {
      events: this.events,
      quarantined: this.quarantined,
      discrepancies: this.discrepancies,
      gapsOpened: this.gapsOpened,
      gapFills: this.gapFills,
      ackedSeqs: new Map([...this.acks].map(([stationId, ack]) => [stationId, ack.handledThroughSeq])),
      statuses: [...this.statuses.values()],
    };
  }
}
