// The kiosk's clock against HQ's (issue 9, kiosk side). Each HQ-signed answer to something the
// kiosk sent bounds the offset (kiosk clock − HQ clock): HQ stamped it (header created_at_ms,
// HQ's clock) after the kiosk's message left and before the answer arrived, so
//   offset ∈ [sentAtMs − hqAtMs, receivedAtMs − hqAtMs]   (both kiosk-clock readings).
// An ack gives such a pair (sent = the acked event's created_at_ms), so does an authorisation
// answer (sent = the request's). The estimate intersects the recent intervals, newest first; an
// older interval that no longer overlaps means the clock jumped since, and is dropped. The clock
// is KNOWN wrong only when the whole interval lies beyond the allowed skew: a slow network widens
// the interval and can never make a good clock look wrong. MQTT 3.1.1 carries no broker time, so
// the broker cannot be asked. Pure: samples in, verdict out.
import { clockSampleAgeMsMax, clockSampleCountMax } from '../../limits.js';

export interface ClockSample {
  /** Kiosk clock when the kiosk's message was made (its created_at_ms). */
  readonly sentAtMs: number;
  /** HQ clock when HQ made its answer (the HQ envelope's created_at_ms). */
  readonly hqAtMs: number;
  /** Kiosk clock when the answer arrived. */
  readonly receivedAtMs: number;
}

export type ClockVerdict =
  | { readonly kind: 'unknown' }
  | {
      readonly kind: 'measured';
      /** Bounds of (kiosk clock − HQ clock), ms. */
      readonly offsetMsLow: number;
      readonly offsetMsHigh: number;
      /** Kiosk clock at the newest sample used. */
      readonly measuredAtMs: number;
      readonly sampleCount: number;
    };

export interface ClockSamples {
  readonly samples: readonly ClockSample[];
}

export function emptyClockSamples(): ClockSamples {
  return { samples: [] };
}

/** Adds one sample (newest last), keeping at most clockSampleCountMax. Ignores impossible ones. */
export function addClockSample(state: ClockSamples, sample: ClockSample): ClockSamples {
  const finite = [sample.sentAtMs, sample.hqAtMs, sample.receivedAtMs].every(Number.isSafeInteger);
  if (!finite || sample.hqAtMs <= 0 || sample.receivedAtMs < sample.sentAtMs) return state;
  const samples = [...state.samples, sample].slice(-clockSampleCountMax);
  if (samples.length > clockSampleCountMax) throw new Error('assert: clock samples bounded');
  return { samples };
}

/** The offset interval from the recent samples, newest first, up to the first that disagrees. */
export function clockVerdict(state: ClockSamples, nowMs: number): ClockVerdict {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let used = 0;
  let measuredAtMs = 0;
  for (let index = state.samples.length - 1; index >= 0; index -= 1) {
    const sample = state.samples[index]!;
    // Ages are measured on the kiosk clock; a sample "from the future" is from before a jump back.
    if (nowMs - sample.receivedAtMs > clockSampleAgeMsMax || sample.receivedAtMs > nowMs) break;
    const sampleLow = sample.sentAtMs - sample.hqAtMs;
    const sampleHigh = sample.receivedAtMs - sample.hqAtMs;
    if (sampleLow > high || sampleHigh < low) break; // the clock jumped between this sample and the newer ones
    low = Math.max(low, sampleLow);
    high = Math.min(high, sampleHigh);
    if (used === 0) measuredAtMs = sample.receivedAtMs;
    used += 1;
  }
  if (used === 0) return { kind: 'unknown' };
  if (!(low <= high)) throw new Error('assert: the offset interval is not empty');
  return { kind: 'measured', offsetMsLow: low, offsetMsHigh: high, measuredAtMs, sampleCount: used };
}

/** Is the clock known to be off by more than skewMsMax (the whole interval beyond it)? */
export function clockKnownWrong(verdict: ClockVerdict, skewMsMax: number): boolean {
  if (!Number.isSafeInteger(skewMsMax) || skewMsMax <= 0) throw new Error('assert: skewMsMax > 0');
  if (verdict.kind === 'unknown') return false;
  return verdict.offsetMsLow > skewMsMax || verdict.offsetMsHigh < -skewMsMax;
}

/** Human text for logs, doctor and docs: "kiosk ahead of HQ by 86400.0..86400.2 s". */
export function describeOffset(verdict: ClockVerdict): string {
  if (verdict.kind === 'unknown') return 'not measured yet (no HQ answer since start-up)';
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  if (verdict.offsetMsLow >= 0)
    return `kiosk ahead of HQ by ${seconds(verdict.offsetMsLow)}..${seconds(verdict.offsetMsHigh)} s`;
  if (verdict.offsetMsHigh <= 0)
    return `kiosk behind HQ by ${seconds(-verdict.offsetMsHigh)}..${seconds(-verdict.offsetMsLow)} s`;
  return `kiosk within ${seconds(Math.max(-verdict.offsetMsLow, verdict.offsetMsHigh))} s of HQ`;
}

/** Sealed meta key where the agent keeps its last measurement, for `kiosk doctor`. */
export const META_CLOCK_OFFSET = 'clock_offset';

/** The stored form of a measured verdict (JSON, integers only). */
export function encodeClockVerdict(verdict: ClockVerdict & { kind: 'measured' }): string {
  return JSON.stringify({
    offsetMsLow: verdict.offsetMsLow,
    offsetMsHigh: verdict.offsetMsHigh,
    measuredAtMs: verdict.measuredAtMs,
    sampleCount: verdict.sampleCount,
  });
}

/** Parses what encodeClockVerdict stored; null when absent or not in that shape. */
export function decodeClockVerdict(text: string | null): (ClockVerdict & { kind: 'measured' }) | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const value = parsed as Record<string, unknown>;
  const fields = ['offsetMsLow', 'offsetMsHigh', 'measuredAtMs', 'sampleCount'] as const;
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    !fields.every((key) => Number.isSafeInteger(value[key]))
  )
    return null;
  if ((value.offsetMsLow as number) > (value.offsetMsHigh as number)) return null;
  return {
    kind: 'measured',
    offsetMsLow: value.offsetMsLow as number,
    offsetMsHigh: value.offsetMsHigh as number,
    measuredAtMs: value.measuredAtMs as number,
    sampleCount: value.sampleCount as number,
  };
}
