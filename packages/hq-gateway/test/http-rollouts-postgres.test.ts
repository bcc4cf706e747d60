// Goal: releases, station groups and rollouts on the HTTP API (http-rollouts.test.ts) behave the
// same with HQ's store on PostgreSQL. Method: the same test file, its fixture switched to a
// PostgreSQL database of its own (HQ_TEST_STORE=postgres), dropped after; no PostgreSQL = a failure.
import t from 'tap';

process.env.HQ_TEST_STORE = 'postgres';
t.equal(process.env.HQ_TEST_STORE, 'postgres', 'the fixture runs on PostgreSQL');
await import('./http-rollouts.test.js');
