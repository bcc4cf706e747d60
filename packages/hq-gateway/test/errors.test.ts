// Goal: the HQ error registry and docs/errors/hq-gateway.md list exactly the same codes, each
// prefixed HQ_, and HqError carries code, cause, details and every problem. Method: parse the
// doc's table and compare it with the registry.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HqError, hqCodes, isHqCode } from '../src/errors.js';

t.test('registry equals docs/errors/hq-gateway.md', async (t) => {
  const doc = readFileSync(
    fileURLToPath(new URL('../../../docs/errors/hq-gateway.md', import.meta.url)),
    'utf8',
  );
  const documented = [...doc.matchAll(/^\| (HQ_[A-Z0-9_]+) \|/gm)].map((m) => m[1]);
  t.same([...documented].sort(), Object.keys(hqCodes).sort());
  t.equal(new Set(documented).size, documented.length, 'each code documented once');
  t.ok(Object.keys(hqCodes).every((code) => /^HQ_[A-Z0-9_]+$/.test(code)));
});

t.test('HqError carries code, cause, details and problems', async (t) => {
  const cause = new Error('disk full');
  const error = new HqError('HQ_STORE_FAILED', 'cannot commit', { cause, details: { events: 3 } });
  t.equal(error.code, 'HQ_STORE_FAILED');
  t.equal(error.cause, cause);
  t.same(error.details, { events: 3 });
  t.same(error.problems, [{ code: 'HQ_STORE_FAILED', message: 'cannot commit' }]);
  t.same(JSON.parse(JSON.stringify(error)).code, 'HQ_STORE_FAILED');
  t.ok(isHqCode('HQ_CLI_USAGE'));
  t.notOk(isHqCode('LEDGER_OK'));
});
