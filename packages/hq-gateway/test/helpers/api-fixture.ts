// Shared set-up for the HTTP API tests (issue 11): the whole gateway in-process (hq-memory-fixture)
// with stations S1 (branch B1), S2 (branch B2), S3 (branch B1), the API listening on a free port
// of 127.0.0.1 (real HTTP), one user per role (a cheap scrypt cost: the cost is stored with each
// hash), and a logged-in token for each. The store is SQLite, or PostgreSQL with
// HQ_TEST_STORE=postgres (the *-postgres.test.ts files set it and run the same tests):
// `otherProcess()` opens the same store as another HQ process would, `sql()` runs a raw statement
// on it (a tampering test).
import type { FastifyInstance } from 'fastify';
import { listenApi } from '../../src/adapters/http/server.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { LoginLimiter } from '../../src/app/login-limiter.js';
import { UserService } from '../../src/app/users.js';
import { type Role, roles } from '../../src/domain/roles.js';
import { type OpenedStore, openHqStore } from '../../src/main.js';
import { type HqFixture, startHqFixture, type TestStoreKind } from './hq-memory-fixture.js';

export const cheapCost = { n: 1024, r: 8, p: 1 };
export const password = 'correct horse battery';

export interface ApiFixture {
  readonly hq: HqFixture;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly tokens: Record<Role, string>;
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; rawBody?: string; contentType?: string },
  ): Promise<{ status: number; contentType: string; text: string; bytes: Buffer; json: Any }>;
  /** The gateway's store opened anew, as the CLI (another process) opens it; close it after. */
  otherProcess(): Promise<OpenedStore>;
  /** Run one raw SQL statement on the gateway's database (SQLite or PostgreSQL). */
  sql(statement: string): Promise<void>;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely.
export type Any = any;

/** `store`: default $HQ_TEST_STORE, else SQLite (hq-memory-fixture.ts). */
export async function startApiFixture(options: { store?: TestStoreKind } = {}): Promise<ApiFixture> {
  const hq = await startHqFixture(
    ['S1', 'S2', 'S3'],
    options.store === undefined ? {} : { store: options.store },
  );
  const gateway = hq.gateway;
  await gateway.ops.setStationBranch('S1', 'B1');
  await gateway.ops.setStationBranch('S2', 'B2');
  await gateway.ops.setStationBranch('S3', 'B1');
  const adder = new UserService(
    gateway.ops,
    { nowMs: () => Date.now() },
    new LoginLimiter({ nowMs: () => 0 }),
    cheapCost,
  );
  for (const role of roles) {
    await adder.addUser(
      { userName: `u-${role}`, role, password, ...(role === 'branch' ? { branchId: 'B1' } : {}) },
      'test',
    );
  }
  const { app, url } = await listenApi(gateway.api, '127.0.0.1:0');
  const call: ApiFixture['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: Any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text,
      bytes,
      json,
    };
  };
  const tokens = {} as Record<Role, string>;
  for (const role of roles) {
    const login = await call('POST', '/api/v1/session', { body: { user: `u-${role}`, password } });
    if (login.status !== 200) throw new Error(`login ${role}: ${login.text}`);
    tokens[role] = login.json.token;
  }
  return {
    hq,
    app,
    url,
    tokens,
    call,
    otherProcess: () => openHqStore(hq.storeConfig),
    async sql(statement) {
      const store = hq.gateway.store;
      if (store instanceof SqliteStore) store.db.prepare(statement).run();
      else if (store instanceof PostgresStore) await store.pool.query(statement);
      else throw new Error('sql(): unknown store');
    },
    async close() {
      await app.close();
      await hq.close();
    },
  };
}
