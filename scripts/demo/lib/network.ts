// The whole network of a demo or end-to-end run: a broker (the embedded aedes, or an external one
// such as Mosquitto), HQ in-process, and N kiosks, each enrolled at HQ through HQ's enrolment code
// with the request its own `kiosk provision` printed, given an opening quota purchase (R3, R4) and
// running. Deterministic from the seed: station ids, cards, PINs, keys of the simulators.
import { generateHqKeyPem } from '@bianmin/hq-gateway/adapters/crypto/hq-key';
import type { Gateway } from '@bianmin/hq-gateway/main';
import { luhnCheckDigit } from '@bianmin/wire';
import type { Cleanup } from './cleanup.js';
import type { DemoClock } from './demo-clock.js';
import { type HqSpec, startHq } from './hq.js';
import { Kiosk, type SimCard } from './kiosk.js';
import { bytesFrom, intBetween } from './prng.js';

export interface BrokerEndpoint {
  readonly url: string;
  /** Every broker of a cluster (kiosk config mqtt.urls); HQ uses `url`. */
  readonly urls?: readonly string[];
  /** Credentials per MQTT user (station ids and HQ's user) when the broker checks them. */
  readonly password?: (user: string) => string;
  readonly hqUser?: string;
  /** TLS client files per MQTT user, when the broker is reached over TLS (url mqtts://). */
  readonly tls?: (user: string) => {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
  };
}

export interface NetworkSpec {
  readonly stationIds: readonly string[];
  readonly dataDir: string;
  readonly logDir: string;
  readonly random: () => number;
  readonly broker: BrokerEndpoint;
  readonly clock: DemoClock;
  readonly cleanup: Cleanup;
  /** HQ's client id on the broker (unique per run when the broker is shared). */
  readonly hqClientId: string;
  readonly authorisationTimeoutMs: number;
  readonly openingQuotaFen: number;
  /** HQ's store (default: SQLite in dataDir); with PostgreSQL the bank simulator gets dataDir/bank.sqlite. */
  readonly hqStore?: HqSpec['store'];
  /** HQ's clock-skew tolerance (ms); default the gateway's (5 min). */
  readonly hqClockSkewMsMax?: number;
}

/** A customer's card: PAN, the PIN the bank knows, and the PIN the customer types. */
export interface Customer {
  readonly card: SimCard;
  readonly bankPin: string;
  readonly typedPin: string;
  readonly balanceFen: number;
}

export interface StationSetup {
  readonly kiosk: Kiosk;
  readonly customers: readonly Customer[];
}

export interface Network {
  readonly gateway: Gateway;
  readonly stations: readonly StationSetup[];
  readonly hqKeyPem: string;
  readonly tpk: Uint8Array;
  readonly clock: DemoClock;
  /** HQ's settings, for running it elsewhere (hq-child.ts) on the same store and key. */
  readonly hqSpec: HqSpec;
  /** Stops the in-process HQ (flushes and disconnects). */
  stopHq(): Promise<void>;
  /**
   * Starts the in-process HQ again, on the same database and key (the bank is not re-seeded);
   * `overrides`: e.g. broker kind nats and another client id (issue 14).
   */
  restartHq(overrides?: Partial<Pick<HqSpec, 'clientId' | 'nats'>>): Promise<Gateway>;
}

/** A Luhn-valid 16-digit PAN with the given 6-digit BIN. */
export function luhnPan(bin: string, random: () => number): string {
  let body = bin;
  while (body.length < 15) body += String(intBetween(random, 0, 9));
  return body + luhnCheckDigit(body);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const digits = (random: () => number, count: number) =>
  Array.from({ length: count }, () => String(intBetween(random, 0, 9))).join('');

/** Three customers per station: two regular, and customers[2] who mistypes the PIN. */
function customersFor(random: () => number): Customer[] {
  return [0, 1, 2].map((index) => {
    const bankPin = digits(random, 6);
    const wrongPin = `${bankPin.slice(0, 5)}${(Number(bankPin[5]) + 1) % 10}`;
    return {
      card: { pan: luhnPan('622202', random), expiry: '2912', serviceCode: '220' },
      bankPin,
      typedPin: index === 2 ? wrongPin : bankPin,
      balanceFen: 5_000_000,
    };
  });
}

export async function startNetwork(spec: NetworkSpec): Promise<Network> {
  const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
  const tpk = bytesFrom(spec.random, 16);
  const tmk = bytesFrom(spec.random, 16);
  const customersByStation = spec.stationIds.map(() => customersFor(spec.random));
  const secretsByStation = spec.stationIds.map(() => ({
    userPin: digits(spec.random, 6),
    soPin: digits(spec.random, 8),
    operatorToken: hex(bytesFrom(spec.random, 16)),
    cardTokenKeyHex: hex(bytesFrom(spec.random, 32)),
  }));
  const bankAccounts = customersByStation.flat().map((customer) => ({
    pan: customer.card.pan,
    pin: customer.bankPin,
    balanceFen: customer.balanceFen,
    dailyLimitFen: 2_000_000,
  }));
  const hqUser = spec.broker.hqUser ?? 'hq';
  const hqPassword = spec.broker.password?.(hqUser);
  const hqOptions: HqSpec = {
    dbPath: `${spec.dataDir}/hq.sqlite`,
    ...(spec.hqStore === undefined ? {} : { store: spec.hqStore, bankDbPath: `${spec.dataDir}/bank.sqlite` }),
    brokerUrl: spec.broker.url,
    ...(hqPassword === undefined ? {} : { mqttUsername: hqUser, mqttPassword: hqPassword }),
    ...(spec.broker.tls === undefined
      ? {}
      : { mqttTls: { ...spec.broker.tls(hqUser), serverName: 'localhost' } }),
    clientId: spec.hqClientId,
    hqKeyPem: privateKeyPem,
    tpk,
    clock: spec.clock,
    bankAccounts,
    authorisationTimeoutMs: spec.authorisationTimeoutMs,
    ...(spec.hqClockSkewMsMax === undefined ? {} : { clockSkewMsMax: spec.hqClockSkewMsMax }),
  };
  let gateway = await startHq(hqOptions);
  spec.cleanup.defer('hq gateway', () => gateway.stop());
  const brokerUrl = new URL(spec.broker.url);
  // Kiosks are set up side by side (provisioning, PTYs, tokens), then enrolled in station order.
  const kiosks = await Promise.all(
    spec.stationIds.map((stationId, index) => {
      const customers = customersByStation[index]!;
      const password = spec.broker.password?.(stationId);
      return Kiosk.setUp(
        {
          stationId,
          orgCode: `3301${String(index + 1).padStart(4, '0')}`,
          dir: `${spec.dataDir}/kiosks/${stationId}`,
          logDir: spec.logDir,
          brokerHost: brokerUrl.hostname,
          brokerPort: Number(brokerUrl.port || 1883),
          ...(spec.broker.urls === undefined ? {} : { brokerUrls: spec.broker.urls }),
          ...(password === undefined ? {} : { mqttPassword: password }),
          ...(spec.broker.tls === undefined ? {} : { mqttTls: spec.broker.tls(stationId) }),
          hqPublicKeyPem: publicKeyPem,
          tpkHex: hex(tpk),
          tmkHex: hex(tmk),
          cards: customers.map((customer) => customer.card),
          pins: customers.map((customer) => ({ pan: customer.card.pan, pin: customer.typedPin })),
          secrets: secretsByStation[index]!,
        },
        spec.cleanup,
      );
    }),
  );
  const stations: StationSetup[] = [];
  for (const [index, kiosk] of kiosks.entries()) {
    const stationId = kiosk.stationId;
    spec.clock.onChange((offsetMs) => kiosk.setClockOffset(offsetMs));
    void kiosk.setClockOffset(spec.clock.offsetMs);
    await gateway.operations.enrol(kiosk.enrolment);
    await gateway.operations.purchaseQuota(stationId, spec.openingQuotaFen, `opening-${stationId}`);
    stations.push({ kiosk, customers: customersByStation[index]! });
  }
  await Promise.all(stations.map((station) => station.kiosk.start()));
  await Promise.all(
    stations.map((station) =>
      waitForStatus(station.kiosk, (s) => s.configVersion >= 1 && s.link === 'online'),
    ),
  );
  return {
    get gateway() {
      return gateway;
    },
    stations,
    hqKeyPem: privateKeyPem,
    tpk,
    clock: spec.clock,
    hqSpec: hqOptions,
    async stopHq() {
      await gateway.stop();
    },
    async restartHq(overrides = {}) {
      gateway = await startHq({ ...hqOptions, bankAccounts: [], ...overrides });
      return gateway;
    },
  };
}

export interface StatusView {
  readonly link: string;
  readonly outboxDepth: number;
  readonly lastEventSeq: number;
  readonly ackedThroughSeq: number;
  readonly quotaFenAvailable: number | null;
  readonly configVersion: number;
  readonly openTransactions: number;
  /** Down subscription renewals since the agent started, and of those the refused ones (issue 14). */
  readonly downlinkRenewals: number;
  readonly downlinkRenewalsRefused: number;
}

export async function kioskStatus(kiosk: Kiosk): Promise<StatusView> {
  const reply = await kiosk.get('/v1/status');
  if (reply.status !== 200) throw new Error(`${kiosk.stationId} status: HTTP ${reply.status}`);
  const body = reply.body as Record<string, unknown>;
  return (body.status as StatusView | undefined) ?? (body as unknown as StatusView);
}

const statusPollMs = 50;

/** Polls the kiosk's status (over its operator API) until `check` holds; fails after `deadlineMs`. */
export async function waitForStatus(
  kiosk: Kiosk,
  check: (status: StatusView) => boolean,
  deadlineMs = 30_000,
): Promise<StatusView> {
  const startedAt = Date.now();
  for (;;) {
    const status = await kioskStatus(kiosk);
    if (check(status)) return status;
    if (Date.now() - startedAt > deadlineMs) {
      throw new Error(
        `${kiosk.stationId}: status never reached the expected state: ${JSON.stringify(status)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, statusPollMs));
  }
}
