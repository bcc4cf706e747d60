// How many of the NATS up stream's partitions each live gateway should own (issue 14, docs/
// decisions/hq-nats-partition-ownership.md). Pure: the membership comes in as the lock sessions'
// backend pids that PostgreSQL lists (adapters/nats/partition-locks.ts), so every gateway that
// reads the same membership computes the same split, with no message between gateways.
//
// The fair share is ceil(partitions / members): nobody owns more. It alone does not split the
// partitions: 4 partitions over 3 gateways at a cap of 2 could settle as 2 + 2 + 0. So each member
// gets a target: ranked by pid, member k of n owns ceil((partitions - k) / n), i.e. the first
// (partitions mod n) members own the fair share and the others one less. The targets sum to the
// partition count, each is <= the fair share, each is >= 1 when partitions >= members, and they
// move the fewest partitions when the membership changes: a member leaving never lowers a
// survivor's target (only the dead member's partitions move) and a member joining never raises an
// existing member's target (only the newcomer claims). Ranking by pid, not by session start: a
// non-superuser sees other roles' pids but not their backend_start in pg_stat_activity.
import { assert } from './assert.js';

/** ceil(partitions / members): no gateway owns more partitions than this. */
export function fairShare(partitions: number, members: number): number {
  assert(Number.isSafeInteger(partitions) && partitions >= 1, 'partitions >= 1');
  assert(Number.isSafeInteger(members) && members >= 1, 'members >= 1');
  const share = Math.ceil(partitions / members);
  assert(share * members >= partitions && share >= 1, 'the shares cover every partition');
  return share;
}

/**
 * The partitions member `self` should own among `members` (the live lock sessions' ids, any
 * order, no duplicates, `self` among them): ceil((partitions - rank) / count), rank = `self`'s
 * 0-based position in ascending id order.
 */
export function partitionTarget(partitions: number, members: readonly number[], self: number): number {
  const ranked = [...members].sort((a, b) => a - b);
  const rank = ranked.indexOf(self);
  assert(rank >= 0, 'self is a member');
  assert(new Set(ranked).size === ranked.length, 'members are distinct');
  const target = Math.max(0, Math.ceil((partitions - rank) / ranked.length));
  assert(target <= fairShare(partitions, ranked.length), 'a target never exceeds the fair share');
  return target;
}

/** What a gateway owning `owned` partitions does at its poll, given its target. */
export type ShareStep =
  | { readonly kind: 'claim'; readonly count: number }
  | { readonly kind: 'release' }
  | { readonly kind: 'hold' };

/**
 * Claim only below the target (up to it), release only above it, and one partition per poll:
 * between the two nothing moves, so a settled membership settles the ownership (no flapping).
 */
export function shareStep(owned: number, target: number): ShareStep {
  assert(Number.isSafeInteger(owned) && owned >= 0, 'owned >= 0');
  assert(Number.isSafeInteger(target) && target >= 0, 'target >= 0');
  if (owned > target) return { kind: 'release' };
  if (owned < target) return { kind: 'claim', count: target - owned };
  return { kind: 'hold' };
}
