#!/usr/bin/env node
// The `kiosk` CLI for field technicians. Commands arrive with the kiosk-peripherals issue.
process.stdout.write('kiosk: the field technician CLI\n\nUsage: kiosk <command> [--help] [--json]\n');
