// Request/response state of the host side of a link, pure: no timers, time comes in as `nowMs`.
// Each request gets a sequence number 00–7F not already in flight; the device answers with the same
// number. A request is retransmitted (same seq, same line) on NAK or when neither an answer nor BUSY
// came within the acknowledgement time, at most `attemptsMax` transmissions. BUSY means "working on
// it": no more retransmissions, only the command deadline counts. The adapter owns the timers and
// calls `tick(nowMs)` at `nextDueMs()`.

import type { AgentErrorCode } from '../../errors.js';
import { assert, assertIntegerInRange } from '../assert.js';
import { encodeFrame, type Frame, seqHostMax, seqMax } from './frame.js';

const msMax = Number.MAX_SAFE_INTEGER;

export interface RequestTableOptions {
  readonly inFlightCountMax: number;
  readonly attemptsMax: number;
  readonly ackTimeoutMs: number;
}

export interface PendingRequest {
  readonly seq: number;
  readonly command: string;
  readonly line: string;
  attemptCount: number;
  busy: boolean;
  ackDeadlineMs: number;
  readonly deadlineMs: number;
}

export type FrameOutcome =
  | { kind: 'settled'; seq: number; frame: Frame } // final answer (the command's own name or ERROR)
  | { kind: 'failed'; seq: number; code: AgentErrorCode; reason: string }
  | { kind: 'resend'; seq: number; line: string } // NAK: transmit the same line again
  | { kind: 'busy'; seq: number }
  | { kind: 'event'; frame: Frame } // a frame the device started (seq 80–FF)
  | { kind: 'stale'; seq: number }; // an answer for nothing in flight (late duplicate): ignore

export type TickAction =
  | { kind: 'resend'; seq: number; line: string }
  | { kind: 'failed'; seq: number; code: AgentErrorCode; reason: string };

export class RequestTable {
  readonly #options: RequestTableOptions;
  readonly #pending = new Map<number, PendingRequest>();
  #nextSeq = 0;

  constructor(options: RequestTableOptions) {
    if (options.inFlightCountMax < 1 || options.inFlightCountMax > seqHostMax)
      throw new RangeError('inFlightCountMax');
    if (options.attemptsMax < 1) throw new RangeError('attemptsMax must be >= 1');
    if (!(options.ackTimeoutMs > 0)) throw new RangeError('ackTimeoutMs must be > 0');
    // The options are the driver's (code, not config): whole counts and whole milliseconds.
    assertIntegerInRange(options.inFlightCountMax, 1, seqHostMax, 'inFlightCountMax');
    assertIntegerInRange(options.attemptsMax, 1, msMax, 'attemptsMax');
    assertIntegerInRange(options.ackTimeoutMs, 1, msMax, 'ackTimeoutMs');
    this.#options = options;
  }

  get inFlightCount(): number {
    return this.#pending.size;
  }

  hasCapacity(): boolean {
    assert(this.#pending.size <= this.#options.inFlightCountMax, 'RequestTable: more in flight than the max');
    return this.#pending.size < this.#options.inFlightCountMax;
  }

  /** Opens a request; returns its seq and the line to transmit now. Asserts capacity. */
  open(
    command: string,
    fields: Readonly<Record<string, string>>,
    nowMs: number,
    timeoutMs: number,
  ): PendingRequest {
    assert(this.hasCapacity(), 'RequestTable.open without capacity');
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    assertIntegerInRange(nowMs, 0, msMax, 'RequestTable.open nowMs');
    assertIntegerInRange(timeoutMs, 1, msMax, 'RequestTable.open timeoutMs');
    // Ends: with capacity at most inFlightCountMax - 1 <= 126 of the 128 host seqs are taken.
    let seq = this.#nextSeq;
    while (this.#pending.has(seq)) seq = (seq + 1) % (seqHostMax + 1);
    assertIntegerInRange(seq, 0, seqHostMax, 'RequestTable.open seq');
    this.#nextSeq = (seq + 1) % (seqHostMax + 1);
    const pending: PendingRequest = {
      seq,
      command,
      line: encodeFrame(seq, command, fields),
      attemptCount: 1,
      busy: false,
      ackDeadlineMs: nowMs + this.#options.ackTimeoutMs,
      deadlineMs: nowMs + timeoutMs,
    };
    this.#pending.set(seq, pending);
    assert(this.#pending.size <= this.#options.inFlightCountMax, 'RequestTable.open: table above its max');
    return pending;
  }

  /** Classifies a well-formed frame received from the device. */
  onFrame(frame: Frame, nowMs: number): FrameOutcome {
    // The frame is the device's, but decodeFrame already bounded its seq to two hex digits.
    assertIntegerInRange(frame.seq, 0, seqMax, 'RequestTable.onFrame seq');
    assertIntegerInRange(nowMs, 0, msMax, 'RequestTable.onFrame nowMs');
    if (frame.seq > seqHostMax) return { kind: 'event', frame };
    const pending = this.#pending.get(frame.seq);
    if (pending === undefined) return { kind: 'stale', seq: frame.seq };
    if (frame.command === 'NAK') return this.#retransmit(pending, nowMs, 'NAK');
    if (frame.command === 'BUSY') {
      pending.busy = true;
      return { kind: 'busy', seq: pending.seq };
    }
    this.#pending.delete(pending.seq);
    if (frame.command === pending.command || frame.command === 'ERROR') {
      return { kind: 'settled', seq: pending.seq, frame };
    }
    return {
      kind: 'failed',
      seq: pending.seq,
      code: 'AGENT_SERIAL_BAD_RESPONSE',
      reason: `answer ${frame.command} to ${pending.command}`,
    };
  }

  /** Retransmissions and failures due at `nowMs`. */
  tick(nowMs: number): TickAction[] {
    assertIntegerInRange(nowMs, 0, msMax, 'RequestTable.tick nowMs');
    const inFlightCountBefore = this.#pending.size;
    const actions: TickAction[] = [];
    for (const pending of [...this.#pending.values()]) {
      if (nowMs >= pending.deadlineMs) {
        this.#pending.delete(pending.seq);
        actions.push({
          kind: 'failed',
          seq: pending.seq,
          code: 'AGENT_SERIAL_TIMEOUT',
          reason: pending.command,
        });
      } else if (!pending.busy && nowMs >= pending.ackDeadlineMs) {
        const outcome = this.#retransmit(pending, nowMs, 'no answer');
        if (outcome.kind === 'resend' || outcome.kind === 'failed') actions.push(outcome);
      }
    }
    // At most one action per request that was in flight; only failures leave the table.
    assert(actions.length <= inFlightCountBefore, 'RequestTable.tick: more actions than requests');
    return actions;
  }

  /** The earliest time something is due, or undefined when nothing is in flight. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const pending of this.#pending.values()) {
      const at = pending.busy ? pending.deadlineMs : Math.min(pending.deadlineMs, pending.ackDeadlineMs);
      due = due === undefined ? at : Math.min(due, at);
    }
    assert((due === undefined) === (this.#pending.size === 0), 'nextDueMs: due time iff in flight');
    return due;
  }

  /**
   * Starts numbering again at 00 for a new session (after OPEN, docs/serial-protocol.md §2): a
   * session's numbers are fresh because the device forgot the last one's. Asserts nothing is in flight.
   */
  restartSequence(): void {
    assert(this.#pending.size === 0, 'RequestTable.restartSequence with requests in flight');
    this.#nextSeq = 0;
  }

  /** Forgets one request (the caller gave up on it). */
  drop(seq: number): void {
    assertIntegerInRange(seq, 0, seqHostMax, 'RequestTable.drop seq');
    this.#pending.delete(seq);
  }

  /** Removes every request and returns their seqs (link lost or stopped). */
  clear(): number[] {
    const seqs = [...this.#pending.keys()];
    assert(seqs.length <= this.#options.inFlightCountMax, 'RequestTable.clear: table above its max');
    this.#pending.clear();
    return seqs;
  }

  #retransmit(pending: PendingRequest, nowMs: number, why: string): FrameOutcome {
    assertIntegerInRange(pending.attemptCount, 1, this.#options.attemptsMax, 'attemptCount');
    if (pending.attemptCount >= this.#options.attemptsMax) {
      this.#pending.delete(pending.seq);
      return {
        kind: 'failed',
        seq: pending.seq,
        code: 'AGENT_SERIAL_RETRIES_EXHAUSTED',
        reason: `${pending.command}: ${why} after ${pending.attemptCount} transmissions`,
      };
    }
    pending.attemptCount += 1;
    assert(pending.attemptCount <= this.#options.attemptsMax, 'RequestTable: more transmissions than max');
    pending.ackDeadlineMs = nowMs + this.#options.ackTimeoutMs;
    return { kind: 'resend', seq: pending.seq, line: pending.line };
  }
}
