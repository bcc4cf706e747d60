// Time from HQ's clock (issue 9), pure. HQ decides business days, R5 daily limits and hold expiry
// on its own clock; a kiosk timestamp is the kiosk's claim. One implausibly far from HQ's receive
// time is recorded as a discrepancy (HQ_DISCREPANCY_CLOCK_SKEW) and logged as an alert. Journaled
// events may legitimately be old (a kiosk offline for a day sends its backlog later), so only an
// event stamped ahead of HQ is implausible; live messages (authorisation requests, births, deaths,
// telemetry) are sent when made, so both directions count.
import type { HqCode } from '../errors.js';
import { assert } from './assert.js';

export type TimestampKind = 'journaled' | 'live';

export interface SkewFinding {
  readonly code: Extract<HqCode, 'HQ_DISCREPANCY_CLOCK_SKEW'>;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
  /** Kiosk time minus HQ time (ms): positive when the kiosk runs ahead. */
  readonly skewMs: number;
}

export function clockSkewFinding(
  kind: TimestampKind,
  createdAtMs: number,
  receivedAtMs: number,
  skewMsMax: number,
): SkewFinding | null {
  if (!(Number.isSafeInteger(skewMsMax) && skewMsMax > 0)) throw new Error('skewMsMax must be > 0');
  if (!Number.isSafeInteger(createdAtMs) || !Number.isSafeInteger(receivedAtMs))
    throw new Error('instants are ms');
  const skewMs = createdAtMs - receivedAtMs;
  const implausible = kind === 'journaled' ? skewMs > skewMsMax : Math.abs(skewMs) > skewMsMax;
  if (!implausible) return null;
  assert(skewMs !== 0 && Math.abs(skewMs) > skewMsMax, 'an implausible skew is beyond skewMsMax');
  return {
    code: 'HQ_DISCREPANCY_CLOCK_SKEW',
    expected: `within ${skewMsMax} ms of HQ's ${new Date(receivedAtMs).toISOString()}`,
    actual: new Date(createdAtMs).toISOString(),
    detail: `kiosk clock ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewMs)} ms (${kind})`,
    skewMs,
  };
}
