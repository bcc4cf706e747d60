// Goal: the station-network commands of network-cli.test.ts work end to end with HQ's store on
// PostgreSQL (they were refused there with HQ_CONFIG_INVALID before migration 0003), and HQ then
// writes no SQLite store file of its own. Method: the same test file with HQ_TEST_STORE=postgres
// (helpers/test-store.ts: a database of its own, dropped after); no PostgreSQL = a failure.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

process.env.HQ_TEST_STORE = 'postgres';
const before = new Set(readdirSync(tmpdir()));
await import('./network-cli.test.js');
t.test('no SQLite file beside the config on PostgreSQL', async (t) => {
  // Folders made since this file started whose config names PostgreSQL (other runs may overlap).
  const dirs = readdirSync(tmpdir())
    .filter((name) => name.startsWith('hq-network-') && !before.has(name))
    .map((name) => join(tmpdir(), name))
    .filter((dir) => readFileSync(join(dir, 'hq.json'), 'utf8').includes('"kind":"postgres"'));
  t.ok(dirs.length >= 1, 'the test folder of this run');
  for (const dir of dirs) {
    const files = readdirSync(dir);
    t.notOk(
      files.some((name) => name.endsWith('.sqlite')),
      `files: ${files.join(', ')}`,
    );
  }
});
