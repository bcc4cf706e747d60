// Fills the release builder's cache (node_modules/.cache/bianmin-release) from scripts/bootstrap.sh:
// the arm64 cross-compiled addons and both Node runtimes. A fresh clone pays the ~1 minute of
// cross-compiling once here, next to npm ci, instead of inside the arm64 smoke test's time budget;
// when everything is cached this takes well under a second.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arm64Addon, compiledAddons } from './native.ts';
import { nodeRuntime } from './node-runtime.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'bianmin-release');
for (const addon of compiledAddons)
  arm64Addon(repoRoot, cacheDir, addon, join(repoRoot, 'node_modules', addon.name));
for (const arch of ['arm64', 'x64'] as const) nodeRuntime(cacheDir, arch, process.versions.node);
