// When a kiosk renews its down subscriptions (issue 14), pure: time and jitter come in as
// arguments. On NATS MQTT every QoS 1 subscription is delivered through a JetStream consumer; at
// consumer_replicas 1 a consumer lives on one node, and when that node dies the kiosk's connection
// (on another node) stays up while the channel delivers nothing more, and a SUBSCRIBE on top of
// the existing subscription changes nothing. The kiosk cannot see that directly; it sees a silence
// where it expects an answer. So each down channel that answers something the kiosk sends (acks
// answer journaled events, auth-resp answers authorisation requests) has a watch: while the kiosk
// waits for that channel and hears nothing on it for the wait, the link unsubscribes and subscribes
// again (a fresh consumer). The waits double with jitter per renewal up to a cap (a refused
// SUBSCRIBE, which nats-server answers for ~50 s after a node loss, is retried on the same
// backoff), and a message on the channel starts over. The fleet simulator's kiosk uses the same
// waits (scripts/fleet/kiosk.ts).

import { assert, assertIntegerInRange } from '../assert.js';
import { backoffDelayMs } from './backoff.js';

const msMax = Number.MAX_SAFE_INTEGER;

export interface DownlinkStallPolicy {
  /** Ceiling of the first wait, ms; the wait is drawn in [ceiling/2, ceiling] (backoff.ts). */
  readonly stallMsInitial: number;
  /** Ceiling of every later wait, ms: doubling per renewal, never above this. */
  readonly stallMsMax: number;
}

/**
 * The silence (ms) to wait before the next renewal when `renewalCount` renewals were already made
 * in this silence: capped exponential backoff with jitter over the upper half (backoff.ts, one home
 * for the rule), so a fleet that lost the same node does not renew in the same millisecond.
 */
export function renewalWaitMs(policy: DownlinkStallPolicy, renewalCount: number, random01: number): number {
  assertIntegerInRange(renewalCount, 0, msMax - 1, 'renewalWaitMs renewalCount');
  const waitMs = backoffDelayMs(
    { backoffMsInitial: policy.stallMsInitial, backoffMsMax: policy.stallMsMax },
    renewalCount + 1,
    random01,
  );
  assertIntegerInRange(waitMs, Math.floor(policy.stallMsInitial / 2), policy.stallMsMax, 'renewalWaitMs');
  return waitMs;
}

export interface DownlinkWatch {
  /** Since when the kiosk waits for this channel with nothing heard on it; null: nothing awaited. */
  readonly waitingSinceMs: number | null;
  /** The current silence's wait before a renewal, ms (drawn when the silence began). */
  readonly waitMs: number;
  /** Renewals since the channel last delivered a message (or since the connection began). */
  readonly renewalCount: number;
}

/** A fresh connection's watch: nothing awaited, no renewal made. */
export const IDLE_WATCH: DownlinkWatch = { waitingSinceMs: null, waitMs: 0, renewalCount: 0 };

function assertWatch(watch: DownlinkWatch): void {
  assertIntegerInRange(watch.renewalCount, 0, msMax, 'watch renewalCount');
  assertIntegerInRange(watch.waitMs, 0, msMax, 'watch waitMs');
  if (watch.waitingSinceMs !== null) {
    assertIntegerInRange(watch.waitingSinceMs, 0, msMax, 'watch waitingSinceMs');
    assert(watch.waitMs >= 1, 'watch: a waiting watch has a wait');
  }
}

/**
 * Whether the kiosk now waits for an answer on the channel (events unacknowledged, an authorisation
 * request unanswered). A silence starts when waiting starts, not at the last message: a kiosk idle
 * for an hour does not renew the moment it sends its next event.
 */
export function noteAwaiting(
  policy: DownlinkStallPolicy,
  watch: DownlinkWatch,
  awaiting: boolean,
  nowMs: number,
  random01: number,
): DownlinkWatch {
  assertWatch(watch);
  assertIntegerInRange(nowMs, 0, msMax, 'noteAwaiting nowMs');
  if (!awaiting) return watch.waitingSinceMs === null ? watch : { ...watch, waitingSinceMs: null };
  if (watch.waitingSinceMs !== null) return watch;
  const waiting = {
    ...watch,
    waitingSinceMs: nowMs,
    waitMs: renewalWaitMs(policy, watch.renewalCount, random01),
  };
  assertWatch(waiting);
  return waiting;
}

/** A message arrived on the channel: it works. The backoff starts over; a new silence if still awaiting. */
export function noteHeard(
  policy: DownlinkStallPolicy,
  watch: DownlinkWatch,
  awaiting: boolean,
  nowMs: number,
  random01: number,
): DownlinkWatch {
  assertWatch(watch);
  const heard = noteAwaiting(policy, IDLE_WATCH, awaiting, nowMs, random01);
  assert(heard.renewalCount === 0, 'noteHeard: the backoff starts over');
  return heard;
}

/** When the channel is due for a renewal, or null when nothing is awaited. */
export function renewDueAtMs(watch: DownlinkWatch): number | null {
  assertWatch(watch);
  if (watch.waitingSinceMs === null) return null;
  return watch.waitingSinceMs + watch.waitMs;
}

/**
 * A renewal was made (granted or refused): a waiting channel waits again, for the next, longer
 * wait. A channel that awaits nothing is left as it is (the renewal renewed it too, harmlessly).
 */
export function noteRenewed(
  policy: DownlinkStallPolicy,
  watch: DownlinkWatch,
  nowMs: number,
  random01: number,
): DownlinkWatch {
  assertWatch(watch);
  assertIntegerInRange(nowMs, 0, msMax, 'noteRenewed nowMs');
  if (watch.waitingSinceMs === null) return watch;
  const renewalCount = watch.renewalCount + 1;
  const renewed = {
    waitingSinceMs: nowMs,
    waitMs: renewalWaitMs(policy, renewalCount, random01),
    renewalCount,
  };
  assertWatch(renewed);
  return renewed;
}
