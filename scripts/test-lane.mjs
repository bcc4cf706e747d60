// One lane of the unit layer (npm run test:unit): a single tap test process that runs many test
// files, one after another, each as its own tap subtest named by its path. Why: a unit test file
// runs in ~0.3 s, but a process of its own costs ~1.2 s of CPU before its first line (node, tap's
// loaders, tsx); over ~60 files that start-up was most of the layer's time on 2 cores.
// Isolation: each file is loaded with tap's mockImport, with 'tap' mocked by the file's subtest,
// so the file's `import t from 'tap'` gets that subtest (its tests, teardowns and counts land under
// it) and the file gets fresh copies of the local modules it imports. Files share the process
// (globals, env, native handles); unit files start no real component (scripts/test-layers.mjs).
// Lanes share one queue: scripts/test.sh writes the file list to $BIANMIN_TEST_QUEUE/files.txt
// and each lane claims the next file by creating claim-<index> there (mkdir is atomic), so the
// lanes stay busy until the list is done, whatever each file costs.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';

const queueDir = process.env.BIANMIN_TEST_QUEUE;
if (queueDir === undefined || queueDir === '') throw new Error('test-lane: BIANMIN_TEST_QUEUE is not set');
const repoRoot = resolve(import.meta.dirname, '..');
const files = readFileSync(join(queueDir, 'files.txt'), 'utf8').split('\n').filter(Boolean);

/** Each file keeps the per-file bound tap gives a test process (.taprc `timeout`, seconds). */
const taprc = readFileSync(join(repoRoot, '.taprc'), 'utf8');
const fileTimeoutSeconds = Number(/^timeout:\s*(\d+)\s*$/m.exec(taprc)?.[1]);
if (!Number.isSafeInteger(fileTimeoutSeconds) || fileTimeoutSeconds <= 0) {
  throw new Error('test-lane: .taprc has no `timeout: <seconds>` line');
}

/** True when this lane took file `index` (no other lane has). */
function claim(index) {
  try {
    mkdirSync(join(queueDir, `claim-${index}`));
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

for (const [index, file] of files.entries()) {
  if (!claim(index)) continue;
  await t.test(file, { timeout: fileTimeoutSeconds * 1000 }, async (fileTest) => {
    await fileTest.mockImport(resolve(repoRoot, file), { tap: fileTest });
  });
}
