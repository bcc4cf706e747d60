// The journal writer: the one place the agent appends to its journal. Appends run one at a time
// (`serially`), so event seqs are contiguous although signing is asynchronous. One append = one
// durable commit of the journal row, its signed event (outbox) and its meta counters; only after
// the commit is the row folded into memory (`absorb`: every registered part sees it) and the
// link told there is something new. At start-up `replay` folds the whole journal the same way.
import type { LedgerCommand } from '@bianmin/core-ledger';
import { newEventId, PayloadType } from '@bianmin/wire';
import type { Logger } from 'pino';
import type { JournalRow } from '../domain/journal/chain.js';
import { signEnvelope, type WirePayload } from '../domain/tx/envelope.js';
import type { KioskLedger } from '../domain/tx/kiosk-ledger.js';
import { AgentError } from '../errors.js';
import type { ClockPort } from '../ports/clock.js';
import type { JournalPort } from '../ports/journal.js';
import type { Signer } from '../ports/signer.js';

/** A part of the agent that keeps state folded from journal rows. */
export type RowAbsorber = (row: JournalRow, payload: Record<string, unknown>, replaying: boolean) => void;

/** A ledger command carried by a row; `alreadyApplied` when the caller applied it before the append. */
export interface LedgerStep {
  readonly command: LedgerCommand;
  readonly alreadyApplied: boolean;
}

export interface JournalWriterOptions {
  readonly stationId: string;
  readonly keyId: string;
  readonly journal: JournalPort;
  readonly signer: Signer;
  readonly clock: ClockPort;
  readonly ledger: KioskLedger;
  readonly logger: Logger;
  /** Called after a row with an event was committed (the link publishes it). */
  readonly outboxChanged: () => void;
}

export class JournalWriter {
  readonly #o: JournalWriterOptions;
  readonly #absorbers: RowAbsorber[] = [];
  #writer: Promise<unknown> = Promise.resolve();

  constructor(options: JournalWriterOptions) {
    this.#o = options;
  }

  /** Registers a part that folds rows (in registration order). */
  onRow(absorber: RowAbsorber): void {
    this.#absorbers.push(absorber);
  }

  /** Start-up: folds every committed row and replays the ledger commands the rows carry. */
  replay(): void {
    this.#o.ledger.beginReplay();
    for (const row of this.#o.journal.rows(0)) this.#absorb(row, true);
    this.#o.ledger.endReplay();
  }

  /** Runs `work` after every earlier append finished: one writer, contiguous seqs. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writer.then(work, work);
    this.#writer = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every queued append has finished (stop). */
  drained(): Promise<void> {
    return this.#writer.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Signs a message that is not journaled (seq 0): status, authorisation request. */
  signUnjournaled(payload: WirePayload): Promise<Uint8Array> {
    const header = {
      stationId: this.#o.stationId,
      keyId: this.#o.keyId,
      seq: 0,
      eventId: newEventId(Date.now()),
      createdAtMs: this.#o.clock.nowMs(),
    };
    return signEnvelope(this.#o.signer, header, payload);
  }

  /**
   * Appends one journal row; with `wire`, also signs the event (next seq) and stores it in the
   * outbox in the same commit, then nudges the link. Must run inside `serially`.
   */
  async append(
    kind: string,
    txId: string,
    payload: Record<string, unknown>,
    wire?: WirePayload,
    metaUpdates?: Record<string, string>,
    ledger?: LedgerStep,
  ): Promise<JournalRow> {
    const journal = this.#o.journal;
    const createdAtMs = this.#o.clock.nowMs();
    if (ledger !== undefined) payload = { ...payload, ledger: ledger.command };
    let event: { seq: number; eventId: string; payloadType: string; envelopeBytes: Uint8Array } | undefined;
    if (wire !== undefined) {
      const seq = journal.nextEventSeq();
      // UUIDv7 on the wall clock (not the business clock, which tests may freeze): ids made later
      // sort later, so HQ's index on them grows at its right edge.
      const eventId = newEventId(Date.now());
      let envelopeBytes: Uint8Array;
      try {
        // Chained to the previous event's envelope (HQ then checks a run of events at its newest
        // signature, docs/protocol.md); none for seq 1 or after a journal from before chaining.
        const prev = seq > 1 ? journal.lastEventEnvelopeSha256() : null;
        const header = {
          stationId: this.#o.stationId,
          keyId: this.#o.keyId,
          seq,
          eventId,
          createdAtMs,
          ...(prev === null ? {} : { prevEnvelopeSha256: prev }),
        };
        envelopeBytes = await signEnvelope(this.#o.signer, header, wire);
      } catch (error) {
        throw new AgentError('AGENT_TX_SIGNER_UNAVAILABLE', 'the UK key could not sign the event', {
          cause: error,
        });
      }
      event = { seq, eventId, payloadType: String(PayloadType[wire.type]), envelopeBytes };
    }
    const row = journal.append({
      kind,
      txId,
      createdAtMs,
      payload,
      ...(event === undefined ? {} : { event }),
      ...(metaUpdates === undefined ? {} : { metaUpdates }),
    });
    this.#absorb(row, false);
    if (ledger !== undefined && !ledger.alreadyApplied) this.applyLedger(ledger.command);
    if (event !== undefined) this.#o.outboxChanged();
    return row;
  }

  /** Applies a ledger command for a step that already happened (bank answer, cash handed out). */
  applyLedger(command: LedgerCommand): void {
    const result = this.#o.ledger.apply(command);
    if (!result.ok) {
      this.#o.logger.warn(
        { code: result.code, reasons: result.reasons, id: command.id },
        'ledger refused a step that happened',
      );
    }
  }

  /** Folds one committed row into memory (at start-up and after each append). */
  #absorb(row: JournalRow, replaying: boolean): void {
    const payload = JSON.parse(row.payloadJson) as Record<string, unknown>;
    for (const absorber of this.#absorbers) absorber(row, payload, replaying);
    // Start-up replays the ledger commands the rows carry; live, the caller already applied them.
    if (replaying && payload.ledger !== undefined) {
      const result = this.#o.ledger.replay(payload.ledger as LedgerCommand);
      if (!result.ok)
        this.#o.logger.warn(
          { code: result.code, index: row.index },
          'journaled ledger command refused on replay',
        );
    }
  }
}
