// The LoginAttemptStore on PostgreSQL (migration 0005): one row per user name or client address,
// counted by one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so two gateways counting the same
// key at the same instant get 1 and 2, never 1 and 1 (the row lock orders them). A count that
// opens a new window also deletes the windows already over, which keeps the table to the keys of
// the last window. The key is stored as its SHA-256 (hex): a login name is whatever a client typed,
// and PostgreSQL text refuses U+0000 (a NUL in a name was a 503 instead of HQ_AUTH_FAILED).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LoginAttemptStore } from '../../ports/login-attempts.js';
import { pgQuery, type Queryable } from './connection.js';

export class PostgresLoginAttempts implements LoginAttemptStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async count(key: string, nowMs: number, windowMs: number): Promise<number> {
    assert(Number.isSafeInteger(nowMs) && windowMs > 0, 'count: nowMs is a safe integer, windowMs > 0');
    const rows = await pgQuery(
      this.#db,
      'count a login attempt',
      `INSERT INTO hq_login_attempts AS a (limit_key, window_start_ms, attempt_count) VALUES ($1, $2, 1)
       ON CONFLICT (limit_key) DO UPDATE SET
         window_start_ms = CASE WHEN $2 - a.window_start_ms >= $3 THEN $2 ELSE a.window_start_ms END,
         attempt_count = CASE WHEN $2 - a.window_start_ms >= $3 THEN 1 ELSE a.attempt_count + 1 END
       RETURNING attempt_count`,
      [keyDigest(key), nowMs, windowMs],
    );
    const count = Number(rows[0]?.attempt_count);
    assert(Number.isSafeInteger(count) && count >= 1, 'count: the upsert returns the count');
    if (count === 1)
      await pgQuery(
        this.#db,
        'drop expired login windows',
        'DELETE FROM hq_login_attempts WHERE window_start_ms <= $1 AND limit_key <> $2',
        [nowMs - windowMs, keyDigest(key)],
      );
    return count;
  }

  async clear(key: string): Promise<void> {
    await pgQuery(this.#db, 'clear a login window', 'DELETE FROM hq_login_attempts WHERE limit_key = $1', [
      keyDigest(key),
    ]);
  }
}

/** The stored form of a limiter key: its SHA-256, hex (any text in, never a NUL or an overlong row). */
function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
