// Step 2, signature rounds: an item's signature is checked by the verifier (a worker pool) while
// later items arrive. Only journaled events chain: an authorisation request or a status message is
// checked at once (a customer waits on the first), as is every message when each signature is
// checked. Events are planned in rounds: a round starts once the previous round's checks are all
// answered and takes every event that arrived meanwhile. Under load a round holds many events per
// station, linked into runs (domain/verify-plan.ts) that one check each authenticates; when idle a
// round holds one message, checked at once. A verifier error is fatal.
import { planChains } from '../../domain/verify-plan.js';
import { verifyRunLengthMax } from '../../limits.js';
import type { IngestContext } from './context.js';
import type { Item } from './intake.js';

export class SignatureRounds {
  readonly #ctx: IngestContext;
  /** Called after each verdict: the in-order queue may move on. */
  readonly #onVerdict: () => void;
  /** Messages waiting for their signature check to be planned. */
  #unplanned: Item[] = [];
  #planScheduled = false;
  /** Checks of planned runs submitted and not yet answered: the next round waits for 0. */
  #plannedInFlight = 0;

  constructor(ctx: IngestContext, onVerdict: () => void) {
    this.#ctx = ctx;
    this.#onVerdict = onVerdict;
  }

  /** An item whose verdict is still undefined: check it now, or in the next round. */
  submit(item: Item): void {
    if (item.verdict !== undefined || item.station === null || item.parts === null)
      throw new Error('signature round: the item has no signature to check');
    if (item.link === null || this.#ctx.settings.verifyEverySignature) this.#check(item, []);
    else {
      this.#unplanned.push(item);
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#planScheduled || this.#plannedInFlight > 0 || this.#unplanned.length === 0) return;
    this.#planScheduled = true;
    this.#ctx.clock.defer(() => {
      this.#planScheduled = false;
      this.#plan();
    });
  }

  #plan(): void {
    if (this.#ctx.dead() || this.#plannedInFlight > 0) return;
    const items = this.#unplanned;
    this.#unplanned = [];
    const runs = planChains(
      items.map((item) => ({
        group: item.station,
        sha256: item.link?.sha256 ?? null,
        prev: item.link?.prev ?? null,
      })),
      verifyRunLengthMax,
    );
    for (const run of runs) {
      const head = items[run[run.length - 1]!]!;
      const linked = run.slice(0, -1).map((index) => items[index]!);
      this.#check(head, linked, true);
    }
  }

  /**
   * Check `head`'s signature; when it holds, `linked` (the events it links back to) are authentic
   * too. When it fails, each of `linked` is checked on its own. `planned`: part of a round, which
   * the next round waits for.
   */
  #check(head: Item, linked: readonly Item[], planned = false): void {
    const station = head.station!;
    const parts = head.parts!;
    if (planned) this.#plannedInFlight += 1;
    this.#ctx.counters.signatureChecks += 1;
    this.#ctx.verifier.submit(station.keyRef, parts.signed, parts.signature, (ok, error) => {
      if (planned) this.#plannedInFlight -= 1;
      if (error !== undefined) {
        this.#ctx.die(error);
        return;
      }
      head.verdict = ok;
      if (ok) {
        for (const item of linked) item.verdict = true;
        this.#ctx.counters.authenticatedByLink += linked.length;
      } else {
        for (const item of linked) this.#check(item, [], planned);
      }
      this.#onVerdict();
      this.#schedule();
    });
  }
}
