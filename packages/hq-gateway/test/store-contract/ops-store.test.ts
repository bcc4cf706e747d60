// Goal: the OpsStore port (users, sessions, audit chain, alerts, branches, control version) keeps
// the same promises on SQLite and PostgreSQL, including with two processes on one database (one
// audit chain, one open alert, shared sessions and control version). Method: the shared contract
// (helpers/ops-store-contract.ts) on a temp SQLite file and on a PostgreSQL database of its own per
// case (hq-port-factories.ts), a second handle being a second connection or pool.
import t from 'tap';
import { type OpsFactory, opsStoreContract } from '../helpers/ops-store-contract.js';
import { type HqPortsFactory, postgresPorts, sqlitePorts } from './hq-port-factories.js';

const opsFactory = (ports: HqPortsFactory): OpsFactory => ({
  name: ports.name,
  async create() {
    const instance = await ports.create();
    return {
      async open() {
        const opened = await instance.open();
        return { ops: opened.ops, close: () => opened.close() };
      },
      remove: () => instance.remove(),
    };
  },
});

opsStoreContract(t, opsFactory(sqlitePorts));
opsStoreContract(t, opsFactory(postgresPorts));
