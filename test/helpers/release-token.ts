// Test helper: an HQ release key on its own SoftHSM2 token (its own SOFTHSM2_CONF and token
// folder in a temp dir), made with softhsm2-util and pkcs11-tool as an HQ operator would, and the
// release builder (scripts/release/build.ts) run as a child process against it. The private key
// stays in the token; the public key is read back as SPKI for HQ to trust. A missing tool fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const softhsmModuleX64 = '/usr/lib/softhsm/libsofthsm2.so';
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ReleaseToken {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly tokenLabel: string;
  readonly pinFile: string;
  readonly publicKeyPem: string;
  /** Where a PEM of the public key was written (for `hq release publish --release-key`). */
  readonly publicKeyFile: string;
  close(): void;
}

export function startReleaseToken(tokenLabel = 'HQ-RELEASE'): ReleaseToken {
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-release-token-'));
  mkdirSync(join(dir, 'tokens'));
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(
    confPath,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  const pin = '402117';
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', '88112233'],
    {
      env,
      stdio: 'pipe',
    },
  );
  const tool = (...args: string[]) =>
    execFileSync('pkcs11-tool', ['--module', softhsmModuleX64, '--token-label', tokenLabel, ...args], {
      env,
      stdio: 'pipe',
    });
  tool(
    '--login',
    '--pin',
    pin,
    '--keypairgen',
    '--key-type',
    'EC:prime256v1',
    '--label',
    'hq-release',
    '--id',
    '01',
  );
  const derFile = join(dir, 'release.pub.der');
  tool('--read-object', '--type', 'pubkey', '--id', '01', '-o', derFile);
  const publicKeyPem = createPublicKey({ key: readFileSync(derFile), format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
  const publicKeyFile = join(dir, 'release.pub.pem');
  writeFileSync(publicKeyFile, publicKeyPem);
  const pinFile = join(dir, 'pin');
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  return {
    dir,
    env,
    tokenLabel,
    pinFile,
    publicKeyPem,
    publicKeyFile,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface BuildRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON line the builder printed (ok or the error), or null. */
  readonly result: Record<string, unknown> | null;
}

/** Runs `npm run release` (scripts/release/build.ts through tsx) with the token's flags. */
export function runReleaseBuild(token: ReleaseToken, args: readonly string[]): BuildRun {
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'scripts/release/build.ts'),
      '--token-module',
      softhsmModuleX64,
      '--token-label',
      token.tokenLabel,
      '--pin-file',
      token.pinFile,
      ...args,
    ],
    { cwd: repoRoot, env: token.env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
  let result: Record<string, unknown> | null = null;
  for (const text of [run.stdout, run.stderr]) {
    try {
      result ??= JSON.parse(lastLine(text)) as Record<string, unknown>;
    } catch {
      // not a JSON line: tsc output or a crash; the caller asserts on status and stderr
    }
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, result };
}
