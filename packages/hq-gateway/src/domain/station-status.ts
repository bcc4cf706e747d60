// Station status from birth, death and telemetry, pure. Births and deaths carry a session counter
// (bdSeq, as Sparkplug B's NBIRTH/NDEATH): the last-will death registered by an older session can
// arrive after the station has already reconnected, so a death whose bdSeq is older than the
// current birth's is stale and ignored.
// A kiosk whose link dies without its last will reaching HQ (a broker that lost the session, a
// network that swallows the TCP close) would otherwise stay "online" for ever, so a 'silence'
// input, given the clock, takes an online station offline when nothing (birth, telemetry, event)
// was heard from it for longer than the silence window (limits.ts stationSilenceMsMax).

import { assert } from './assert.js';
import type { PeripheralHealth, StationStatus } from './types.js';

export type StatusInput =
  | {
      readonly kind: 'birth';
      readonly bdSeq: number;
      readonly atMs: number;
      /** The kiosk's signed created_at_ms of the birth (freshness); absent: not checked. */
      readonly createdAtMs?: number;
    }
  | { readonly kind: 'death'; readonly bdSeq: number; readonly atMs: number }
  | {
      readonly kind: 'telemetry';
      readonly atMs: number;
      /** The session the telemetry belongs to; absent: not checked. */
      readonly bdSeq?: number;
      readonly peripherals: readonly PeripheralHealth[];
      readonly outboxDepth: number;
    }
  | { readonly kind: 'seen'; readonly atMs: number }
  /** The clock at `atMs`: offline if nothing was heard for more than `silenceMsMax`. */
  | { readonly kind: 'silence'; readonly atMs: number; readonly silenceMsMax: number };

/**
 * 'silenced': this input took the station offline; 'unchanged': a silence check that found it
 * heard; 'stale_death' / 'stale_birth': a death or birth that is not fresh (an older session, or
 * for a birth the current session again or an older signed time): ignored, status unchanged;
 * 'stale_telemetry': telemetry of another session than the current one, or of a session whose
 * death was seen (a replay must not bring a dead station back online).
 */
export type StatusOutcome =
  | 'applied'
  | 'stale_death'
  | 'stale_birth'
  | 'stale_telemetry'
  | 'silenced'
  | 'unchanged';

export function initialStatus(stationId: string): StationStatus {
  assert(stationId.length > 0, 'a status belongs to a station');
  return {
    stationId,
    online: false,
    offlineReason: null,
    lastSeenMs: 0,
    bdSeq: -1,
    peripherals: [],
    outboxDepth: 0,
  };
}

export function applyStatus(
  status: StationStatus,
  input: StatusInput,
): { status: StationStatus; outcome: StatusOutcome } {
  if (!(Number.isSafeInteger(input.atMs) && input.atMs >= 0)) throw new Error('atMs must be a whole number');
  const lastSeenMs = Math.max(status.lastSeenMs, input.atMs);
  switch (input.kind) {
    case 'birth': {
      assertBdSeq(input.bdSeq);
      // Freshness (issue 8): each connect takes a new, higher bdSeq, so a birth with the current
      // bdSeq or an older one is a replay (or a duplicate delivery): it must not bring a station
      // whose session died back online. A birth signed before the last applied one is a replay too.
      const birthCreatedAtMs = input.createdAtMs ?? 0;
      if (input.bdSeq <= status.bdSeq || birthCreatedAtMs < (status.birthCreatedAtMs ?? 0)) {
        return { status, outcome: 'stale_birth' };
      }
      assert(input.bdSeq > status.bdSeq, 'a birth is applied only for a newer session');
      return {
        status: {
          ...status,
          online: true,
          offlineReason: null,
          bdSeq: input.bdSeq,
          lastSeenMs,
          ...(input.createdAtMs === undefined ? {} : { birthCreatedAtMs }),
        },
        outcome: 'applied',
      };
    }
    case 'death':
      assertBdSeq(input.bdSeq);
      if (input.bdSeq < status.bdSeq) return { status, outcome: 'stale_death' };
      assert(input.bdSeq >= status.bdSeq, 'a death is applied only for the current or a newer session');
      return {
        status: { ...status, online: false, offlineReason: 'death', bdSeq: input.bdSeq, lastSeenMs },
        outcome: 'applied',
      };
    case 'telemetry':
      if (!(Number.isSafeInteger(input.outboxDepth) && input.outboxDepth >= 0)) {
        throw new Error('outboxDepth must be a whole number');
      }
      if (
        input.bdSeq !== undefined &&
        status.bdSeq >= 0 &&
        (input.bdSeq !== status.bdSeq || status.offlineReason === 'death')
      ) {
        return { status, outcome: 'stale_telemetry' };
      }
      return {
        status: {
          ...status,
          online: true,
          offlineReason: null,
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
    case 'silence':
      return applySilence(status, input.atMs, input.silenceMsMax);
  }
}

/** Offline by silence: only an online station, only when heard last more than silenceMsMax ago. */
function applySilence(
  status: StationStatus,
  atMs: number,
  silenceMsMax: number,
): { status: StationStatus; outcome: StatusOutcome } {
  if (!(Number.isSafeInteger(silenceMsMax) && silenceMsMax > 0)) {
    throw new Error('silenceMsMax must be a positive whole number');
  }
  // Nothing was heard at the clock's time, so lastSeenMs stays; a clock behind lastSeenMs (a
  // message stamped after the sweep read the clock) is simply not silent.
  if (!status.online || atMs - status.lastSeenMs <= silenceMsMax) return { status, outcome: 'unchanged' };
  assert(atMs > status.lastSeenMs, 'silence is only found after the station was last heard');
  return { status: { ...status, online: false, offlineReason: 'silence' }, outcome: 'silenced' };
}

function assertBdSeq(bdSeq: number): void {
  if (!(Number.isSafeInteger(bdSeq) && bdSeq >= 0)) throw new Error('bdSeq must be a whole number');
}

/**
 * Births and deaths already seen, per station, by envelope SHA-256 (issue 8: "a signature already
 * seen"): a replayed status envelope is recognised even when its bdSeq alone would pass. Bounded:
 * statusEnvelopesSeenPerStationMax per station, oldest forgotten first (the bdSeq rule still holds
 * for those).
 */
export class StatusReplayGuard {
  readonly #seen = new Map<string, Set<string>>();
  readonly #perStationMax: number;

  constructor(perStationMax: number) {
    assert(Number.isSafeInteger(perStationMax) && perStationMax > 0, 'perStationMax must be > 0');
    this.#perStationMax = perStationMax;
  }

  /** True when this station already sent these exact bytes; otherwise remembers them. */
  seenBefore(stationId: string, envelopeSha256Hex: string): boolean {
    let seen = this.#seen.get(stationId);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(stationId, seen);
    }
    if (seen.has(envelopeSha256Hex)) return true;
    if (seen.size >= this.#perStationMax) seen.delete(seen.values().next().value as string);
    seen.add(envelopeSha256Hex);
    assert(seen.has(envelopeSha256Hex), 'a seen envelope is remembered');
    assert(seen.size <= this.#perStationMax, 'seen envelopes stay within their bound');
    return false;
  }
}
