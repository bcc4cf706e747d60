// Station status from birth, death and telemetry, pure. Births and deaths carry a session counter
// (bdSeq, as Sparkplug B's NBIRTH/NDEATH): the last-will death registered by an older session can
// arrive after the station has already reconnected, so a death whose bdSeq is older than the
// current birth's is stale and ignored.
import type { PeripheralHealth, StationStatus } from './types.js';

export type StatusInput =
  | { readonly kind: 'birth'; readonly bdSeq: number; readonly atMs: number }
  | { readonly kind: 'death'; readonly bdSeq: number; readonly atMs: number }
  | {
      readonly kind: 'telemetry';
      readonly atMs: number;
      readonly peripherals: readonly PeripheralHealth[];
      readonly outboxDepth: number;
    }
  | { readonly kind: 'seen'; readonly atMs: number };

export type StatusOutcome = 'applied' | 'stale_death';

export function initialStatus(stationId: string): StationStatus {
  return { stationId, online: false, lastSeenMs: 0, bdSeq: -1, peripherals: [], outboxDepth: 0 };
}

export function applyStatus(
  status: StationStatus,
  input: StatusInput,
): { status: StationStatus; outcome: StatusOutcome } {
  if (!(Number.isSafeInteger(input.atMs) && input.atMs >= 0)) throw new Error('atMs must be a whole number');
  const lastSeenMs = Math.max(status.lastSeenMs, input.atMs);
  switch (input.kind) {
    case 'birth':
      assertBdSeq(input.bdSeq);
      return { status: { ...status, online: true, bdSeq: input.bdSeq, lastSeenMs }, outcome: 'applied' };
    case 'death':
      assertBdSeq(input.bdSeq);
      if (input.bdSeq < status.bdSeq) return { status, outcome: 'stale_death' };
      return { status: { ...status, online: false, bdSeq: input.bdSeq, lastSeenMs }, outcome: 'applied' };
    case 'telemetry':
      if (!(Number.isSafeInteger(input.outboxDepth) && input.outboxDepth >= 0)) {
        throw new Error('outboxDepth must be a whole number');
      }
      return {
        status: {
          ...status,
          online: true,
          peripherals: input.peripherals,
          outboxDepth: input.outboxDepth,
          lastSeenMs,
        },
        outcome: 'applied',
      };
    case 'seen':
      // An event proves the station was up when it was sent, not that it is online now (it may
      // come from the broker's queue after a death), so only lastSeenMs moves.
      return { status: { ...status, lastSeenMs }, outcome: 'applied' };
  }
}

function assertBdSeq(bdSeq: number): void {
  if (!(Number.isSafeInteger(bdSeq) && bdSeq >= 0)) throw new Error('bdSeq must be a whole number');
}
