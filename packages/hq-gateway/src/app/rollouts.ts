// Release rollouts on HQ's append-only operations log (issue 13): each rollout is the aggregate
// 'rollout:<id>'; each accepted command is ONE record whose payload holds every event it caused
// (the operator's step plus any group started, stop or finish it triggered), with who, when and
// why. A refused command writes nothing and returns every reason (R21). Only the OperationsStore
// port is used, so the same code runs on the memory, SQLite and PostgreSQL adapters.
//
// Kiosk progress reaches reportProgress() from HQ's verified-message path; sweep() runs on HQ's
// Clock (a fake one in tests) and marks stations that outlived stationTimeoutMs as failed.

import {
  decideRollout,
  foldRollout,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutReason,
  type RolloutSpec,
  type RolloutState,
  type StationProgress,
} from '../domain/rollout/rollout.js';
import { HqError } from '../errors.js';
import { rolloutIdBytesMax, rolloutStationsMax } from '../limits.js';
import type { Clock } from '../ports/clock.js';
import type { OperationRecord, OperationsStore } from '../ports/operations-store.js';

export interface RolloutDeps {
  readonly store: OperationsStore;
  readonly clock: Pick<Clock, 'nowMs'>;
}

export type RolloutResult =
  | { readonly ok: true; readonly state: RolloutState; readonly events: readonly RolloutEvent[] }
  | { readonly ok: false; readonly reasons: readonly RolloutReason[] };

const limits = { stationsMax: rolloutStationsMax, idBytesMax: rolloutIdBytesMax };
const systemActor = 'system:rollout';

export function rolloutAggregateId(rolloutId: string): string {
  return `rollout:${rolloutId}`;
}

function eventsOf(records: readonly OperationRecord[]): RolloutEvent[] {
  return records.flatMap((record) => record.payload.events as RolloutEvent[]);
}

export async function readRollout(deps: RolloutDeps, rolloutId: string): Promise<RolloutState | undefined> {
  return foldRollout(eventsOf(await deps.store.read(rolloutAggregateId(rolloutId))));
}

/** The recorded history: one line per record (who, when, why, what). */
export async function rolloutHistory(
  deps: RolloutDeps,
  rolloutId: string,
): Promise<readonly OperationRecord[]> {
  return deps.store.read(rolloutAggregateId(rolloutId));
}

async function step(
  deps: RolloutDeps,
  rolloutId: string,
  command: RolloutCommand,
  actor: string,
  reason: string,
  idempotencyKey: string,
): Promise<RolloutResult> {
  const aggregateId = rolloutAggregateId(rolloutId);
  const records = await deps.store.read(aggregateId);
  const state = foldRollout(eventsOf(records));
  const decision = decideRollout(state, command, limits);
  if (!decision.ok) return decision;
  if (decision.events.length === 0) {
    const unchanged = state;
    if (unchanged === undefined) throw new HqError('HQ_STORE_FAILED', 'rollout vanished');
    return { ok: true, state: unchanged, events: [] };
  }
  const outcome = await deps.store.append(
    {
      aggregateId,
      kind: command.type,
      payload: { events: decision.events },
      actor,
      atMs: command.atMs,
      reason,
      idempotencyKey,
    },
    records.length,
  );
  if (!outcome.ok) {
    throw new HqError(outcome.code, `rollout ${rolloutId}: the log moved on; retry the command`, {
      details: { rolloutId },
    });
  }
  const events = outcome.duplicate ? [] : decision.events;
  const next = foldRollout(eventsOf(await deps.store.read(aggregateId)));
  if (next === undefined) throw new HqError('HQ_STORE_FAILED', 'rollout vanished after append');
  return { ok: true, state: next, events };
}

export function createRollout(deps: RolloutDeps, spec: RolloutSpec, actor: string, reason: string) {
  const atMs = deps.clock.nowMs();
  return step(
    deps,
    spec.rolloutId,
    { type: 'create', spec, atMs },
    actor,
    reason,
    `rollout:${spec.rolloutId}:create`,
  );
}

export type OperatorAction = 'start' | 'pause' | 'resume' | 'cancel';

export async function operateRollout(
  deps: RolloutDeps,
  rolloutId: string,
  action: OperatorAction,
  actor: string,
  reason: string,
): Promise<RolloutResult> {
  const atMs = deps.clock.nowMs();
  const version = (await deps.store.read(rolloutAggregateId(rolloutId))).length;
  return step(
    deps,
    rolloutId,
    { type: action, atMs },
    actor,
    reason,
    `rollout:${rolloutId}:${action}:${version}`,
  );
}

/** A kiosk's verified progress report; the same report again is a no-op (idempotent by content). */
export function reportProgress(
  deps: RolloutDeps,
  rolloutId: string,
  stationId: string,
  progress: StationProgress,
  reason: string,
): Promise<RolloutResult> {
  const atMs = deps.clock.nowMs();
  return step(
    deps,
    rolloutId,
    { type: 'report', stationId, progress, reason, atMs },
    `station:${stationId}`,
    reason,
    `rollout:${rolloutId}:${stationId}:${progress}`,
  );
}

export async function sweepRollout(deps: RolloutDeps, rolloutId: string): Promise<RolloutResult> {
  const atMs = deps.clock.nowMs();
  const version = (await deps.store.read(rolloutAggregateId(rolloutId))).length;
  return step(
    deps,
    rolloutId,
    { type: 'sweep', atMs },
    systemActor,
    'station timeout',
    `rollout:${rolloutId}:sweep:${version}`,
  );
}
