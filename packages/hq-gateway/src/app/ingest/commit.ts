// Step 6, batching and commit: the open batch is sealed at batchRowsMax rows or batchDelayMsMax
// after its first row (a Clock timer), its acks computed from the stations' trackers, and it is
// committed in one store transaction, one batch after the other. After the commit: ids are known
// stored, acks are handed to the coalescer, resends asked for new gaps, settlements and
// reconciliations started. A batch that does not commit is dropped (and every batch sealed behind
// it): its seqs are forgotten and its stations asked to resend. If the commit thread itself
// stopped, nothing can be stored any more: the pipeline stops.
import { describe } from '../../domain/codec/envelope.js';
import type { HqCode } from '../../errors.js';
import {
  batchDelayMsMax,
  batchRowsMax,
  quarantineRowsMax,
  quarantineRowsPerStationMax,
} from '../../limits.js';
import type { TimerHandle } from '../../ports/clock.js';
import type { AckCoalescer } from './acks.js';
import { codeOf } from './background.js';
import { Batch } from './batch.js';
import type { IngestContext } from './context.js';
import { checkRealityAfter } from './reality.js';
import { reconcile } from './reconciliation.js';
import { settle } from './settlement.js';

export class Committer {
  readonly #ctx: IngestContext;
  readonly #acks: AckCoalescer;
  /** Called when a commit ends, whatever its outcome (the pipeline's idle check). */
  readonly #onCommitDone: () => void;
  #batch = new Batch();
  #timer: TimerHandle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #failures = 0;

  constructor(ctx: IngestContext, acks: AckCoalescer, onCommitDone: () => void) {
    this.#ctx = ctx;
    this.#acks = acks;
    this.#onCommitDone = onCommitDone;
  }

  /** The batch being filled. */
  get open(): Batch {
    return this.#batch;
  }

  /** Commits sealed and not yet finished. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The open batch has new rows: seal it when full, else within batchDelayMsMax. */
  schedule(): void {
    if (this.#batch.empty) return;
    if (this.#batch.rowCount >= batchRowsMax) {
      this.seal();
      return;
    }
    if (this.#timer === undefined)
      this.#timer = this.#ctx.clock.setTimeout(() => this.seal(), batchDelayMsMax);
  }

  /** Seal the open batch (if it has anything) and queue its commit. */
  seal(): void {
    if (this.#timer !== undefined) {
      this.#ctx.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#batch;
    if (batch.empty) return;
    this.#batch = new Batch();
    for (const stationId of batch.touched) {
      const station = this.#ctx.stations.get(stationId);
      if (station === undefined) continue;
      batch.acks.set(stationId, {
        handledThroughSeq: station.tracker.ackedSeq,
        highestSeqReceived: station.tracker.highWaterSeq,
        refusals: station.refusals,
      });
      station.refusals = [];
    }
    batch.failuresAtSeal = this.#failures;
    this.#inFlight += 1;
    this.#chain = this.#chain
      .then(() => this.#commit(batch))
      .catch((error: unknown) => this.#ctx.die(error))
      .finally(() => {
        this.#inFlight -= 1;
        this.#onCommitDone();
      });
  }

  async #commit(batch: Batch): Promise<void> {
    if (!(await this.#store(batch))) return;
    this.#afterCommit(batch);
  }

  /** Store the batch in one transaction; false (batch dropped) when it did not commit. */
  async #store(batch: Batch): Promise<boolean> {
    if (batch.failuresAtSeal !== this.#failures) {
      this.#drop(batch, 'sealed behind a batch that did not commit', 'HQ_STORE_FAILED');
      return false;
    }
    try {
      await this.#ctx.store.commitBatch(batch.rows());
    } catch (error) {
      this.#failures += 1;
      if ((error as { code?: unknown }).code === 'HQ_COMMIT_THREAD_FAILED') {
        // Nothing can be stored any more: stop, rather than drop every batch and ask every
        // station to resend, forever (the kiosks keep their events until a new HQ run acks them).
        this.#ctx.die(error);
        return false;
      }
      this.#drop(batch, describe(error), codeOf(error));
      return false;
    }
    return true;
  }

  /**
   * A batch that did not commit: its event ids and seqs are forgotten (a resend is then accepted
   * again, not taken for a duplicate), its acks are never sent, and its stations are asked to
   * resend. Batches sealed behind it are dropped too: their acks were computed over its seqs.
   * Its events were applied to the ledger mirror already; core-ledger's idempotency (same id,
   * same content: first result) makes applying them again on the resend harmless.
   */
  #drop(batch: Batch, reason: string, code: HqCode): void {
    const ctx = this.#ctx;
    const seqsByStation = new Map<string, number[]>();
    const add = (stationId: string, seq: number): void => {
      const seqs = seqsByStation.get(stationId) ?? [];
      seqs.push(seq);
      seqsByStation.set(stationId, seqs);
    };
    for (const event of batch.events) {
      ctx.held.forget(event.eventId);
      add(event.stationId, event.seq);
    }
    for (const row of batch.quarantined) {
      if (row.stationId !== null && row.handledSeq !== null) add(row.stationId, row.handledSeq);
    }
    for (const [stationId, seqs] of seqsByStation) {
      const station = ctx.stations.get(stationId);
      if (station === undefined) continue;
      station.tracker.forget(seqs);
      ctx.background.fireAndForget(ctx.downlink.sendResend(stationId, station.tracker.ackedSeq + 1));
    }
    ctx.counters.batchesDropped += 1;
    ctx.log.error(
      { code, events: batch.events.length, error: reason },
      'batch not committed: dropped, resend asked',
    );
    ctx.events.emit('dropped', { events: batch.events.length, reason });
  }

  #afterCommit(batch: Batch): void {
    const ctx = this.#ctx;
    for (const event of batch.events) ctx.held.stored(event.eventId);
    ctx.counters.stored += batch.events.length;
    ctx.counters.batches += 1;
    this.#acks.add(batch.acks);
    for (const [stationId, fromSeq] of batch.resendFrom)
      ctx.background.fireAndForget(ctx.downlink.sendResend(stationId, fromSeq));
    for (const event of batch.settlements) settle(ctx, event);
    for (const event of batch.closes) ctx.background.track(reconcile(ctx, event));
    if (ctx.reality !== undefined && batch.closes.length + batch.cashDeclarations.length > 0) {
      // R8 账实相符, after the bank settlements started so far (this batch's included).
      const settled = ctx.background.settledNow();
      for (const event of [...batch.closes, ...batch.cashDeclarations])
        ctx.background.track(checkRealityAfter(ctx, event, settled));
    }
    if (batch.quarantined.length > 0) ctx.background.track(pruneQuarantine(ctx, batch));
    const rollouts = ctx.rollouts;
    if (rollouts !== undefined)
      for (const event of batch.otaProgress) ctx.background.track(rollouts.ingest(event));
    // R24: a stored CommandResult may answer a working-key command (app/working-key-check.ts listens).
    for (const event of batch.events)
      if (event.kind === 'COMMAND_RESULT') ctx.events.emit('command-result', event.stationId, event.detail);
    ctx.events.emit('committed', { events: batch.events.length, quarantined: batch.quarantined.length });
  }
}

/** Keep the quarantine within its bounds (issue 8): the oldest rows go, counted and logged. */
async function pruneQuarantine(ctx: IngestContext, batch: Batch): Promise<void> {
  const stationIds = batch.quarantined.map((row) => row.stationId);
  const dropped = await ctx.integrity.pruneQuarantine(
    stationIds,
    quarantineRowsPerStationMax,
    quarantineRowsMax,
  );
  if (dropped === 0) return;
  ctx.counters.quarantineDropped += dropped;
  ctx.log.warn({ code: 'HQ_QUARANTINE_DROPPED', dropped }, 'quarantine bound reached: oldest rows dropped');
}
