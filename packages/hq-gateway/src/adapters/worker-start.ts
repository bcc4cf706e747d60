// Starting a worker thread from this package, whether it runs from dist/ (JavaScript) or from its
// TypeScript sources (tests and benches through tsx).
import { Worker } from 'node:worker_threads';

/**
 * A worker running `moduleUrl`. From TypeScript sources, Node 20 may load a worker's entry before
 * `--import tsx` hooks are registered, so a tiny bootstrap registers tsx, then imports it.
 */
export function startModuleWorker(moduleUrl: URL, workerData?: unknown): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/** The URL of a sibling module of `here`, with the extension `here` has (.ts from sources, .js from dist). */
export function siblingModule(here: string, baseName: string): URL {
  return new URL(`./${baseName}${here.endsWith('.ts') ? '.ts' : '.js'}`, here);
}
