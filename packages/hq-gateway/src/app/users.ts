// HQ's API users and sessions (issue 11), shared by `hq user add` and the HTTP API: add a user
// (name, role, branch for a branch office, scrypt-hashed password), log in (rate-limited per user
// and per address, then the password checked), bearer sessions (32 random bytes, stored as their
// SHA-256, fixed expiry sessionTtlMs), log out.
import { createHash, randomBytes } from 'node:crypto';
import { type Actor, isRole, type Role, roles } from '../domain/roles.js';
import { HqError, type HqProblem } from '../errors.js';
import {
  passwordCharsMax,
  passwordCharsMin,
  sessionTokenBytes,
  sessionTtlMs,
  userNameCharsMax,
} from '../limits.js';
import type { TimeSource } from '../ports/clock.js';
import type { OpsStore, UserRecord } from '../ports/ops-store.js';
import type { LoginLimiter } from './login-limiter.js';
import { hashPassword, passwordCostDefault, type ScryptCost, verifyPassword } from './passwords.js';

export const userNamePattern = `^[a-z0-9._-]{3,${userNameCharsMax}}$`;
export const branchIdPattern = '^[A-Za-z0-9_-]{1,32}$';

export interface NewUser {
  readonly userName: string;
  readonly role: string;
  readonly branchId?: string;
  readonly password: string;
}

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class UserService {
  readonly #store: OpsStore;
  readonly #clock: TimeSource;
  readonly #limiter: LoginLimiter;
  readonly #cost: ScryptCost;
  /** A hash to check against when the user does not exist, so both paths cost one scrypt. */
  #decoyHash: Promise<string> | undefined;

  constructor(
    store: OpsStore,
    clock: TimeSource,
    limiter: LoginLimiter,
    cost: ScryptCost = passwordCostDefault,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#limiter = limiter;
    this.#cost = cost;
  }

  /** Every problem with the new user at once (R21), HQ_USER_INVALID; a taken name HQ_USER_EXISTS. */
  async addUser(input: NewUser, createdBy: string): Promise<Omit<UserRecord, 'passwordHash'>> {
    const problems: HqProblem[] = [];
    const problem = (field: string, message: string): void => {
      problems.push({ code: 'HQ_USER_INVALID', field, message: `${field}: ${message}` });
    };
    if (!new RegExp(userNamePattern).test(input.userName))
      problem('user', `3..${userNameCharsMax} of [a-z0-9._-]`);
    if (!isRole(input.role)) problem('role', `one of ${roles.join(', ')}`);
    if (
      input.role === 'branch' &&
      (input.branchId === undefined || !new RegExp(branchIdPattern).test(input.branchId))
    )
      problem('branch', 'a branch user needs its branch id (1..32 of [A-Za-z0-9_-])');
    if (input.role !== 'branch' && input.branchId !== undefined)
      problem('branch', 'only a branch user has a branch');
    const length = [...input.password].length;
    if (length < passwordCharsMin || length > passwordCharsMax)
      problem('password', `${passwordCharsMin}..${passwordCharsMax} characters`);
    if (problems.length > 0) throw new HqError('HQ_USER_INVALID', 'the user is invalid', { problems });
    const user: UserRecord = {
      userName: input.userName,
      role: input.role as Role,
      branchId: input.role === 'branch' ? (input.branchId ?? null) : null,
      passwordHash: await hashPassword(input.password, this.#cost),
      createdAtMs: this.#clock.nowMs(),
      createdBy,
    };
    if ((await this.#store.addUser(user)) === 'exists') {
      const message = `user ${input.userName} already exists`;
      throw new HqError('HQ_USER_EXISTS', message, {
        problems: [{ code: 'HQ_USER_EXISTS', field: 'user', message }],
      });
    }
    const { passwordHash: _, ...shown } = user;
    return shown;
  }

  /** A bearer token and its expiry; HQ_LOGIN_RATE_LIMITED or HQ_AUTH_FAILED (never which part was wrong). */
  async login(
    userName: string,
    password: string,
    address: string,
  ): Promise<{ token: string; expiresAtMs: number; actor: Actor }> {
    if (!(await this.#limiter.attempt(userName, address))) {
      throw new HqError('HQ_LOGIN_RATE_LIMITED', 'too many login attempts: try again later', {
        details: { userName },
      });
    }
    const user = await this.#store.getUser(userName);
    this.#decoyHash ??= hashPassword(randomBytes(16).toString('hex'), this.#cost);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.#decoyHash));
    if (user === undefined || !ok) {
      throw new HqError('HQ_AUTH_FAILED', 'unknown user or wrong password', { details: { userName } });
    }
    await this.#limiter.succeeded(userName);
    const token = randomBytes(sessionTokenBytes).toString('base64url');
    const createdAtMs = this.#clock.nowMs();
    const expiresAtMs = createdAtMs + sessionTtlMs;
    await this.#store.saveSession({ tokenSha256: tokenSha256(token), userName, createdAtMs, expiresAtMs });
    return { token, expiresAtMs, actor: actorOf(user) };
  }

  /** The actor behind a bearer token; HQ_AUTH_REQUIRED when unknown or expired. */
  async authenticate(token: string): Promise<Actor> {
    const found = await this.#store.getSession(tokenSha256(token));
    if (found === undefined || found.session.expiresAtMs <= this.#clock.nowMs()) {
      throw new HqError('HQ_AUTH_REQUIRED', 'the session is unknown or expired: log in again');
    }
    return actorOf(found.user);
  }

  async logout(token: string): Promise<void> {
    await this.#store.deleteSession(tokenSha256(token));
  }
}

function actorOf(user: UserRecord): Actor {
  return { userName: user.userName, role: user.role, branchId: user.branchId };
}
