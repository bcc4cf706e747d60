// Shared set-up for HQ tests that need the whole gateway but not a broker: the gateway started
// in-process (startGateway) over an in-process broker (memory-broker.ts), an HQ key, a test TPK,
// the store, and simulated stations enrolled and attached. The store is a temp SQLite file, or with
// `store: 'postgres'` (default: $HQ_TEST_STORE, else sqlite) a PostgreSQL database of its own on
// 127.0.0.1:5432, dropped at close (the bank simulator then keeps its own SQLite file). The same
// shape as hq-fixture.ts (which uses the real broker, for the e2e layer); `until` waits on events.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BankAccountSeed } from '../../src/adapters/bank-sim/bank-sim.js';
import { generateHqKeyPem } from '../../src/adapters/crypto/hq-key.js';
import type { StationDefaults } from '../../src/app/operations.js';
import type { ReleaseCatalog } from '../../src/app/rollout-wire.js';
import type { StoreConfig } from '../../src/config.js';
import { type Gateway, startGateway } from '../../src/main.js';
import type { TimeSource } from '../../src/ports/clock.js';
import { createTestDatabase } from '../store-contract/factories.js';
import { MemoryBroker } from './memory-broker.js';
import { SimStation } from './station-sim.js';

export { until } from './until.js';

export type TestStoreKind = 'sqlite' | 'postgres';

/** The store the HQ tests run on: $HQ_TEST_STORE ('sqlite' or 'postgres'), sqlite when unset. */
export function testStoreKind(): TestStoreKind {
  const kind = process.env.HQ_TEST_STORE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres')
    throw new Error(`HQ_TEST_STORE must be sqlite or postgres, not ${kind}`);
  return kind;
}

export interface HqFixture {
  readonly broker: MemoryBroker;
  readonly dir: string;
  /** The SQLite store file (with store 'sqlite'; unused with 'postgres'). */
  readonly dbPath: string;
  /** The store the gateway runs on: another process opens it with openHqStore. */
  readonly storeConfig: StoreConfig;
  readonly hqKeyPem: string;
  readonly hqPublicKeyPem: string;
  readonly tpk: Uint8Array;
  readonly stations: SimStation[];
  gateway: Gateway;
  startGateway(): Promise<Gateway>;
  close(): Promise<void>;
}

export async function startHqFixture(
  stationIds: readonly string[],
  options: {
    bankAccounts?: readonly BankAccountSeed[];
    verifyWorkers?: number;
    stationDefaults?: StationDefaults;
    store?: TestStoreKind;
    releaseCatalog?: ReleaseCatalog;
    /** HQ's time (default the system clock): a browser test pins the network's "today". */
    clock?: TimeSource;
  } = {},
): Promise<HqFixture> {
  const broker = new MemoryBroker();
  const dir = mkdtempSync(join(tmpdir(), 'hq-test-'));
  const dbPath = join(dir, 'hq.sqlite');
  const database = (options.store ?? testStoreKind()) === 'postgres' ? await createTestDatabase() : undefined;
  const storeConfig: StoreConfig =
    database === undefined ? { kind: 'sqlite', path: dbPath } : { kind: 'postgres', url: database.url };
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const tpk = new Uint8Array(randomBytes(16));
  const start = (): Promise<Gateway> =>
    startGateway({
      store: storeConfig,
      ...(database === undefined ? {} : { bankDbPath: join(dir, 'bank.sqlite') }),
      brokerUrl: 'memory://in-process',
      link: broker.hqLink(),
      hqKeyPem: privateKeyPem,
      tpk,
      verifyWorkers: options.verifyWorkers ?? 1,
      resendOnStart: false,
      ...(options.bankAccounts === undefined ? {} : { bankAccounts: options.bankAccounts }),
      ...(options.stationDefaults === undefined ? {} : { stationDefaults: options.stationDefaults }),
      ...(options.releaseCatalog === undefined ? {} : { releaseCatalog: options.releaseCatalog }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  const gateway = await start();
  const runningOn = gateway.store.constructor.name;
  if (runningOn !== (database === undefined ? 'SqliteStore' : 'PostgresStore'))
    throw new Error(`the gateway runs on ${runningOn}, not the store asked for`);
  const stations = stationIds.map((id) => new SimStation(id));
  for (const station of stations) {
    await gateway.operations.enrol(station.enrolmentRequest());
    station.attach(broker, publicKeyPem);
  }
  const fixture: HqFixture = {
    broker,
    dir,
    dbPath,
    storeConfig,
    hqKeyPem: privateKeyPem,
    hqPublicKeyPem: publicKeyPem,
    tpk,
    stations,
    gateway,
    async startGateway() {
      fixture.gateway = await start();
      return fixture.gateway;
    },
    async close() {
      for (const station of stations) await station.close();
      try {
        await fixture.gateway.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await database?.drop();
      }
    },
  };
  return fixture;
}
