// A real Mosquitto broker for integration tests and benches, started from the PRODUCTION config
// (deploy/mosquitto/mosquitto.conf) on free loopback ports: only the lines that name a site's
// paths and address are replaced (password file, ACL file, certificates, persistence folder,
// listener address, log destination), each of which must appear exactly once, plus the options a
// test asks for. Users: one per station plus HQ's gateway user (`hq` by default) and command-line
// user, hashed with mosquitto_passwd; the ACL comes from deploy/mosquitto/make-acl.sh, with two
// test-only users appended (`test-tool`, which may read and write every topic, for tests that play
// a raw or hostile client; `probe`, which may only connect, for the readiness check). TLS: a test CA
// made with openssl at start-up (test/helpers/test-ca.ts); `tlsUrl` is the production listener
// (client certificate + password), `url` a plain loopback listener kept for tests not yet moved to
// TLS (option `plainListener`, default true). Readiness is awaited by connecting, never by
// sleeping. `stop()` + `start()` restarts it on the same ports; `close()` kills it and removes the
// temp dir (and with it every private key the CA made).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions } from 'mqtt';
import { type CertFiles, makeTestCa, type TestCa, tlsClientOptions } from './test-ca.js';

/** Topic root of the wire protocol (docs/protocol.md): bianmin/v1/st/<station id>/{up,down}/... */
export const TOPIC_ROOT = 'bianmin/v1';

export const deployDir = fileURLToPath(new URL('../../deploy/mosquitto/', import.meta.url));
export const productionConfigFile = join(deployDir, 'mosquitto.conf');
export const makeAclScript = join(deployDir, 'make-acl.sh');

/** The test-only user that may read and write every topic (raw and hostile clients in tests). */
export const testToolUser = 'test-tool';
const probeUser = 'probe';

export interface MosquittoOptions {
  /** Station ids; each becomes an MQTT user whose ACL is its own subtree. */
  readonly stationIds: readonly string[];
  /** HQ's gateway user (reads every up/, writes every down/). Default `hq`. */
  readonly hqUser?: string;
  /** HQ's command-line user (writes down/ only). Default `hq-cli`. */
  readonly hqCliUser?: string;
  /** Keep sessions and queued messages across a restart (persistence file in the temp dir). Default true. */
  readonly persistence?: boolean;
  /** Per-client queue limit (max_queued_messages); default: the production value. */
  readonly queuedMessagesMax?: number;
  /** Broker payload cap (message_size_limit); default: the production value (65536). */
  readonly messageSizeLimit?: number;
  /** Also listen without TLS on another loopback port (`url`). Default true. */
  readonly plainListener?: boolean;
}

export interface MosquittoBroker {
  readonly host: string;
  /** The plain loopback listener's port (0 when there is none). */
  readonly port: number;
  /** mqtt://127.0.0.1:PORT (plain loopback listener; '' when there is none). */
  readonly url: string;
  /** The production TLS listener. */
  readonly tlsPort: number;
  /** mqtts://127.0.0.1:TLSPORT */
  readonly tlsUrl: string;
  /** The test CA (its CA file, the broker's certificate, client certificates on demand). */
  readonly ca: TestCa;
  readonly dir: string;
  readonly hqUser: string;
  readonly hqCliUser: string;
  readonly testUser: string;
  /** The password of a configured user (station id, HQ users, test users). */
  password(user: string): string;
  /** mqtt.js options to reach the TLS listener as `user`: CA, a client certificate, credentials. */
  tlsOptions(user: string): IClientOptions;
  /** The client certificate files made for `user` (for config files). */
  clientCert(user: string): CertFiles;
  /** The rendered config file (for tests that inspect it). */
  readonly configFile: string;
  /** Start again on the same port with the same config (after stop()). */
  start(): Promise<void>;
  /** Stop gracefully (SIGTERM, waits for exit: the persistence file is written). */
  stop(): Promise<void>;
  /** Kill hard (SIGKILL), wait for exit. */
  kill(): Promise<void>;
  /** Kill if running and remove the temp dir. Idempotent. */
  close(): Promise<void>;
  readonly running: boolean;
  /** The broker process id while running (benches read its CPU time from /proc). */
  readonly pid: number | undefined;
}

const readyAttemptsMax = 200;
const readyRetryMs = 25;
const exitWaitMsMax = 10_000;

/** A free TCP port on loopback, picked by the kernel. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** The ACL the broker runs: deploy/mosquitto/make-acl.sh's output plus the test-only users. */
export function aclText(hqUser: string, hqCliUser: string): string {
  const production = execFileSync('bash', [makeAclScript, '--gateway', hqUser, '--cli', hqCliUser], {
    encoding: 'utf8',
  });
  return [
    production,
    '# Test only (test/helpers/mosquitto.ts): a raw client that may read and write every topic.',
    `user ${testToolUser}`,
    `topic readwrite ${TOPIC_ROOT}/#`,
    '# Test only: the readiness probe may connect and nothing else.',
    `user ${probeUser}`,
    '',
  ].join('\n');
}

export interface SiteSettings {
  readonly passwordFile: string;
  readonly aclFile: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly persistenceDir: string;
  readonly tlsPort: number;
  readonly plainPort: number | null;
  readonly persistence: boolean;
  readonly queuedMessagesMax?: number;
  readonly messageSizeLimit?: number;
}

/**
 * The production config with the site lines replaced. Each replaced keyword must occur exactly
 * once in the production file, so a test cannot silently run without a setting that ships.
 */
export function renderConfig(production: string, site: SiteSettings): string {
  const replacements: Record<string, string> = {
    password_file: `password_file ${site.passwordFile}`,
    acl_file: `acl_file ${site.aclFile}`,
    cafile: `cafile ${site.caFile}`,
    certfile: `certfile ${site.certFile}`,
    keyfile: `keyfile ${site.keyFile}`,
    persistence: `persistence ${site.persistence}`,
    persistence_location: `persistence_location ${site.persistenceDir}/`,
    log_dest: 'log_dest stderr',
    listener: `listener ${site.tlsPort} 127.0.0.1`,
    ...(site.queuedMessagesMax === undefined
      ? {}
      : { max_queued_messages: `max_queued_messages ${site.queuedMessagesMax}` }),
    ...(site.messageSizeLimit === undefined
      ? {}
      : { message_size_limit: `message_size_limit ${site.messageSizeLimit}` }),
  };
  const seen = new Map<string, number>();
  const lines = production.split('\n').map((line) => {
    const keyword = /^([a-z_]+)\s/.exec(line)?.[1];
    if (keyword === undefined || !(keyword in replacements)) return line;
    seen.set(keyword, (seen.get(keyword) ?? 0) + 1);
    return replacements[keyword]!;
  });
  for (const keyword of Object.keys(replacements)) {
    if (seen.get(keyword) !== 1) {
      throw new Error(
        `deploy/mosquitto/mosquitto.conf: expected one "${keyword}" line, found ${seen.get(keyword) ?? 0}`,
      );
    }
  }
  // As root Mosquitto drops to user `mosquitto`, which cannot read files in our temp dir (TOOLCHAIN).
  const head = ['# rendered by test/helpers/mosquitto.ts from deploy/mosquitto/mosquitto.conf', 'user root'];
  const tail =
    site.plainPort === null
      ? []
      : [
          '',
          '# Test only: a plain loopback listener for tests not yet on TLS, with the listener',
          '# settings of the production listener that are not about TLS.',
          `listener ${site.plainPort} 127.0.0.1`,
          ...lines.filter((line) => /^(use_username_as_clientid|max_connections) /.test(line)),
        ];
  return [...head, ...lines, ...tail, ''].join('\n');
}

export async function startMosquitto(options: MosquittoOptions): Promise<MosquittoBroker> {
  const hqUser = options.hqUser ?? 'hq';
  const hqCliUser = options.hqCliUser ?? 'hq-cli';
  const persistence = options.persistence ?? true;
  const queuedMessagesMax = options.queuedMessagesMax;
  if (
    queuedMessagesMax !== undefined &&
    !(Number.isSafeInteger(queuedMessagesMax) && queuedMessagesMax > 0)
  ) {
    throw new Error('queuedMessagesMax must be a positive integer (0 is broken in Mosquitto 2.0.11)');
  }
  const users = [hqUser, hqCliUser, testToolUser, probeUser, ...options.stationIds];
  if (new Set(users).size !== users.length) throw new Error('duplicate MQTT user names');
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-test-'));
  const passwords = new Map<string, string>();
  for (const user of users) {
    if (!/^[A-Za-z0-9_.-]+$/.test(user)) throw new Error(`bad MQTT user name: ${user}`);
    passwords.set(user, randomBytes(12).toString('hex'));
  }
  const passwordFile = join(dir, 'passwd');
  // One plain-text file hashed in place by `mosquitto_passwd -U`: one process for any number of
  // stations (the bench enrols hundreds), same hash as `mosquitto_passwd -b`.
  writeFileSync(passwordFile, [...passwords].map(([user, password]) => `${user}:${password}\n`).join(''), {
    mode: 0o600,
  });
  execFileSync('mosquitto_passwd', ['-U', passwordFile], { stdio: 'pipe' });
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, aclText(hqUser, hqCliUser));
  let ca: TestCa;
  try {
    ca = makeTestCa(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const tlsPort = await freePort();
  const plainPort = options.plainListener === false ? null : await freePort();
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    configFile,
    renderConfig(readFileSync(productionConfigFile, 'utf8'), {
      passwordFile,
      aclFile,
      caFile: ca.caFile,
      certFile: ca.server.certFile,
      keyFile: ca.server.keyFile,
      persistenceDir: dir,
      tlsPort,
      plainPort,
      persistence,
      ...(queuedMessagesMax === undefined ? {} : { queuedMessagesMax }),
      ...(options.messageSizeLimit === undefined ? {} : { messageSizeLimit: options.messageSizeLimit }),
    }),
  );
  const tlsOptions = (user: string): IClientOptions => {
    const password = passwords.get(user);
    if (password === undefined) throw new Error(`unknown MQTT user: ${user}`);
    return { ...tlsClientOptions(ca.caFile, ca.client(user)), username: user, password };
  };

  let child: ChildProcess | undefined;
  let stderrTail = '';
  const host = '127.0.0.1';
  const url = plainPort === null ? '' : `mqtt://${host}:${plainPort}`;
  const tlsUrl = `mqtts://${host}:${tlsPort}`;

  async function waitReady(): Promise<void> {
    for (let attempt = 0; attempt < readyAttemptsMax; attempt += 1) {
      if (child === undefined || child.exitCode !== null) {
        throw new Error(`mosquitto exited during start-up: ${stderrTail}`);
      }
      try {
        const client = await mqtt.connectAsync(tlsUrl, {
          ...tlsOptions(probeUser),
          protocolVersion: 4,
          reconnectPeriod: 0,
          connectTimeout: 2_000,
          clientId: `ready-probe-${randomBytes(4).toString('hex')}`,
        });
        await client.endAsync();
        return;
      } catch {
        // Not listening yet: retry after a short back-off (bounded by readyAttemptsMax).
        await new Promise((resolve) => setTimeout(resolve, readyRetryMs));
      }
    }
    throw new Error(`mosquitto not ready on port ${tlsPort}: ${stderrTail}`);
  }

  async function waitExit(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) {
      child = undefined;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => running.kill('SIGKILL'), exitWaitMsMax);
      running.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      running.kill(signal);
    });
    child = undefined;
  }

  const broker: MosquittoBroker = {
    host,
    port: plainPort ?? 0,
    url,
    tlsPort,
    tlsUrl,
    ca,
    dir,
    configFile,
    hqUser,
    hqCliUser,
    testUser: testToolUser,
    tlsOptions,
    clientCert: (user: string) => {
      if (!passwords.has(user)) throw new Error(`unknown MQTT user: ${user}`);
      return ca.client(user);
    },
    password(user: string): string {
      const password = passwords.get(user);
      if (password === undefined) throw new Error(`unknown MQTT user: ${user}`);
      return password;
    },
    async start(): Promise<void> {
      if (child !== undefined) throw new Error('mosquitto already running');
      stderrTail = '';
      const started = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = started;
      // If the test process dies without teardown, do not leave the broker behind.
      const killOnExit = (): void => {
        started.kill('SIGKILL');
      };
      // tap ends a timed-out test file with SIGTERM, which skips 'exit' handlers: kill, then re-raise.
      const killOnTerm = (): void => {
        started.kill('SIGKILL');
        process.kill(process.pid, 'SIGTERM');
      };
      process.once('exit', killOnExit);
      process.once('SIGTERM', killOnTerm);
      started.once('exit', () => {
        process.off('exit', killOnExit);
        process.off('SIGTERM', killOnTerm);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2_000);
      });
      await waitReady();
    },
    async stop(): Promise<void> {
      await waitExit('SIGTERM');
    },
    async kill(): Promise<void> {
      await waitExit('SIGKILL');
    },
    async close(): Promise<void> {
      await waitExit('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    get running(): boolean {
      return child !== undefined;
    },
    get pid(): number | undefined {
      return child?.pid;
    },
  };
  try {
    await broker.start();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}
