// Goal: the PostgreSQL adapter keeps every promise of the Store and IntegrityStore ports, exactly
// as the SQLite adapter does. Method: the shared contract suite (contract.ts), each case on a
// database of its own created on 127.0.0.1:5432 and dropped after; no PostgreSQL = a failure.
import t from 'tap';
import { storeContract } from './contract.js';
import { postgresFactory } from './factories.js';

storeContract(t, postgresFactory);
