#!/usr/bin/env node
// PIN pad simulator process: node dist/sim/pin-pad-sim.js --port PATH [--script FILE.json]
// (see sim-process.ts for the control and status lines, docs/serial-protocol.md for the script).
import { runSimProcess } from './sim-process.js';

runSimProcess('pin-pad', process.argv.slice(2));
