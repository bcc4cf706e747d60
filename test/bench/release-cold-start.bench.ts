// Release bench (issue 13): the kiosk bundle's size, and the agent's cold start on arm64 under
// qemu-user-static emulation as a ratio to x64 natively, measured alternately in the same run.
// Cold start = a new process of the bundle's own Node that loads the whole agent (dist/main.js
// and its dependency graph: SQLite, PKCS#11 and serial addons, mqtt, pino, protobufjs) and exits;
// and `kiosk --version` (the CLI's start). Both bundles are built first (npm run release, a
// SoftHSM release token; warm cache: seconds). Emulation is not an arm64 board: the ratio says
// what the bundle costs under qemu on this host, a real Cortex-A53 differs (docs/performance.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReleaseManifest } from '@bianmin/wire';
import { runReleaseBuild, startReleaseToken } from '../helpers/release-token.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'bianmin-release-bench-'));
const token = startReleaseToken('BENCH-RELEASE');
try {
  const bundles: Record<string, string> = {};
  for (const arch of ['x64', 'arm64']) {
    const build = runReleaseBuild(token, ['--arch', arch, '--out', join(dir, 'out')]);
    if (build.status !== 0) throw new Error(`build ${arch} failed: ${build.stderr}`);
    bundles[arch] = String(build.result?.bundleDir);
  }
  console.log('bundle                         files   total MB   bin/node MB   app MB   tar.gz MB');
  for (const [arch, bundle] of Object.entries(bundles)) {
    const manifest = parseReleaseManifest(readFileSync(join(bundle, 'manifest.json')));
    const total = manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0);
    const node = manifest.files.find((file) => file.path === 'bin/node')?.sizeBytes ?? 0;
    const app = manifest.files
      .filter((file) => file.path.startsWith('app/'))
      .reduce((sum, file) => sum + file.sizeBytes, 0);
    const tarred = spawnSync('sh', ['-c', `tar -C "${bundle}" -cf - . | gzip -6 | wc -c`], {
      encoding: 'utf8',
    });
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1).padStart(8);
    console.log(
      `linux-${arch.padEnd(24)} ${String(manifest.files.length).padStart(5)} ${mb(total)}   ${mb(node)}    ${mb(app)}  ${mb(Number(tarred.stdout.trim()))}`,
    );
  }
  const timeMs = (command: string, args: string[]): number => {
    const startedNs = process.hrtime.bigint();
    const run = spawnSync(command, args, { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr}`);
    return Number(process.hrtime.bigint() - startedNs) / 1e6;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const load = (bundle: string) => [
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(join(bundle, 'app/node_modules/@bianmin/device-agent/dist/main.js'))})`,
  ];
  const samples: Record<string, number[]> = {
    'x64 agent load': [],
    'arm64 agent load': [],
    'x64 kiosk --version': [],
    'arm64 kiosk --version': [],
  };
  for (let round = 0; round < rounds; round++) {
    for (const arch of ['x64', 'arm64']) {
      const bundle = bundles[arch]!;
      samples[`${arch} agent load`]!.push(timeMs(join(bundle, 'bin/node'), load(bundle)));
      samples[`${arch} kiosk --version`]!.push(timeMs(join(bundle, 'bin/kiosk'), ['--version']));
    }
  }
  console.log(
    `\ncold start, median of ${rounds} alternating runs (ms)      x64 (baseline)   arm64 (qemu)   ratio`,
  );
  for (const what of ['agent load', 'kiosk --version']) {
    const x64 = median(samples[`x64 ${what}`]!);
    const arm64 = median(samples[`arm64 ${what}`]!);
    console.log(
      `${what.padEnd(52)} ${x64.toFixed(0).padStart(10)} ${arm64.toFixed(0).padStart(14)} ${(arm64 / x64).toFixed(1).padStart(8)}`,
    );
  }
} finally {
  token.close();
  rmSync(dir, { recursive: true, force: true });
}
