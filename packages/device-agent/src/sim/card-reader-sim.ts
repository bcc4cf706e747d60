#!/usr/bin/env node
// Card reader simulator process: node dist/sim/card-reader-sim.js --port PATH [--script FILE.json]
// (see sim-process.ts for the control and status lines, docs/serial-protocol.md for the script).
import { runSimProcess } from './sim-process.js';

runSimProcess('card-reader', process.argv.slice(2));
