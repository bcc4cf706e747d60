// Seeded kill points for the SIGKILL tests: instead of killing a kiosk after a wall-clock delay,
// the agent process kills itself at a program point the test drew from its seeded PRNG — the nth
// journal write (before it commits, or right after) or right after the nth UK key signature — so
// a seed replays where every kill lands, whatever the machine's speed.
import type { KioskDb, Pkcs11Signer } from '@bianmin/device-agent';

export const killSites = ['append-before', 'append-after', 'sign'] as const;

export interface KillPoint {
  readonly site: (typeof killSites)[number];
  /** 1-based: the call at which the process dies. */
  readonly nth: number;
}

/** Wraps the journal's append or the signer's signDigest so the process dies at `killAt`. */
export function armKillPoint(db: KioskDb, signer: Pkcs11Signer, killAt: KillPoint): void {
  if (!Number.isSafeInteger(killAt.nth) || killAt.nth < 1) throw new Error('assert: kill point nth >= 1');
  let calls = 0;
  const die = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  if (killAt.site === 'sign') {
    const signDigest = signer.signDigest.bind(signer);
    signer.signDigest = async (digest: Uint8Array) => {
      const signature = await signDigest(digest);
      calls += 1;
      if (calls === killAt.nth) die();
      return signature;
    };
    return;
  }
  const append = db.append.bind(db);
  db.append = (entry) => {
    calls += 1;
    if (calls === killAt.nth && killAt.site === 'append-before') die();
    const row = append(entry);
    if (calls === killAt.nth && killAt.site === 'append-after') die();
    return row;
  };
}
