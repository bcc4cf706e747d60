// Goal: the role matrix of http-roles.test.ts (every route × role cell) holds with HQ's store on
// PostgreSQL. Method: the same test file, its fixture switched to a PostgreSQL database of its own
// (HQ_TEST_STORE=postgres; helpers/hq-memory-fixture.ts), dropped after; no PostgreSQL = a failure.
import t from 'tap';

process.env.HQ_TEST_STORE = 'postgres';
t.equal(process.env.HQ_TEST_STORE, 'postgres', 'the fixture runs on PostgreSQL');
await import('./http-roles.test.js');
