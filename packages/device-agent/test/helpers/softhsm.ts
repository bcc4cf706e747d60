// A real SoftHSM2 token for integration tests: its own SOFTHSM2_CONF and token directory in a temp
// dir, initialised with softhsm2-util (which puts it on a random slot: callers find it by label).
// SOFTHSM2_CONF is process-wide for the library, so a test file uses one SoftHSM set-up at a time;
// the env var is set for this process and handed to CLI child processes via `env`.
// `pull()` moves the token's directory away (the token vanishes after the next C_Initialize) and
// `plugBack()` restores it. A missing softhsm2-util makes the test fail, never skip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const softhsmModulePath = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly dir: string;
  readonly confPath: string;
  readonly label: string;
  readonly userPin: string;
  readonly soPin: string;
  /** Token serial number as the token reports it. */
  readonly serial: string;
  /** A file holding the user PIN (mode 0600), for configs with `userPin.file`. */
  readonly pinFile: string;
  /** Env to give a child process so it sees this token. */
  readonly env: NodeJS.ProcessEnv;
  pull(): void;
  plugBack(): void;
  close(): void;
}

export function startSoftHsm(options: { label?: string; userPin?: string } = {}): SoftHsmToken {
  const label = options.label ?? 'KIOSK-UK';
  const userPin = options.userPin ?? '648219';
  const soPin = '73519902';
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  const awayDir = join(dir, 'away');
  mkdirSync(tokenDir);
  mkdirSync(awayDir);
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  process.env.SOFTHSM2_CONF = confPath;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', userPin, '--so-pin', soPin],
    { env, stdio: 'pipe' },
  );
  const listing = execFileSync('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' });
  const serial = findSerial(listing, label);
  const pinFile = join(dir, 'user-pin');
  writeFileSync(pinFile, `${userPin}\n`, { mode: 0o600 });
  let tokenEntries: string[] = [];
  return {
    dir,
    confPath,
    label,
    userPin,
    soPin,
    serial,
    pinFile,
    env,
    pull() {
      tokenEntries = readdirSync(tokenDir);
      for (const entry of tokenEntries) renameSync(join(tokenDir, entry), join(awayDir, entry));
    },
    plugBack() {
      for (const entry of tokenEntries) renameSync(join(awayDir, entry), join(tokenDir, entry));
      tokenEntries = [];
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function findSerial(listing: string, label: string): string {
  // softhsm2-util --show-slots prints blocks with "Label:" and "Serial number:" lines.
  const blocks = listing.split(/\nSlot /u);
  for (const block of blocks) {
    const labelMatch = /Label:\s+(.*)/u.exec(block);
    const serialMatch = /Serial number:\s+(\S+)/u.exec(block);
    if (labelMatch?.[1]?.trim() === label && serialMatch?.[1] !== undefined) return serialMatch[1];
  }
  throw new Error(`softhsm2-util --show-slots lists no token labelled ${label}`);
}
