// One SoftHSM2 token per kiosk, as each kiosk has its own UK key: a private SOFTHSM2_CONF and
// token directory under the kiosk's folder (SOFTHSM2_CONF is process-wide for the library, which
// is one reason every kiosk runs as its own process). The user PIN goes to a 0600 file, the way
// the device config reads it (never an argument, never logged).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const softhsmModulePath = '/usr/lib/softhsm/libsofthsm2.so';

export interface KioskToken {
  readonly confPath: string;
  readonly label: string;
  readonly userPinFile: string;
  /** Environment for a process that must see this token (and only it). */
  readonly env: NodeJS.ProcessEnv;
}

export function initKioskToken(dir: string, label: string, userPin: string, soPin: string): KioskToken {
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir, { recursive: true });
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', userPin, '--so-pin', soPin],
    {
      env,
      stdio: 'pipe',
    },
  );
  const userPinFile = join(dir, 'user-pin');
  writeFileSync(userPinFile, `${userPin}\n`, { mode: 0o600 });
  return { confPath, label, userPinFile, env };
}
