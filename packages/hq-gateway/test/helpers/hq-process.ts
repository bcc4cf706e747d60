// `hq` as a child process for tests that kill it: writes an HQ config (key file, TPK file, MQTT
// password file, SQLite path) into a temp dir, runs `hq serve` through tsx, and resolves when it
// prints "ready". SIGKILL and restart on the same files simulate a crash.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateHqKeyPem } from '../../src/adapters/crypto/hq-key.js';

export const hqCliPath = fileURLToPath(new URL('../../src/cli/hq.ts', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface HqFiles {
  readonly configPath: string;
  readonly dbPath: string;
  readonly hqPublicKeyPem: string;
  readonly tpk: Uint8Array;
}

export function writeHqConfig(
  dir: string,
  brokerUrl: string,
  hqPassword: string,
  extra: object = {},
): HqFiles {
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const tpk = new Uint8Array(randomBytes(16));
  writeFileSync(join(dir, 'hq-key.pem'), privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'tpk.hex'), Buffer.from(tpk).toString('hex'), { mode: 0o600 });
  writeFileSync(join(dir, 'mqtt-password'), hqPassword, { mode: 0o600 });
  const configPath = join(dir, 'hq.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      dbPath: 'hq.sqlite',
      brokerUrl,
      mqttUsername: 'hq',
      mqttPasswordFile: 'mqtt-password',
      clientId: 'hq-gateway-test',
      hqKeyFile: 'hq-key.pem',
      tpkFile: 'tpk.hex',
      calendarDir: join(repoRoot, 'data/calendar'),
      verifyWorkers: 1,
      logLevel: 'warn',
      ...extra,
    }),
  );
  return { configPath, dbPath: join(dir, 'hq.sqlite'), hqPublicKeyPem: publicKeyPem, tpk };
}

/** Run an `hq` command to completion; returns exit code and output. */
export async function runHqCli(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', hqCliPath, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode ?? -1)),
  );
  return { code, stdout, stderr };
}

/** Start `hq serve`; resolves once it printed "ready". */
export async function startHqServe(configPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', hqCliPath, 'serve', '--config', configPath], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`hq serve exited (${code}): ${stderr}`)));
  });
  return child;
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function stopGracefully(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? -1;
  return await new Promise<number>((resolve) => {
    child.once('exit', (code) => resolve(code ?? -1));
    child.kill('SIGTERM');
  });
}
