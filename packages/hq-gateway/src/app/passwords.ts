// Password hashing for HQ's API users (issue 11): node:crypto scrypt with the cost in limits.ts,
// stored as 'scrypt$N$r$p$salt$hash' (base64url) so a later cost still verifies old hashes; the
// comparison is constant-time. A password is never logged, stored or echoed.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  passwordKeyBytes,
  passwordSaltBytes,
  passwordScryptMaxmemBytes,
  passwordScryptN,
  passwordScryptP,
  passwordScryptR,
} from '../limits.js';

export interface ScryptCost {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

export const passwordCostDefault: ScryptCost = { n: passwordScryptN, r: passwordScryptR, p: passwordScryptP };

function derive(password: string, salt: Buffer, cost: ScryptCost, keyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      keyBytes,
      { N: cost.n, r: cost.r, p: cost.p, maxmem: passwordScryptMaxmemBytes },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}

export async function hashPassword(
  password: string,
  cost: ScryptCost = passwordCostDefault,
): Promise<string> {
  const salt = randomBytes(passwordSaltBytes);
  const key = await derive(password, salt, cost, passwordKeyBytes);
  return ['scrypt', cost.n, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches the stored hash; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isSafeInteger(v) && v > 0)) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length === 0) return false;
  const key = await derive(password, salt, { n, r, p }, expected.length);
  return timingSafeEqual(key, expected);
}
