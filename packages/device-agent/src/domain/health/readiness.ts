// Is the kiosk fit to start new business? (issue 9) Checked BEFORE the customer inserts a card or
// types a PIN, and listed with every other reason (R21): free space on the journal's file system
// against the configured reserve (a write that already failed counts as no space), and for
// withdrawals the clock (refused when it is known to be wrong beyond the allowed skew). Pure: the
// measurements come in, the reasons go out, in a fixed order (disk, memory (issue 13), then clock).
import type { RefusalReason } from '../../ports/operator.js';
import { type ClockVerdict, clockKnownWrong, describeOffset } from './clock-skew.js';

export interface ReadinessInput {
  /** Free bytes on the journal's file system; null when unknown (statfs failed). */
  readonly diskFreeBytes: number | null;
  /** Configured reserve (journal.diskReserveBytes). */
  readonly diskReserveBytes: number;
  /** The store's last write failure (SQLITE_FULL, I/O), null once a write succeeded again. */
  readonly storeWriteFault: { readonly sqliteCode: string } | null;
  readonly clock: ClockVerdict;
  /** Configured skew (station.clockSkewMsMax). */
  readonly clockSkewMsMax: number;
  /** Memory pressure (issue 13): the description when under pressure, null or absent when not. */
  readonly memoryPressure?: string | null;
}

export type BusinessKind = 'withdrawal' | 'quota-payment';

export function readinessReasons(input: ReadinessInput, business: BusinessKind): RefusalReason[] {
  if (!Number.isSafeInteger(input.diskReserveBytes) || input.diskReserveBytes < 0)
    throw new Error('assert: diskReserveBytes is a non-negative integer');
  const reasons: RefusalReason[] = [];
  const lowDisk = input.diskFreeBytes !== null && input.diskFreeBytes < input.diskReserveBytes;
  if (lowDisk || input.storeWriteFault !== null) {
    const free =
      input.diskFreeBytes === null ? 'unknown' : `${Math.floor(input.diskFreeBytes / 1024)} KiB free`;
    const fault =
      input.storeWriteFault === null
        ? ''
        : `; last journal write failed (${input.storeWriteFault.sqliteCode})`;
    reasons.push({
      code: 'AGENT_TX_DISK_LOW',
      message: `journal disk: ${free}, reserve ${Math.floor(input.diskReserveBytes / 1024)} KiB${fault}`,
    });
  }
  if (input.memoryPressure !== undefined && input.memoryPressure !== null) {
    reasons.push({ code: 'AGENT_TX_MEMORY_PRESSURE', message: `memory: ${input.memoryPressure}` });
  }
  if (business === 'withdrawal' && clockKnownWrong(input.clock, input.clockSkewMsMax)) {
    reasons.push({
      code: 'AGENT_TX_CLOCK_SKEW',
      message: `clock: ${describeOffset(input.clock)}, allowed ${input.clockSkewMsMax / 1000} s`,
    });
  }
  return reasons;
}

/** The codes a kiosk refuses all business with right now (telemetry, so HQ raises an alert). */
export function refusingCodes(input: ReadinessInput): string[] {
  return readinessReasons(input, 'withdrawal').map((reason) => reason.code);
}
