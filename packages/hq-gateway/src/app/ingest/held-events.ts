// Which event ids HQ holds: those in a batch not yet committed (with their envelope SHA-256) and,
// as a Bloom filter, every stored one, so the store is asked only about ids it may hold.
import { EventIdFilter } from '../../domain/event-id-filter.js';

export class HeldEvents {
  /** Event ids accepted into a batch that is not yet committed -> their envelope SHA-256. */
  readonly #inflight = new Map<string, string>();
  readonly #stored = new EventIdFilter();

  /** The envelope SHA-256 of an in-flight event id, if any. */
  inflightSha256(eventId: string): string | undefined {
    return this.#inflight.get(eventId);
  }

  /** False: certainly not stored. True: maybe (ask the store). */
  mightBeStored(eventId: string): boolean {
    return this.#stored.mightContain(eventId);
  }

  /** Accepted into an open batch. */
  hold(eventId: string, envelopeSha256: string): void {
    this.#inflight.set(eventId, envelopeSha256);
  }

  /** Its batch committed (or it was loaded from the store at start). */
  stored(eventId: string): void {
    this.#stored.add(eventId);
    this.#inflight.delete(eventId);
  }

  /** Its batch did not commit: a resend is accepted again. */
  forget(eventId: string): void {
    this.#inflight.delete(eventId);
  }
}
