// The OperationsStore port in memory: for tests and the demo. Same checks and outcomes as the
// SQLite adapter (the contract suite runs on both); records are frozen copies.
import { operationDraftProblems, operationIdentity } from '../../domain/network/operation-record.js';
import { HqError } from '../../errors.js';
import { opsReadManyAggregatesMax, opsReadRecordsMax, opsRecordsPerAggregateMax } from '../../limits.js';
import type {
  AppendOutcome,
  OperationDraft,
  OperationRecord,
  OperationsQuery,
  OperationsStore,
} from '../../ports/operations-store.js';

export class MemoryOperationsStore implements OperationsStore {
  readonly #records: OperationRecord[] = [];
  readonly #byAggregate = new Map<string, OperationRecord[]>();
  readonly #byKey = new Map<string, OperationRecord>();

  async append(draft: OperationDraft, expectedVersion: number): Promise<AppendOutcome> {
    const problems = operationDraftProblems(draft, expectedVersion);
    if (problems.length > 0)
      throw new HqError('HQ_OPS_RECORD_INVALID', 'operation record invalid', { problems });
    const known = this.#byKey.get(draft.idempotencyKey);
    if (known !== undefined) {
      return operationIdentity(known) === operationIdentity(draft)
        ? { ok: true, record: known, duplicate: true }
        : { ok: false, code: 'HQ_OPS_IDEMPOTENCY_CONFLICT', existing: known };
    }
    const list = this.#byAggregate.get(draft.aggregateId) ?? [];
    if (list.length !== expectedVersion)
      return { ok: false, code: 'HQ_OPS_VERSION_CONFLICT', currentVersion: list.length };
    if (list.length >= opsRecordsPerAggregateMax)
      throw new HqError(
        'HQ_STORE_FAILED',
        `aggregate ${draft.aggregateId} is full (opsRecordsPerAggregateMax)`,
      );
    const record: OperationRecord = Object.freeze({
      aggregateId: draft.aggregateId,
      kind: draft.kind,
      payload: structuredClone(draft.payload),
      actor: draft.actor,
      atMs: draft.atMs,
      reason: draft.reason,
      idempotencyKey: draft.idempotencyKey,
      version: list.length + 1,
      position: this.#records.length + 1,
    });
    list.push(record);
    this.#byAggregate.set(draft.aggregateId, list);
    this.#byKey.set(draft.idempotencyKey, record);
    this.#records.push(record);
    return { ok: true, record, duplicate: false };
  }

  async read(aggregateId: string): Promise<readonly OperationRecord[]> {
    return [...(this.#byAggregate.get(aggregateId) ?? [])];
  }

  async readMany(aggregateIds: readonly string[]): Promise<ReadonlyMap<string, readonly OperationRecord[]>> {
    if (aggregateIds.length > opsReadManyAggregatesMax)
      throw new HqError(
        'HQ_STORE_FAILED',
        `readMany: ${aggregateIds.length} aggregates > ${opsReadManyAggregatesMax}`,
      );
    const out = new Map<string, readonly OperationRecord[]>();
    for (const aggregateId of aggregateIds) {
      const records = this.#byAggregate.get(aggregateId);
      if (records !== undefined && records.length > 0) out.set(aggregateId, [...records]);
    }
    return out;
  }

  async list(query: OperationsQuery): Promise<readonly OperationRecord[]> {
    const limit = Math.min(query.limit ?? opsReadRecordsMax, opsReadRecordsMax);
    const out: OperationRecord[] = [];
    for (const record of this.#records) {
      if (out.length >= limit) break;
      if (record.position <= (query.afterPosition ?? 0)) continue;
      if (query.aggregatePrefix !== undefined && !record.aggregateId.startsWith(query.aggregatePrefix))
        continue;
      if (query.fromAtMs !== undefined && record.atMs < query.fromAtMs) continue;
      if (query.toAtMs !== undefined && record.atMs >= query.toAtMs) continue;
      out.push(record);
    }
    return out;
  }
}
