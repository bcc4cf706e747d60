// Goal: the SQLite adapter keeps every promise of the Store and IntegrityStore ports. Method: the
// shared contract suite (contract.ts) on a temp SQLite file per case.
import t from 'tap';
import { storeContract } from './contract.js';
import { sqliteFactory } from './factories.js';

storeContract(t, sqliteFactory);
