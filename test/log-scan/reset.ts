// tap `before` hook (.taprc): drops log files older than a window from the suite's log directory
// (BIANMIN_LOG_DIR, set for every test process by .taprc `test-env`), so test/log-scan.test.ts
// judges recent lines only. Not a full wipe: on a shared machine several tap runs overlap, and
// wiping would delete another run's lines before its own scan.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suiteLogDir } from './detect.js';

/** A whole suite run fits well inside this; older files belong to finished runs. */
const keepMsMax = 15 * 60 * 1000;

// tap gives `test-env` to test processes only, not to this hook: fall back to the same path.
const dir = process.env.BIANMIN_LOG_DIR ?? suiteLogDir;
mkdirSync(dir, { recursive: true });
const nowMs = Date.now();
for (const entry of readdirSync(dir)) {
  const path = join(dir, entry);
  // Another run's file may go between the listing and the stat (an overlapping run's own reset).
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats !== undefined && nowMs - stats.mtimeMs > keepMsMax)
    rmSync(path, { recursive: true, force: true });
}
