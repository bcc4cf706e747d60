// Step 8, acks: committed ack points are coalesced per station over ackDelayMsMax (cumulative: the
// newest ack point wins, refusals are concatenated), so under load a station gets one signed ack
// per interval rather than one per batch. An ack never covers an event HQ could still lose: only
// committed batches hand their acks here (commit.ts).
import { PayloadType } from '@bianmin/wire';
import { ackDelayMsMax } from '../../limits.js';
import type { TimerHandle } from '../../ports/clock.js';
import type { IngestContext } from './context.js';
import type { AckDue } from './station-state.js';

export class AckCoalescer {
  readonly #ctx: IngestContext;
  readonly #onSent: () => void;
  /** Committed acks not yet published, per station. */
  #due = new Map<string, AckDue>();
  #timer: TimerHandle | undefined;

  /** `onSent`: called after each round of acks is handed to the publisher (idle check). */
  constructor(ctx: IngestContext, onSent: () => void) {
    this.#ctx = ctx;
    this.#onSent = onSent;
  }

  /** Stations with an ack waiting. */
  get size(): number {
    return this.#due.size;
  }

  /** A committed batch's acks: merged with those waiting; sent within ackDelayMsMax. */
  add(acks: ReadonlyMap<string, AckDue>): void {
    for (const [stationId, ack] of acks) {
      const due = this.#due.get(stationId);
      if (due === undefined) {
        this.#due.set(stationId, ack);
        continue;
      }
      // Cumulative: the newer ack point covers the older; refusals are listed once each.
      due.handledThroughSeq = Math.max(due.handledThroughSeq, ack.handledThroughSeq);
      due.highestSeqReceived = Math.max(due.highestSeqReceived, ack.highestSeqReceived);
      for (const refusal of ack.refusals) due.refusals.push(refusal);
    }
    if (this.#due.size > 0 && this.#timer === undefined) {
      this.#timer = this.#ctx.clock.setTimeout(() => this.sendDue(), ackDelayMsMax);
    }
  }

  /**
   * Publish the acks waiting. Not awaited: a publish can stay pending across a broker restart,
   * and the commit chain must not wait for it. Acks are cumulative and idempotent, so a lost one
   * is repaired by the next ack (or a birth).
   */
  sendDue(): void {
    if (this.#timer !== undefined) {
      this.#ctx.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#due.size === 0) return;
    const acks = this.#due;
    this.#due = new Map();
    const nowMs = this.#ctx.clock.nowMs();
    for (const [stationId, ack] of acks) {
      if (!(Number.isSafeInteger(ack.handledThroughSeq) && ack.handledThroughSeq >= 0))
        throw new Error(`ack of ${stationId}: handled-through seq ${ack.handledThroughSeq}`);
      this.#ctx.background.fireAndForget(
        this.#ctx.downlink
          .send(stationId, 'ack', PayloadType.PAYLOAD_TYPE_ACK, {
            handledThroughSeq: ack.handledThroughSeq,
            highestSeqReceived: ack.highestSeqReceived,
            refusals: ack.refusals,
            ackedAtMs: nowMs,
          })
          .then(() => {
            this.#ctx.counters.acksSent += 1;
          }),
      );
    }
    this.#onSent();
  }
}
