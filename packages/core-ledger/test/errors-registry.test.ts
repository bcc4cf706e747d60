// Goal: the code registry (src/errors.ts) and docs/errors/core-ledger.md list the same codes with
// the same meanings, in the same (precedence) order. Method: parse the doc's table and compare.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  codePrecedence,
  LEDGER_CODE_LIST,
  LEDGER_CODES,
  LedgerAssertionError,
  sortByPrecedence,
} from '../src/index.js';

const docPath = fileURLToPath(new URL('../../../docs/errors/core-ledger.md', import.meta.url));

t.test('registry = docs/errors/core-ledger.md', async (t) => {
  const rows = readFileSync(docPath, 'utf8')
    .split('\n')
    .filter((line) => /^\| LEDGER_[A-Z_]+ \|/.test(line))
    .map((line) => line.split('|').map((cell) => cell.trim()));
  t.same(
    rows.map((cells) => cells[1]),
    [...LEDGER_CODE_LIST],
    'same codes, same order',
  );
  for (const cells of rows)
    t.equal(cells[2], LEDGER_CODES[cells[1] as keyof typeof LEDGER_CODES], String(cells[1]));
  t.ok(
    LEDGER_CODE_LIST.every((code) => code.startsWith('LEDGER_')),
    'prefixed LEDGER_',
  );
});

t.test('R21 precedence is the registry order', async (t) => {
  t.same(sortByPrecedence(['LEDGER_QUOTA_INSUFFICIENT', 'LEDGER_STATION_UNKNOWN']), [
    'LEDGER_STATION_UNKNOWN',
    'LEDGER_QUOTA_INSUFFICIENT',
  ]);
  t.throws(() => codePrecedence('LEDGER_NOPE' as never), LedgerAssertionError);
});
