// The UnitOfWork on PostgreSQL: one pooled client in a transaction for the unit's duration, the
// stores on the same pool routed to it (connection.ts runUnitOfWork), effects after COMMIT.
import type pg from 'pg';
import type { UnitOfWork } from '../../ports/unit-of-work.js';
import { afterUnitCommit, runUnitOfWork } from './connection.js';

export class PostgresUnitOfWork implements UnitOfWork {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  run<T>(what: string, work: () => Promise<T>): Promise<T> {
    return runUnitOfWork(this.#pool, what, work);
  }

  afterCommit(effect: () => void): void {
    afterUnitCommit(this.#pool, effect);
  }
}
