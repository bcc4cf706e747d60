// What every network service takes (issue 11): the operations store, the working calendar, HQ's
// clock, and the actor (who, in which role) of each command. A step is decided by domain/network/
// against the folded view and appended with the version it was decided on; the answer is the
// stored record or the refusal with every reason (R21). The CLI and the HTTP API call these.
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { groupByAggregate } from '../../domain/network/operation-record.js';
import type { NetRefusal } from '../../domain/network/refusal.js';
import { refuse } from '../../domain/network/refusal.js';
import type { TimeSource } from '../../ports/clock.js';
import type { NetworkFacts } from '../../ports/network-facts.js';
import type { OperationRecord, OperationsStore } from '../../ports/operations-store.js';

export interface NetworkDeps {
  readonly store: OperationsStore;
  readonly calendar: WorkingCalendar;
  readonly clock: TimeSource;
  /** Ingest facts (revenue, fee events): needed by commission runs and fee checks only. */
  readonly facts?: NetworkFacts;
}

/** Who acts: a person's name (or 'system:<component>') and a role (a department, or 'branch'). */
export interface Actor {
  readonly name: string;
  readonly role: string;
  /** For a branch user: the branch. */
  readonly branchId?: string;
}

export interface StepOptions {
  /** Why (recorded with the step). */
  readonly reason?: string;
  /** A retried command with the same key returns the first record (HTTP Idempotency-Key, CLI flag). */
  readonly idempotencyKey?: string;
}

export type StepResult<V> =
  | { readonly ok: true; readonly record: OperationRecord; readonly duplicate: boolean; readonly view: V }
  | NetRefusal;

/** Append a decided step at `expectedVersion`; version and key conflicts come back as refusals. */
export async function appendStep(
  deps: NetworkDeps,
  actor: Actor,
  aggregateId: string,
  kind: string,
  payload: Record<string, unknown>,
  expectedVersion: number,
  options: StepOptions,
): Promise<
  { readonly ok: true; readonly record: OperationRecord; readonly duplicate: boolean } | NetRefusal
> {
  const outcome = await deps.store.append(
    {
      aggregateId,
      kind,
      payload,
      actor: actor.name,
      atMs: deps.clock.nowMs(),
      reason: options.reason ?? '',
      idempotencyKey: options.idempotencyKey ?? `${aggregateId}:${kind}:v${expectedVersion + 1}`,
    },
    expectedVersion,
  );
  if (outcome.ok) return outcome;
  if (outcome.code === 'HQ_OPS_VERSION_CONFLICT')
    return refuse([
      {
        code: outcome.code,
        message: `${aggregateId} changed meanwhile (now version ${outcome.currentVersion}): read it again`,
        details: { currentVersion: outcome.currentVersion },
      },
    ]);
  return refuse([
    {
      code: outcome.code,
      field: 'idempotencyKey',
      message: `the idempotency key was used for another ${outcome.existing.kind} of ${outcome.existing.aggregateId}`,
    },
  ]);
}

/** Every record whose aggregate id starts with `prefix`, grouped per aggregate in version order. */
export async function readGrouped(
  store: OperationsStore,
  prefix: string,
): Promise<Map<string, OperationRecord[]>> {
  const records: OperationRecord[] = [];
  let afterPosition = 0;
  for (;;) {
    const page = await store.list({ aggregatePrefix: prefix, afterPosition });
    records.push(...page);
    const last = page.at(-1);
    if (last === undefined) break;
    afterPosition = last.position;
  }
  const groups = groupByAggregate(records);
  for (const list of groups.values()) list.sort((a, b) => a.version - b.version);
  return groups;
}

/**
 * A retried command: its idempotency key is already recorded on this aggregate for this kind. The
 * answer is that first record (the step is not decided again: the state has moved on since).
 */
export function replayOf(
  records: readonly OperationRecord[],
  kind: string,
  options: StepOptions,
): OperationRecord | undefined {
  if (options.idempotencyKey === undefined) return undefined;
  return records.find((r) => r.idempotencyKey === options.idempotencyKey && r.kind === kind);
}

export function idOf(aggregateId: string): string {
  return aggregateId.slice(aggregateId.indexOf(':') + 1);
}

/** The aggregate's records after an append: a duplicate (idempotent retry) reads them again. */
export async function recordsAfter(
  deps: NetworkDeps,
  aggregateId: string,
  before: readonly OperationRecord[],
  appended: { readonly record: OperationRecord; readonly duplicate: boolean },
): Promise<readonly OperationRecord[]> {
  return appended.duplicate ? deps.store.read(aggregateId) : [...before, appended.record];
}
