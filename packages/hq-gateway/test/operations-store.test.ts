// Goal: the OperationsStore port behaves the same on the memory and SQLite adapters (versions,
// idempotency, conflicts, queries), and SQLite refuses to update or delete a record (R17). Method:
// the shared contract suite (helpers/operations-store-contract.ts) against both, then raw SQL.
import Database from 'better-sqlite3';
import t from 'tap';
import { MemoryOperationsStore } from '../src/adapters/memory/operations-store.js';
import { SqliteOperationsStore } from '../src/adapters/sqlite/operations-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { operationsStoreContract } from './helpers/operations-store-contract.js';

operationsStoreContract(t, 'memory', async () => ({
  store: new MemoryOperationsStore(),
  close: async () => {},
}));
operationsStoreContract(t, 'sqlite', async () => {
  const db = new Database(':memory:');
  return {
    store: new SqliteOperationsStore(db),
    close: async () => {
      db.close();
    },
  };
});

t.test(
  'sqlite: beside the HQ store on its connection; records cannot be updated or deleted (R17)',
  async (t) => {
    const hq = new SqliteStore({ path: ':memory:' });
    t.teardown(() => hq.close());
    const store = new SqliteOperationsStore(hq.db);
    const outcome = await store.append(
      {
        aggregateId: 'station:S1',
        kind: 'proposed',
        payload: {},
        actor: 'a',
        atMs: 1,
        reason: '',
        idempotencyKey: 'k',
      },
      0,
    );
    t.ok(outcome.ok);
    t.throws(() => hq.db.prepare("UPDATE operations SET actor = 'x'").run(), /append-only/);
    t.throws(() => hq.db.prepare('DELETE FROM operations').run(), /6 years/);
    t.equal((await store.read('station:S1')).length, 1);
  },
);
