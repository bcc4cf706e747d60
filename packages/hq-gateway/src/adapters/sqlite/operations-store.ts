// The OperationsStore port on SQLite (issue 11): one append-only table, `operations`, created here
// (additive: the ingest schema in schema.ts is untouched). Triggers refuse UPDATE and DELETE (R17:
// kept at least 6 years, never edited). Uniqueness lives in the database (UNIQUE (aggregate_id,
// version) and UNIQUE idempotency_key), not in this process, so several HQ processes may share it;
// an append runs in one BEGIN IMMEDIATE transaction on the store's main connection.
// The same table on PostgreSQL: adapters/postgres/operations-store.ts (migration 0003).
import type Database from 'better-sqlite3';
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

export const operationsSchemaSql = `
CREATE TABLE IF NOT EXISTS operations (
  position INTEGER PRIMARY KEY,
  aggregate_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version > 0),
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  UNIQUE (aggregate_id, version)
) STRICT;
CREATE INDEX IF NOT EXISTS operations_by_at ON operations (at_ms);
CREATE TRIGGER IF NOT EXISTS operations_no_update BEFORE UPDATE ON operations
  BEGIN SELECT RAISE(ABORT, 'operations are append-only (R17)'); END;
CREATE TRIGGER IF NOT EXISTS operations_no_delete BEFORE DELETE ON operations
  BEGIN SELECT RAISE(ABORT, 'operations are kept at least 6 years (R17)'); END;
`;

type Row = {
  position: number;
  aggregate_id: string;
  version: number;
  kind: string;
  payload_json: string;
  actor: string;
  at_ms: number;
  reason: string;
  idempotency_key: string;
};

function recordOf(row: Row): OperationRecord {
  return Object.freeze({
    aggregateId: row.aggregate_id,
    kind: row.kind,
    payload: JSON.parse(row.payload_json) as Record<string, unknown>,
    actor: row.actor,
    atMs: row.at_ms,
    reason: row.reason,
    idempotencyKey: row.idempotency_key,
    version: row.version,
    position: row.position,
  });
}

export class SqliteOperationsStore implements OperationsStore {
  readonly #db: Database.Database;

  /** `db`: the HQ store's main connection (SqliteStore.db) or any better-sqlite3 database. */
  constructor(db: Database.Database) {
    this.#db = db;
    try {
      db.exec(operationsSchemaSql);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'cannot create the operations table', { cause: error });
    }
  }

  async append(draft: OperationDraft, expectedVersion: number): Promise<AppendOutcome> {
    const problems = operationDraftProblems(draft, expectedVersion);
    if (problems.length > 0)
      throw new HqError('HQ_OPS_RECORD_INVALID', 'operation record invalid', { problems });
    try {
      return this.#db
        .transaction((): AppendOutcome => {
          const known = this.#db
            .prepare('SELECT * FROM operations WHERE idempotency_key = ?')
            .get(draft.idempotencyKey) as Row | undefined;
          if (known !== undefined) {
            const record = recordOf(known);
            return operationIdentity(record) === operationIdentity(draft)
              ? { ok: true, record, duplicate: true }
              : { ok: false, code: 'HQ_OPS_IDEMPOTENCY_CONFLICT', existing: record };
          }
          const current = (
            this.#db
              .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM operations WHERE aggregate_id = ?')
              .get(draft.aggregateId) as { v: number }
          ).v;
          if (current !== expectedVersion)
            return { ok: false, code: 'HQ_OPS_VERSION_CONFLICT', currentVersion: current };
          if (current >= opsRecordsPerAggregateMax)
            throw new HqError(
              'HQ_STORE_FAILED',
              `aggregate ${draft.aggregateId} is full (opsRecordsPerAggregateMax)`,
            );
          const row = this.#db
            .prepare(
              `INSERT INTO operations (aggregate_id, version, kind, payload_json, actor, at_ms, reason, idempotency_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
            )
            .get(
              draft.aggregateId,
              current + 1,
              draft.kind,
              JSON.stringify(draft.payload),
              draft.actor,
              draft.atMs,
              draft.reason,
              draft.idempotencyKey,
            ) as Row;
          return { ok: true, record: recordOf(row), duplicate: false };
        })
        .immediate();
    } catch (error) {
      if (error instanceof HqError) throw error;
      throw new HqError('HQ_STORE_FAILED', 'operations append failed', { cause: error });
    }
  }

  async read(aggregateId: string): Promise<readonly OperationRecord[]> {
    try {
      const rows = this.#db
        .prepare('SELECT * FROM operations WHERE aggregate_id = ? ORDER BY version')
        .all(aggregateId) as Row[];
      return rows.map(recordOf);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'operations read failed', { cause: error });
    }
  }

  async readMany(aggregateIds: readonly string[]): Promise<ReadonlyMap<string, readonly OperationRecord[]>> {
    if (aggregateIds.length > opsReadManyAggregatesMax)
      throw new HqError(
        'HQ_STORE_FAILED',
        `readMany: ${aggregateIds.length} aggregates > ${opsReadManyAggregatesMax}`,
      );
    if (aggregateIds.length === 0) return new Map();
    try {
      const rows = this.#db
        .prepare(
          'SELECT * FROM operations WHERE aggregate_id IN (SELECT value FROM json_each(?)) ORDER BY aggregate_id, version',
        )
        .all(JSON.stringify(aggregateIds)) as Row[];
      return groupByAggregate(rows.map(recordOf));
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'operations read failed', { cause: error });
    }
  }

  async list(query: OperationsQuery): Promise<readonly OperationRecord[]> {
    const limit = Math.min(query.limit ?? opsReadRecordsMax, opsReadRecordsMax);
    const where: string[] = ['position > ?'];
    const args: unknown[] = [query.afterPosition ?? 0];
    if (query.aggregatePrefix !== undefined) {
      // substr comparison, not LIKE: an id may hold '_' which LIKE treats as a wildcard.
      where.push('substr(aggregate_id, 1, ?) = ?');
      args.push(query.aggregatePrefix.length, query.aggregatePrefix);
    }
    if (query.fromAtMs !== undefined) {
      where.push('at_ms >= ?');
      args.push(query.fromAtMs);
    }
    if (query.toAtMs !== undefined) {
      where.push('at_ms < ?');
      args.push(query.toAtMs);
    }
    try {
      const rows = this.#db
        .prepare(`SELECT * FROM operations WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`)
        .all(...args, limit) as Row[];
      return rows.map(recordOf);
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'operations list failed', { cause: error });
    }
  }
}
