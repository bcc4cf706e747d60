#!/usr/bin/env node
// The `kiosk` CLI for field technicians (docs/operations.md): provision, config check, doctor,
// test card|pinpad, keys load. The work happens in run.ts; this file only wires the process.
import { processIo } from './io.js';
import { runKiosk } from './run.js';

const io = processIo();
runKiosk(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A programmer error: crash loudly with the stack (STYLE.md kind 1).
    process.stderr.write(`kiosk: internal error\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
