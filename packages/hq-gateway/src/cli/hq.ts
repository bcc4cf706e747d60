#!/usr/bin/env node
// The `hq` CLI for HQ operators (docs/hq.md): serve, station enrol, config send, quota purchase,
// status, report daily, audit signatures, key generate, bank seed. The work happens in run.ts and
// commands/<name>.ts; this file only wires the process. Config: --config FILE or $HQ_CONFIG.
import { runHq } from './run.js';

export { runHq } from './run.js';

const invokedDirectly = process.argv[1] !== undefined && /hq(\.ts|\.js)?$/.test(process.argv[1]);
if (invokedDirectly) {
  runHq(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // A programmer error: crash loudly with the stack (STYLE.md kind 1).
      process.stderr.write(`hq: internal error\n${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
