// `npm run fleet -- --stations N [--gateways G] [--topology single|cluster] [--seed S] [--kills]
//   [--transactions T] [--day-seconds D] [--offline-share F] [--auth-wait-ms MS] [--no-raw]
//   [--json FILE]`: the fleet simulation of issue 14 (run.ts), its summary on stdout, exit code 0
// only when the exactly-once check passed (and every kill recovered).
import { writeFileSync } from 'node:fs';
import { authWaitMsDefault, stationsMax } from './limits.js';
import { runFleet } from './run.js';
import { summaryLines } from './summary.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

function intFlag(name: string, fallback: number, min: number, max: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    process.stderr.write(`--${name} must be an integer ${min}..${max}, got ${text}\n`);
    process.exit(2);
  }
  return value;
}

const topology = flag('topology') ?? 'single';
if (topology !== 'single' && topology !== 'cluster') {
  process.stderr.write(`--topology must be single or cluster, got ${topology}\n`);
  process.exit(2);
}
const stations = intFlag('stations', 500, 1, stationsMax);
const offlineShare = Number(flag('offline-share') ?? 0.2);
if (!(offlineShare >= 0 && offlineShare <= 1)) {
  process.stderr.write('--offline-share must be 0..1\n');
  process.exit(2);
}
const result = await runFleet({
  stations,
  gateways: intFlag('gateways', topology === 'cluster' ? 3 : 1, 1, 16),
  topology,
  seed: intFlag('seed', 14, 0, 2 ** 31),
  kills: process.argv.includes('--kills'),
  transactionCount: intFlag('transactions', 20, 1, 198),
  dayMs: intFlag('day-seconds', 60, 1, 24 * 3_600) * 1000,
  offlineShare,
  authWaitMs: intFlag('auth-wait-ms', authWaitMsDefault, 1_000, 600_000),
  raw: !process.argv.includes('--no-raw'),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${summaryLines(result).join('\n')}\n`);
const json = flag('json');
if (json !== undefined) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
const recovered = result.recoveries.every((recovery) => recovery.recoveredMs !== null);
process.exit(result.check.ok && recovered ? 0 : 1);
