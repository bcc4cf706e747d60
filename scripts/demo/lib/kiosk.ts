// One kiosk of the demo or an end-to-end test, set up the way a field technician sets up a real
// one: its own UK key (SoftHSM token), a card reader and a PIN pad (simulators on socat PTY
// pairs), a device config, `kiosk provision` (the kiosk's own provisioning code: creates the key
// on the token, reads the serial numbers, prints the enrolment request HQ binds), then the agent
// as its own process (kiosk-child.ts), reached through its operator API. Its broker connection
// runs through a TCP proxy, so a test can cut this one kiosk off the network.
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OperatorClient, type OperatorReply } from '@bianmin/device-agent';
import { PtyPair } from '@bianmin/device-agent/testing';
import type { KioskChildArgs } from '../kiosk-child.js';
import { type Cleanup, isAlive } from './cleanup.js';
import type { KillPoint } from './kill-point.js';
import { Simulator } from './simulator.js';
import { initKioskToken, type KioskToken, softhsmModulePath } from './softhsm.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const execFileAsync = promisify(execFile);
const childEntry = fileURLToPath(new URL('../kiosk-child.ts', import.meta.url));
const kioskCli = fileURLToPath(import.meta.resolve('@bianmin/device-agent/bin/kiosk'));
const readyWaitMsMax = 30_000;

export interface SimCard {
  readonly pan: string;
  readonly expiry: string;
  readonly serviceCode: string;
}

export interface KioskSpec {
  readonly stationId: string;
  readonly orgCode: string;
  /** The kiosk's own folder (journal, token, PTYs, config, scripts). */
  readonly dir: string;
  readonly logDir: string;
  readonly brokerHost: string;
  readonly brokerPort: number;
  /**
   * Several brokers (a cluster's MQTT listeners, config mqtt.urls), reached directly (the proxy on
   * brokerHost:brokerPort is then not in the kiosk's list): the kiosk moves between them.
   */
  readonly brokerUrls?: readonly string[];
  readonly mqttPassword?: string;
  /** TLS client files for the broker's TLS listener (CA, this kiosk's certificate and key). */
  readonly mqttTls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  readonly hqPublicKeyPem: string;
  /** The terminal PIN key (AES-128, 32 hex) loaded into the PIN pad; the bank simulator has it too. */
  readonly tpkHex: string;
  readonly tmkHex: string;
  readonly cards: readonly SimCard[];
  /** What the customer types on the PIN pad for each card. */
  readonly pins: readonly { readonly pan: string; readonly pin: string }[];
  /** Deterministic secrets for the demo (token PINs, operator token, card-token key). */
  readonly secrets: {
    readonly userPin: string;
    readonly soPin: string;
    readonly operatorToken: string;
    readonly cardTokenKeyHex: string;
  };
  readonly backoffMsInitial?: number;
  readonly backoffMsMax?: number;
}

export interface KioskPaths {
  readonly dir: string;
  readonly journal: string;
  readonly config: string;
  readonly socket: string;
}

type ChildReply = { op: 'reply'; id: number; value: unknown } | { op: 'ready' };

export type DayTotals = Record<string, { count: number; amountFen: number; feeFen: number }>;

export class Kiosk {
  readonly spec: KioskSpec;
  readonly paths: KioskPaths;
  readonly token: KioskToken;
  readonly proxy: TcpProxy;
  readonly cardReader: Simulator;
  readonly pinPad: Simulator;
  readonly client: OperatorClient;
  /** The enrolment request `kiosk provision` printed (what HQ's `station enrol` reads). */
  readonly enrolment: unknown;
  readonly #cleanup: Cleanup;
  readonly #childArgs: KioskChildArgs;
  #child: ChildProcess | null = null;
  #expectExit = false;
  /** How the last agent process ended when nobody asked it to (crash), with its stderr tail. */
  unexpectedExit: string | null = null;
  #clockOffsetMs = 0;
  #nextId = 1;
  readonly #replies = new Map<number, (value: unknown) => void>();
  starts = 0;

  private constructor(init: {
    spec: KioskSpec;
    paths: KioskPaths;
    token: KioskToken;
    proxy: TcpProxy;
    cardReader: Simulator;
    pinPad: Simulator;
    enrolment: unknown;
    childArgs: KioskChildArgs;
    cleanup: Cleanup;
  }) {
    this.spec = init.spec;
    this.paths = init.paths;
    this.token = init.token;
    this.proxy = init.proxy;
    this.cardReader = init.cardReader;
    this.pinPad = init.pinPad;
    this.enrolment = init.enrolment;
    this.#childArgs = init.childArgs;
    this.#cleanup = init.cleanup;
    this.client = new OperatorClient(
      { kind: 'unix', socketPath: init.paths.socket },
      init.spec.secrets.operatorToken,
    );
  }

  get stationId(): string {
    return this.spec.stationId;
  }

  /** Token, PTYs, simulators, proxy, config, then `kiosk provision`. Does not start the agent. */
  static async setUp(spec: KioskSpec, cleanup: Cleanup): Promise<Kiosk> {
    const dir = spec.dir;
    for (const sub of ['uk', 'card-reader', 'pin-pad']) mkdirSync(join(dir, sub), { recursive: true });
    const token = initKioskToken(
      join(dir, 'uk'),
      `UK-${spec.stationId}`,
      spec.secrets.userPin,
      spec.secrets.soPin,
    );
    const readerPty = await PtyPair.start(join(dir, 'card-reader'));
    cleanup.defer(`${spec.stationId} card-reader pty`, () => readerPty.close());
    const padPty = await PtyPair.start(join(dir, 'pin-pad'));
    cleanup.defer(`${spec.stationId} pin-pad pty`, () => padPty.close());
    const serial = spec.stationId.replace(/[^A-Za-z0-9]/g, '');
    const cardReader = await Simulator.start(
      'card-reader',
      readerPty.devicePath,
      {
        identity: { model: 'SIM-CR100', serial: `CR-${serial}`, firmware: '1.0.0' },
        cards: spec.cards,
        insertDelayMs: 5,
        readDelayMs: 5,
      },
      join(dir, 'card-reader.script.json'),
      cleanup,
    );
    const pinPad = await Simulator.start(
      'pin-pad',
      padPty.devicePath,
      {
        identity: { model: 'SIM-PP200', serial: `PP-${serial}`, firmware: '1.0.0' },
        pins: spec.pins.map((entry) => ({ pan: entry.pan, pin: entry.pin, action: 'type' })),
        keyDelayMs: 2,
        keys: { tmk: spec.tmkHex, tpk: spec.tpkHex },
      },
      join(dir, 'pin-pad.script.json'),
      cleanup,
    );
    const proxy = await startTcpProxy(spec.brokerHost, spec.brokerPort);
    cleanup.defer(`${spec.stationId} proxy`, () => proxy.close());

    const paths: KioskPaths = {
      dir,
      journal: join(dir, 'journal.sqlite'),
      config: join(dir, 'kiosk.json'),
      socket: join(dir, 'operator.sock'),
    };
    const hqPublicKeyPath = join(dir, 'hq-public.pem');
    writeFileSync(hqPublicKeyPath, spec.hqPublicKeyPem);
    const operatorTokenFile = join(dir, 'operator-token');
    writeFileSync(operatorTokenFile, `${spec.secrets.operatorToken}\n`, { mode: 0o600 });
    let mqttPasswordFile: string | undefined;
    if (spec.mqttPassword !== undefined) {
      mqttPasswordFile = join(dir, 'mqtt-password');
      writeFileSync(mqttPasswordFile, `${spec.mqttPassword}\n`, { mode: 0o600 });
    }
    // Over TLS the proxy still passes bytes; the URL says mqtts:// and the broker's certificate is
    // checked against its name (localhost), not the proxy's address.
    const mqttTls =
      spec.mqttTls === undefined
        ? undefined
        : {
            caPath: spec.mqttTls.caFile,
            certPath: spec.mqttTls.certFile,
            keyPath: spec.mqttTls.keyFile,
            serverName: 'localhost',
          };
    const brokerUrl = mqttTls === undefined ? proxy.url : proxy.url.replace(/^mqtt:/, 'mqtts:');
    const device = (path: string) => ({ path, baudRate: 115_200, commandTimeoutMs: 10_000 });
    const config = {
      station: { id: spec.stationId, orgCode: spec.orgCode },
      serial: { cardReader: device(readerPty.hostPath), pinPad: device(padPty.hostPath) },
      token: {
        modulePath: softhsmModulePath,
        label: token.label,
        keyLabel: 'kiosk-signing',
        userPin: { file: token.userPinFile },
      },
      mqtt: {
        ...(spec.brokerUrls === undefined ? { url: brokerUrl } : { urls: spec.brokerUrls }),
        ...(mqttPasswordFile === undefined ? {} : { passwordFile: mqttPasswordFile }),
        ...(mqttTls === undefined ? {} : { tls: mqttTls }),
      },
      journal: { path: paths.journal },
      operatorApi: { socketPath: paths.socket },
      hq: { configPublicKeyPath: hqPublicKeyPath },
      log: { dir: spec.logDir, level: 'info' },
    };
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    const enrolment = await provision(paths.config, token.env);
    const childArgs: KioskChildArgs = {
      stationId: spec.stationId,
      dbPath: paths.journal,
      socketPath: paths.socket,
      operatorTokenFile,
      brokerUrl: spec.brokerUrls?.[0] ?? brokerUrl,
      ...(spec.brokerUrls === undefined ? {} : { brokerUrls: spec.brokerUrls }),
      ...(mqttTls === undefined ? {} : { mqttTls }),
      ...(spec.mqttPassword === undefined ? {} : { mqttUsername: spec.stationId }),
      ...(mqttPasswordFile === undefined ? {} : { mqttPasswordFile }),
      modulePath: softhsmModulePath,
      tokenLabel: token.label,
      keyLabel: 'kiosk-signing',
      userPinFile: token.userPinFile,
      hqPublicKeyPath,
      cardReaderPath: readerPty.hostPath,
      pinPadPath: padPty.hostPath,
      cardTokenKeyHex: spec.secrets.cardTokenKeyHex,
      tpkKeyId: 'TPK1',
      logDir: spec.logDir,
      clockOffsetMs: 0,
      backoffMsInitial: spec.backoffMsInitial ?? 100,
      backoffMsMax: spec.backoffMsMax ?? 1_000,
    };
    const kiosk = new Kiosk({ spec, paths, token, proxy, cardReader, pinPad, enrolment, childArgs, cleanup });
    cleanup.defer(`${spec.stationId} agent`, () => kiosk.stop());
    return kiosk;
  }

  get running(): boolean {
    return this.#child !== null && isAlive(this.#child);
  }

  /**
   * Starts the agent process; resolves once its operator API listens. With `killAt`, the process
   * kills itself at that program point (SIGKILL tests); that death is expected, not a crash.
   */
  async start(options: { readonly killAt?: KillPoint } = {}): Promise<void> {
    if (this.running) throw new Error(`assert: ${this.stationId} agent already running`);
    const args = {
      ...this.#childArgs,
      clockOffsetMs: this.#clockOffsetMs,
      ...(options.killAt === undefined ? {} : { killAt: options.killAt }),
    };
    const child = this.#cleanup.child(
      fork(childEntry, [JSON.stringify(args)], {
        execArgv: ['--import', 'tsx'],
        env: this.token.env,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    this.#child = child;
    this.#expectExit = false;
    this.starts += 1;
    let stderr = '';
    child.once('exit', (code, signal) => {
      if (this.#expectExit) return;
      if (options.killAt !== undefined && signal === 'SIGKILL') return;
      this.unexpectedExit = `${this.stationId} agent exited unexpectedly (${code ?? signal}): ${stderr}`;
      process.stderr.write(`${this.unexpectedExit}\n`);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4_000);
    });
    child.on('message', (message: ChildReply) => {
      if (message.op === 'reply') {
        this.#replies.get(message.id)?.(message.value);
        this.#replies.delete(message.id);
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.stationId} agent not ready: ${stderr}`)),
        readyWaitMsMax,
      );
      child.on('message', (message: ChildReply) => {
        if (message.op !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // An armed kill point may land while the agent settles the last run at start-up: that is
        // the seeded kill, not a failed start (the caller sees the process gone).
        if (options.killAt !== undefined && signal === 'SIGKILL') resolve();
        else
          reject(new Error(`${this.stationId} agent exited (${code ?? signal}) during start-up: ${stderr}`));
      });
    });
  }

  /** Resolves when the current agent process has exited (at once when none runs). */
  exited(): Promise<void> {
    const child = this.#child;
    if (child === null || !isAlive(child)) return Promise.resolve();
    return new Promise<void>((resolve) => child.once('exit', () => resolve()));
  }

  /** SIGKILL, as a power cut does; resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || !isAlive(child)) return;
    this.#expectExit = true;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGTERM: the agent stops cleanly. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null || !isAlive(child)) return;
    this.#expectExit = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Shifts the agent's clock (the demo's simulated time); resolves when the agent has it. */
  setClockOffset(offsetMs: number): Promise<void> {
    this.#clockOffsetMs = offsetMs;
    const child = this.#child;
    if (child === null || !isAlive(child)) return Promise.resolve();
    const id = this.#nextId;
    this.#nextId += 1;
    return new Promise((resolve) => {
      this.#replies.set(id, () => resolve());
      child.send({ op: 'clock', id, offsetMs });
    });
  }

  /** The journal's totals of one business day, straight from the agent. */
  dayTotals(businessDate: string): Promise<DayTotals> {
    const child = this.#child;
    if (child === null || !isAlive(child))
      return Promise.reject(new Error(`${this.stationId} agent not running`));
    const id = this.#nextId;
    this.#nextId += 1;
    return new Promise((resolve) => {
      this.#replies.set(id, (value) => resolve(value as DayTotals));
      child.send({ op: 'dayTotals', id, businessDate });
    });
  }

  get(path: string): Promise<OperatorReply> {
    return this.client.get(path);
  }

  post(path: string, body: unknown = {}): Promise<OperatorReply> {
    return this.client.post(path, body);
  }
}

/** Runs `kiosk provision` on the config (the token must be visible through `env`). */
async function provision(configPath: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [kioskCli, 'provision', '--config', configPath],
      {
        env,
        maxBuffer: 1 << 20,
      },
    );
    return JSON.parse(stdout) as unknown;
  } catch (error) {
    const detail = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`kiosk provision failed: ${detail.stderr ?? ''}${detail.stdout ?? ''}${detail.message}`);
  }
}
