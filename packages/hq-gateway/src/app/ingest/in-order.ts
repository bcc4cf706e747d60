// Step 3, in arrival order: items leave the queue only from its head and only once their
// signature verdict is in, so a station's events meet the sequence tracker and the ledger mirror
// in the order they were sent although their signatures are checked in parallel. For each ready
// slice (at most batchRowsMax) the bodies are opened and the event ids HQ may already hold are
// looked up in the store in one call; then each item is routed (route.ts) into the open batch.

import { PayloadType } from '@bianmin/wire';
import { CodecFailure, describe, openChecked } from '../../domain/codec/envelope.js';
import { batchRowsMax, ingestQueueMax } from '../../limits.js';
import type { StoredEventRef } from '../../ports/store.js';
import type { IngestContext } from './context.js';
import type { Item } from './intake.js';
import { route } from './route.js';

export class InOrderQueue {
  readonly #ctx: IngestContext;
  /** Called when a slice is done (the pipeline's idle check). */
  readonly #onSliceDone: () => void;
  #queue: Item[] = [];
  #pumping = false;
  #roomWaiters: Array<() => void> = [];

  constructor(ctx: IngestContext, onSliceDone: () => void) {
    this.#ctx = ctx;
    this.#onSliceDone = onSliceDone;
  }

  get length(): number {
    return this.#queue.length;
  }

  get busy(): boolean {
    return this.#pumping;
  }

  push(item: Item): void {
    this.#queue.push(item);
  }

  /** Resolves when the queue has room again (MQTT intake applies back-pressure with it). */
  waitForRoom(): Promise<void> {
    if (this.#queue.length < ingestQueueMax) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Take the ready head of the queue, if any, and process it. */
  pump(): void {
    if (this.#pumping || this.#ctx.dead()) return;
    const ready: Item[] = [];
    while (ready.length < batchRowsMax && this.#queue.length > ready.length) {
      const item = this.#queue[ready.length]!;
      if (item.verdict === undefined) break;
      ready.push(item);
    }
    if (ready.length === 0) return;
    this.#pumping = true;
    this.#queue.splice(0, ready.length);
    this.#process(ready).then(
      () => {
        this.#pumping = false;
        this.#wakeRoomWaiters();
        this.#onSliceDone();
        this.pump();
      },
      (error: unknown) => this.#ctx.die(error),
    );
  }

  async #process(ready: Item[]): Promise<void> {
    const held = this.#ctx.held;
    const eventIds: string[] = [];
    // In-flight at lookup time: their batch may commit (and leave `held`) during the lookup
    // below, so they are remembered here, or a resend would look like a reused seq.
    const inflight: StoredEventRef[] = [];
    for (const item of ready) {
      if (item.failure !== null || item.verdict !== true || item.parts === null || item.parsed === null)
        continue;
      try {
        item.opened = openChecked(item.parts, item.parsed, item.link?.decoded);
        if (item.parsed.channel === 'event') {
          const { eventId, stationId, seq } = item.opened.header;
          const heldSha256 = held.inflightSha256(eventId);
          if (heldSha256 === undefined) {
            if (held.mightBeStored(eventId)) eventIds.push(eventId);
          } else inflight.push({ eventId, stationId, seq, envelopeSha256: heldSha256 });
        }
      } catch (error) {
        item.failure =
          error instanceof CodecFailure
            ? { code: error.code, detail: error.message }
            : { code: 'HQ_BODY_DECODE_FAILED', detail: describe(error) };
      }
    }
    const stored =
      eventIds.length === 0 ? new Map<string, StoredEventRef>() : await this.#ctx.store.findEvents(eventIds);
    await this.#learnPurchases(ready);
    for (const ref of inflight) stored.set(ref.eventId, ref);
    for (const item of ready) route(this.#ctx, item, stored);
    this.#ctx.scheduleCommit();
  }

  /**
   * A QuotaPurchaseApplied naming a purchase the provenance book does not know yet: the purchase
   * may have been recorded by `hq quota purchase` in another process, so the station's purchases
   * are read from the store before the mirror judges the event (R3, issue 8).
   */
  async #learnPurchases(ready: readonly Item[]): Promise<void> {
    const stations = new Set<string>();
    for (const item of ready) {
      const opened = item.opened;
      if (item.failure !== null || opened === null) continue;
      if (opened.header.type !== PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED) continue;
      const purchaseId = String((opened.body as { purchaseId?: unknown }).purchaseId ?? '');
      if (!this.#ctx.provenance.hasPurchase(purchaseId)) stations.add(opened.header.stationId);
    }
    for (const stationId of stations) {
      for (const purchase of await this.#ctx.store.quotaPurchases(stationId))
        this.#ctx.provenance.purchaseRecorded(purchase);
    }
  }

  #wakeRoomWaiters(): void {
    if (this.#queue.length >= ingestQueueMax) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
