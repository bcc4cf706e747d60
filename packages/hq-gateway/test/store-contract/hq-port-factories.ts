// Factories of the HQ ports beside the ingest Store (OpsStore, OperationsStore, RealityStore,
// NetworkFacts) for their contract suites: SQLite on a temp file (a second handle is a second
// connection to the file), PostgreSQL on a database of its own created on 127.0.0.1:5432 and
// dropped after (a second handle is a second pool: what another HQ process sees). A PostgreSQL
// that does not answer makes the test FAIL (the error propagates), never skip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresNetworkFacts } from '../../src/adapters/postgres/network-facts.js';
import { PostgresOperationsStore } from '../../src/adapters/postgres/operations-store.js';
import { PostgresOpsStore } from '../../src/adapters/postgres/ops-store.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { PostgresRealityStore } from '../../src/adapters/postgres/reality-store.js';
import { SqliteNetworkFacts } from '../../src/adapters/sqlite/network-facts.js';
import { SqliteOperationsStore } from '../../src/adapters/sqlite/operations-store.js';
import { SqliteOpsStore } from '../../src/adapters/sqlite/ops-store.js';
import { SqliteRealityStore } from '../../src/adapters/sqlite/reality-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { NetworkFacts } from '../../src/ports/network-facts.js';
import type { OperationsStore } from '../../src/ports/operations-store.js';
import type { OpsStore } from '../../src/ports/ops-store.js';
import type { RealityStore } from '../../src/ports/reality.js';
import type { Store } from '../../src/ports/store.js';
import { createTestDatabase } from './factories.js';

/** Every HQ port on one handle (connection or pool) to one database. */
export interface HqPorts {
  readonly store: Store;
  readonly ops: OpsStore;
  readonly operations: OperationsStore;
  readonly reality: RealityStore;
  readonly facts: NetworkFacts;
  close(): Promise<void>;
}

export interface HqPortsInstance {
  open(): Promise<HqPorts>;
  remove(): Promise<void>;
}

export interface HqPortsFactory {
  readonly name: 'sqlite' | 'postgres';
  create(): Promise<HqPortsInstance>;
}

export const sqlitePorts: HqPortsFactory = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'hq-ports-'));
    const path = join(dir, 'hq.sqlite');
    return {
      async open() {
        const store = new SqliteStore({ path });
        return {
          store,
          ops: new SqliteOpsStore(store.db),
          operations: new SqliteOperationsStore(store.db),
          reality: new SqliteRealityStore(store.db),
          facts: new SqliteNetworkFacts(store.db),
          close: () => store.close(),
        };
      },
      async remove() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresPorts: HqPortsFactory = {
  name: 'postgres',
  async create() {
    const database = await createTestDatabase();
    return {
      async open() {
        const store = await PostgresStore.open({ url: database.url });
        return {
          store,
          ops: new PostgresOpsStore(store.pool),
          operations: new PostgresOperationsStore(store.pool),
          reality: new PostgresRealityStore(store.pool),
          facts: new PostgresNetworkFacts(store.pool),
          close: () => store.close(),
        };
      },
      remove: () => database.drop(),
    };
  },
};
