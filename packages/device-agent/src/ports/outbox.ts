// The outbox port: signed events waiting for HQ's cumulative acknowledgement. Rows enter only
// through JournalPort.append (same commit as their journal row) and leave only through
// `acknowledgeThrough`, when HQ says it stored everything up to a seq.

export interface OutboxRow {
  readonly seq: number;
  readonly eventId: string;
  readonly payloadType: string;
  readonly envelopeBytes: Uint8Array;
}

export interface OutboxPort {
  /** Highest seq ever stored (0 when none). */
  headSeq(): number;
  /** Highest seq HQ acknowledged (0 when none). */
  ackedThroughSeq(): number;
  /** Rows with fromSeq <= seq <= toSeq, in seq order. */
  read(fromSeq: number, toSeq: number): OutboxRow[];
  /** Records HQ's ack and deletes rows with seq <= ackSeq, durably. Returns rows deleted. */
  acknowledgeThrough(ackSeq: number): number;
  /** Rows still waiting for an ack. */
  depth(): number;
}
