// The OperationsStore port on PostgreSQL (issue 11, migration 0003): the station network's
// append-only log shared by every HQ process on the database. The expectedVersion check is the
// database's UNIQUE (aggregate_id, version) key and a retried command is one record by UNIQUE
// idempotency_key: two processes appending version n+1 at once store one, and the other gets
// HQ_OPS_VERSION_CONFLICT (or its duplicate) as a value. Appends also take a transaction-scoped
// advisory lock so that positions become visible in the order they were given (a reader paging
// by afterPosition never skips a record committed late); triggers refuse UPDATE, DELETE and
// TRUNCATE (R17).
import type pg from 'pg';
import {
  groupByAggregate,
  operationDraftProblems,
  operationIdentity,
} from '../../domain/network/operation-record.js';
import { HqError } from '../../errors.js';
import { opsReadManyAggregatesMax, opsReadRecordsMax, opsRecordsPerAggregateMax } from '../../limits.js';
import type {
  AppendOutcome,
  OperationDraft,
  OperationRecord,
  OperationsQuery,
  OperationsStore,
} from '../../ports/operations-store.js';
import { inTransaction, pgPrepared, pgQuery, type Queryable, type Row } from './connection.js';

/** pg_advisory_xact_lock key of the operations log's tail (distinct from migrate's and audit's). */
export const operationsLockKey = 7_316_202_613;

function recordOf(row: Row): OperationRecord {
  return Object.freeze({
    aggregateId: String(row.aggregate_id),
    kind: String(row.kind),
    payload: JSON.parse(String(row.payload_json)) as Record<string, unknown>,
    actor: String(row.actor),
    atMs: Number(row.at_ms),
    reason: String(row.reason),
    idempotencyKey: String(row.idempotency_key),
    version: Number(row.version),
    position: Number(row.position),
  });
}

/** What a known idempotency key means for `draft`: the same operation, or a conflict. */
function outcomeOfKnown(known: OperationRecord, draft: OperationDraft): AppendOutcome {
  return operationIdentity(known) === operationIdentity(draft)
    ? { ok: true, record: known, duplicate: true }
    : { ok: false, code: 'HQ_OPS_IDEMPOTENCY_CONFLICT', existing: known };
}

async function byKey(db: Queryable, key: string): Promise<OperationRecord | undefined> {
  const rows = await pgQuery(
    db,
    'read an operation by key',
    'SELECT * FROM operations WHERE idempotency_key = $1',
    [key],
  );
  return rows[0] === undefined ? undefined : recordOf(rows[0]);
}

async function currentVersion(db: Queryable, aggregateId: string): Promise<number> {
  const rows = await pgQuery(
    db,
    'read an aggregate version',
    'SELECT COALESCE(MAX(version), 0) AS v FROM operations WHERE aggregate_id = $1',
    [aggregateId],
  );
  return Number(rows[0]?.v ?? 0);
}

export class PostgresOperationsStore implements OperationsStore {
  readonly #pool: pg.Pool;

  /** `pool`: the PostgresStore's pool (migrated to 0003 or later). */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async append(draft: OperationDraft, expectedVersion: number): Promise<AppendOutcome> {
    const problems = operationDraftProblems(draft, expectedVersion);
    if (problems.length > 0)
      throw new HqError('HQ_OPS_RECORD_INVALID', 'operation record invalid', { problems });
    return inTransaction(this.#pool, 'append an operation', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [operationsLockKey]);
      const known = await byKey(client, draft.idempotencyKey);
      if (known !== undefined) return outcomeOfKnown(known, draft);
      const current = await currentVersion(client, draft.aggregateId);
      if (current !== expectedVersion)
        return { ok: false, code: 'HQ_OPS_VERSION_CONFLICT', currentVersion: current };
      if (current >= opsRecordsPerAggregateMax)
        throw new HqError(
          'HQ_STORE_FAILED',
          `aggregate ${draft.aggregateId} is full (opsRecordsPerAggregateMax)`,
        );
      // ON CONFLICT DO NOTHING: should a writer without the lock (an older HQ, a manual INSERT)
      // have taken the version or the key, the keys decide and the outcome says why.
      const inserted = await pgQuery(
        client,
        'append an operation',
        `INSERT INTO operations (aggregate_id, version, kind, payload_json, actor, at_ms, reason, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING *`,
        [
          draft.aggregateId,
          current + 1,
          draft.kind,
          JSON.stringify(draft.payload),
          draft.actor,
          draft.atMs,
          draft.reason,
          draft.idempotencyKey,
        ],
      );
      if (inserted[0] !== undefined) return { ok: true, record: recordOf(inserted[0]), duplicate: false };
      const raced = await byKey(client, draft.idempotencyKey);
      if (raced !== undefined) return outcomeOfKnown(raced, draft);
      return {
        ok: false,
        code: 'HQ_OPS_VERSION_CONFLICT',
        currentVersion: await currentVersion(client, draft.aggregateId),
      };
    });
  }

  async read(aggregateId: string): Promise<readonly OperationRecord[]> {
    const rows = await pgQuery(
      this.#pool,
      'read an aggregate',
      'SELECT * FROM operations WHERE aggregate_id = $1 ORDER BY version',
      [aggregateId],
    );
    return rows.map(recordOf);
  }

  async readMany(aggregateIds: readonly string[]): Promise<ReadonlyMap<string, readonly OperationRecord[]>> {
    if (aggregateIds.length > opsReadManyAggregatesMax)
      throw new HqError(
        'HQ_STORE_FAILED',
        `readMany: ${aggregateIds.length} aggregates > ${opsReadManyAggregatesMax}`,
      );
    if (aggregateIds.length === 0) return new Map();
    const rows = await pgPrepared(
      this.#pool,
      'read aggregates',
      'SELECT * FROM operations WHERE aggregate_id = ANY($1::text[]) ORDER BY aggregate_id, version',
      [[...aggregateIds]],
    );
    return groupByAggregate(rows.map(recordOf));
  }

  async list(query: OperationsQuery): Promise<readonly OperationRecord[]> {
    const limit = Math.min(query.limit ?? opsReadRecordsMax, opsReadRecordsMax);
    const args: unknown[] = [query.afterPosition ?? 0];
    const where: string[] = ['position > $1'];
    if (query.aggregatePrefix !== undefined) {
      // left() comparison, not LIKE: an id may hold '_' which LIKE treats as a wildcard.
      args.push(query.aggregatePrefix);
      where.push(`left(aggregate_id, char_length($${args.length}::text)) = $${args.length}::text`);
    }
    if (query.fromAtMs !== undefined) {
      args.push(query.fromAtMs);
      where.push(`at_ms >= $${args.length}`);
    }
    if (query.toAtMs !== undefined) {
      args.push(query.toAtMs);
      where.push(`at_ms < $${args.length}`);
    }
    args.push(limit);
    const rows = await pgQuery(
      this.#pool,
      'list operations',
      `SELECT * FROM operations WHERE ${where.join(' AND ')} ORDER BY position LIMIT $${args.length}`,
      args,
    );
    return rows.map(recordOf);
  }
}
