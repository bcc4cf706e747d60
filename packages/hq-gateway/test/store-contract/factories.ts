// One factory per Store adapter for the contract suite (contract.ts): each makes a fresh, empty
// store and can open it again through a new connection (persistence), then removes it. PostgreSQL:
// every run creates its own database hq_test_<random> on 127.0.0.1:5432 (trust auth, connecting
// first to the `test` database) and drops it at the end; a PostgreSQL that does not answer makes
// the test FAIL (the error propagates), never skip.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteIntegrityStore } from '../../src/adapters/sqlite/integrity-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { IntegrityStore } from '../../src/ports/integrity-store.js';
import type { Store } from '../../src/ports/store.js';

export interface StoreUnderTest {
  readonly store: Store;
  readonly integrity: IntegrityStore;
}

export interface StoreInstance {
  /** A new connection to the same data (close the previous one first where the adapter needs it). */
  open(): Promise<StoreUnderTest>;
  /** Remove the data (the database or the file). */
  remove(): Promise<void>;
}

export interface StoreFactory {
  readonly name: string;
  create(): Promise<StoreInstance>;
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'hq-contract-'));
    const path = join(dir, 'hq.sqlite');
    return {
      async open() {
        const store = new SqliteStore({ path });
        return { store, integrity: new SqliteIntegrityStore(store.db) };
      },
      async remove() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The server the PostgreSQL tests use (CI and every working machine run it: TOOLCHAIN.md). */
export const pgServerUrl = process.env.HQ_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** Create an empty database of its own; `url` connects to it, `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `hq_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${pgServerUrl}/test` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${pgServerUrl}/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: `${pgServerUrl}/test` });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export const postgresFactory: StoreFactory = {
  name: 'postgres',
  async create() {
    const database = await createTestDatabase();
    return {
      async open() {
        const store = await PostgresStore.open({ url: database.url });
        return { store, integrity: store.integrity };
      },
      remove: () => database.drop(),
    };
  },
};
