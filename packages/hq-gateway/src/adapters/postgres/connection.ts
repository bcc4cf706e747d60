// Connecting to HQ's PostgreSQL: one pg.Pool per process, with BIGINT columns read back as
// JavaScript numbers (asserted safe integers: money is fen, R1, and ids, seqs and ms fit in 2^53)
// instead of pg's default strings, a statement timeout, and every failure as HQ_STORE_FAILED with
// the original error as cause. Transactions run on one pooled client (inTransaction).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { HqError } from '../../errors.js';
import { pgPoolConnectionsMax, pgStatementTimeoutMsMax } from '../../limits.js';

/** pg's type ids (pg_type.oid) of the integer types HQ stores. */
const int8Oid = 20;
const numericOid = 1700;

function safeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`integer column out of the safe range: ${text}`);
  return value;
}

/** The parsers of this pool's clients: BIGINT and NUMERIC (SUM of BIGINT) as safe integers. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === int8Oid || oid === numericOid) return safeInteger;
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

export type Queryable = Pick<pg.PoolClient, 'query'>;
export type Row = Record<string, unknown>;

export function openPool(url: string): pg.Pool {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new HqError('HQ_STORE_FAILED', 'the PostgreSQL url must start with postgres://', {
      details: { field: 'store.url' },
    });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: pgPoolConnectionsMax,
    statement_timeout: pgStatementTimeoutMsMax,
    connectionTimeoutMillis: 10_000,
    application_name: 'bianmin-hq',
    types,
  });
  // An idle client losing its connection must not crash the process: the next query fails instead.
  pool.on('error', () => undefined);
  return pool;
}

/** Run one query; a failure becomes HQ_STORE_FAILED naming what was being done. */
export async function pgQuery(
  db: Queryable,
  what: string,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  try {
    const result = await unitClientFor(db).query(sql, values);
    return result.rows as Row[];
  } catch (error) {
    throw storeFailed(what, error);
  }
}

/**
 * One query as a named prepared statement (the name is the SQL's hash): each pooled connection
 * parses and plans it once, not on every call. For the reads every API request makes (sessions,
 * the station list and page, alerts): planning a join costs about as much as running it.
 */
export async function pgPrepared(
  db: Queryable,
  what: string,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const name = `hq_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
  try {
    return (await unitClientFor(db).query({ name, text: sql, values })).rows as Row[];
  } catch (error) {
    throw storeFailed(what, error);
  }
}

export function storeFailed(what: string, error: unknown): HqError {
  if (error instanceof HqError) return error;
  const code = (error as { code?: unknown }).code;
  return new HqError('HQ_STORE_FAILED', `the HQ store could not ${what}`, {
    cause: error,
    details: typeof code === 'string' ? { sqlState: code } : {},
  });
}

/** The SQLSTATE of a pg error, when it is one (40P01 deadlock, 40001 serialization, 23505 unique). */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current !== undefined && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Run `work` in one transaction on one pooled client; rolled back when it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  what: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const unit = activeUnit.getStore();
  if (unit !== undefined && unit.pool === pool) return inSavepoint(unit.client, what, work);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeFailed(what, error);
  }
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw storeFailed(what, error);
  } finally {
    client.release();
  }
}

// ---- Units of work (issue 11): an operation's writes and its audit row in ONE transaction.
// Inside runUnitOfWork(pool, ...), every pgQuery and inTransaction on that pool runs on the unit's
// client (found through AsyncLocalStorage, so the stores keep their signatures); an inner
// transaction becomes a savepoint. Effects registered with afterCommit run once the unit commits
// and are dropped when it rolls back.

interface Unit {
  readonly pool: pg.Pool;
  readonly client: pg.PoolClient;
  readonly effects: Array<() => void>;
  savepoints: number;
}

const activeUnit = new AsyncLocalStorage<Unit>();

/** The unit's client when `db` is the pool of the unit in progress; `db` otherwise. */
function unitClientFor(db: Queryable): Queryable {
  const unit = activeUnit.getStore();
  return unit !== undefined && unit.pool === db ? unit.client : db;
}

async function inSavepoint<T>(
  client: pg.PoolClient,
  what: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const unit = activeUnit.getStore() as Unit;
  unit.savepoints += 1;
  const name = `hq_unit_${unit.savepoints}`;
  try {
    await client.query(`SAVEPOINT ${name}`);
    const result = await work(client);
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw storeFailed(what, error);
  }
}

/** Run `work` as one transaction on `pool`: all of its writes commit together or none does. */
export async function runUnitOfWork<T>(pool: pg.Pool, what: string, work: () => Promise<T>): Promise<T> {
  const outer = activeUnit.getStore();
  if (outer !== undefined && outer.pool === pool) return work();
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeFailed(what, error);
  }
  const unit: Unit = { pool, client, effects: [], savepoints: 0 };
  let result: T;
  try {
    try {
      await client.query('BEGIN');
    } catch (error) {
      throw storeFailed(what, error);
    }
    // The work's own errors pass as they are (store failures come wrapped by pgQuery; a broken
    // assertion stays one).
    result = await activeUnit.run(unit, work);
    try {
      await client.query('COMMIT');
    } catch (error) {
      throw storeFailed(what, error);
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  for (const effect of unit.effects) effect();
  return result;
}

/** Run `effect` when the unit of work on `pool` in progress commits; at once when there is none. */
export function afterUnitCommit(pool: pg.Pool, effect: () => void): void {
  const unit = activeUnit.getStore();
  if (unit !== undefined && unit.pool === pool) unit.effects.push(effect);
  else effect();
}
