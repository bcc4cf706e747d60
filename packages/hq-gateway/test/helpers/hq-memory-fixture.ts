// Shared set-up for HQ tests that need the whole gateway but not a broker: the gateway started
// in-process (startGateway) over an in-process broker (memory-broker.ts), an HQ key, a test TPK,
// a temp SQLite file, and simulated stations enrolled and attached. The same shape as
// hq-fixture.ts (which uses the real broker, for the e2e layer); `until` waits on events.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BankAccountSeed } from '../../src/adapters/bank-sim/bank-sim.js';
import { generateHqKeyPem } from '../../src/adapters/crypto/hq-key.js';
import type { StationDefaults } from '../../src/app/operations.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { MemoryBroker } from './memory-broker.js';
import { SimStation } from './station-sim.js';

export { until } from './until.js';

export interface HqFixture {
  readonly broker: MemoryBroker;
  readonly dir: string;
  readonly dbPath: string;
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
  } = {},
): Promise<HqFixture> {
  const broker = new MemoryBroker();
  const dir = mkdtempSync(join(tmpdir(), 'hq-test-'));
  const dbPath = join(dir, 'hq.sqlite');
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const tpk = new Uint8Array(randomBytes(16));
  const start = (): Promise<Gateway> =>
    startGateway({
      dbPath,
      brokerUrl: 'memory://in-process',
      link: broker.hqLink(),
      hqKeyPem: privateKeyPem,
      tpk,
      verifyWorkers: options.verifyWorkers ?? 1,
      resendOnStart: false,
      ...(options.bankAccounts === undefined ? {} : { bankAccounts: options.bankAccounts }),
      ...(options.stationDefaults === undefined ? {} : { stationDefaults: options.stationDefaults }),
    });
  const gateway = await start();
  const stations = stationIds.map((id) => new SimStation(id));
  for (const station of stations) {
    await gateway.operations.enrol(station.enrolmentRequest());
    station.attach(broker, publicKeyPem);
  }
  const fixture: HqFixture = {
    broker,
    dir,
    dbPath,
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
      await fixture.gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
