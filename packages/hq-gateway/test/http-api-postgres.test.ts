// Goal: every HTTP API test of http-api.test.ts holds with HQ's store on PostgreSQL (issue 11: API
// tests over real HTTP against PostgreSQL). Method: the same test file, its fixture switched to a
// PostgreSQL database of its own (HQ_TEST_STORE=postgres; helpers/hq-memory-fixture.ts), dropped
// after; no PostgreSQL = a failure.
import t from 'tap';

process.env.HQ_TEST_STORE = 'postgres';
t.equal(process.env.HQ_TEST_STORE, 'postgres', 'the fixture runs on PostgreSQL');
await import('./http-api.test.js');
