// The store an HQ CLI test writes into its config: SQLite (the config's dbPath, the default) or,
// with HQ_TEST_STORE=postgres, a PostgreSQL database of its own on 127.0.0.1:5432 (created here,
// dropped by remove()). The *-postgres.test.ts files set HQ_TEST_STORE and run the same tests.
import { createTestDatabase } from '../store-contract/factories.js';
import { testStoreKind } from './hq-memory-fixture.js';

export interface TestStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Merged into the config file: {} for SQLite (dbPath), { store } for PostgreSQL. */
  readonly configExtra: object;
  remove(): Promise<void>;
}

export async function testStoreConfig(): Promise<TestStore> {
  if (testStoreKind() === 'sqlite') return { kind: 'sqlite', configExtra: {}, remove: async () => {} };
  const database = await createTestDatabase();
  return {
    kind: 'postgres',
    configExtra: { dbPath: undefined, store: { kind: 'postgres', url: database.url } },
    remove: () => database.drop(),
  };
}
