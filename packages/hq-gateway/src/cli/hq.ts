#!/usr/bin/env node
// The `hq` CLI for HQ operators. Commands arrive with the end-to-end issue.
process.stdout.write('hq: the HQ gateway CLI\n\nUsage: hq <command> [--help] [--json]\n');
