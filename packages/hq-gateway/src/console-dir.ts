// Where the built HQ console is (issue 12): the gateway serves packages/hq-console/dist under
// /console/ when that package is installed and built. Read at start-up only (main.ts wiring).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The built console of the installed @bianmin/hq-console package, or undefined when not built. */
export function defaultConsoleDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@bianmin/hq-console/package.json');
    const dir = join(dirname(manifest), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** GatewayOptions.consoleDir as ApiDeps wants it: a path (checked when served), or nothing. */
export function consoleDirOption(option: string | null | undefined): { consoleDir?: string } {
  if (option === null) return {};
  const dir = option ?? defaultConsoleDir();
  return dir === undefined ? {} : { consoleDir: dir };
}
