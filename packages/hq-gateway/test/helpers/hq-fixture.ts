// Shared set-up for HQ integration tests: a real Mosquitto (test/helpers/mosquitto.ts) with one
// user per station, an HQ key, a test TPK, a temp SQLite file, and the gateway started in-process
// (startGateway) with simulated stations enrolled and connected. `until` waits for a condition
// by listening to the pipeline's events, never by sleeping.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MosquittoBroker, startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { BankAccountSeed } from '../../src/adapters/bank-sim/bank-sim.js';
import { generateHqKeyPem } from '../../src/adapters/crypto/hq-key.js';
import type { StationDefaults } from '../../src/app/operations.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { SimStation } from './station-sim.js';

export interface HqFixture {
  readonly broker: MosquittoBroker;
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
  const broker = await startMosquitto({ stationIds });
  const dir = mkdtempSync(join(tmpdir(), 'hq-test-'));
  const dbPath = join(dir, 'hq.sqlite');
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const tpk = new Uint8Array(randomBytes(16));
  const start = (): Promise<Gateway> =>
    startGateway({
      dbPath,
      // The production broker's TLS listener (test/helpers/mosquitto.ts): CA + client certificate.
      brokerUrl: broker.tlsUrl,
      mqttTls: { caFile: broker.ca.caFile, ...broker.clientCert('hq'), serverName: 'localhost' },
      mqttUsername: 'hq',
      mqttPassword: broker.password('hq'),
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
    await station.connect(
      broker.tlsUrl,
      broker.password(station.stationId),
      publicKeyPem,
      broker.tlsOptions(station.stationId),
    );
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
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

export { until } from './until.js';
