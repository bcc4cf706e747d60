// Test helper for the `kiosk` CLI: a complete kiosk set-up in a temp dir — a SoftHSM2 token, the
// card-reader and PIN-pad simulators on socat PTY pairs, a real Mosquitto on a free port, the HQ
// config key, journal, log and run directories — and a config file naming all of it. Also runs
// the CLI in-process with captured output. Everything started here is stopped by close().
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { downTopic, luhnCheckDigit } from '@bianmin/wire';
import mqtt from 'mqtt';
import { type MosquittoBroker, startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { CliDeps } from '../../src/cli/command.js';
import type { CliIo } from '../../src/cli/io.js';
import { defaultDeps, runKiosk } from '../../src/cli/run.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { HqKey } from '../agent/helpers.js';
import { type SoftHsmToken, softhsmModulePath, startSoftHsm } from '../helpers/softhsm.js';
import { SimChild } from '../serial/helpers/sim-child.js';

/** The simulator's card: a Luhn-valid number that must never show up unmasked in output or logs. */
export const cardPan = `621700123456789${luhnCheckDigit('621700123456789')}`;
export const tpkHex = '00112233445566778899AABBCCDDEEFF';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; nowMs?: number; deps?: CliDeps; stdin?: CliIo['stdin'] } = {},
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: options.env ?? {},
    nowMs: () => options.nowMs ?? Date.now(),
    stdin: options.stdin ?? new PassThrough(),
  };
  const code = await runKiosk(argv, io, options.deps ?? defaultDeps());
  return { code, out, err };
}

export interface KioskSetup {
  readonly dir: string;
  readonly configPath: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests edit the config freely to break it
  readonly config: Record<string, any>;
  readonly hsm: SoftHsmToken;
  readonly broker: MosquittoBroker;
  readonly cardPty: PtyPair;
  readonly padPty: PtyPair;
  readonly cardSim: SimChild;
  readonly padSim: SimChild;
  /** HQ's config key; the config pins its public key (hq.configPublicKeyPath). */
  readonly hq: HqKey;
  /** Publishes bytes retained on the station's down/config topic, as HQ (null: clears it). */
  publishConfig(bytes: Uint8Array | null): Promise<void>;
  writeConfig(config: unknown, path?: string): string;
  close(): Promise<void>;
}

export async function startKioskSetup(): Promise<KioskSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-kiosk-'));
  for (const sub of ['journal', 'log', 'run', 'etc']) mkdirSync(join(dir, sub));
  const hsm = startSoftHsm({ label: 'KIOSK-UK' });
  const broker = await startMosquitto({ stationIds: ['ST-0042'] });
  const cardPty = await PtyPair.start();
  const padPty = await PtyPair.start();
  const cardSim = await SimChild.start(
    'card-reader',
    cardPty.devicePath,
    {
      identity: { model: 'SIM-CR-100', serial: 'CR-000123', firmware: '2.1.0' },
      cards: [{ pan: cardPan, expiry: '2912', serviceCode: '220' }],
      autoInsertOnWait: true,
    },
    cardPty.dir,
  );
  const padSim = await SimChild.start(
    'pin-pad',
    padPty.devicePath,
    {
      identity: { model: 'SIM-PP-200', serial: 'PP-000456', firmware: '3.0.1' },
      keys: { tpk: tpkHex },
      defaultPin: '2468',
    },
    padPty.dir,
  );
  const hqKeyPath = join(dir, 'etc', 'hq-config.pub.pem');
  const hq = new HqKey();
  writeFileSync(hqKeyPath, hq.pinned()[0]!.publicKey);
  // The station's broker password (user name = station id), a secret file: mode 0600.
  const passwordFile = join(dir, 'etc', 'mqtt-password');
  writeFileSync(passwordFile, `${broker.password('ST-0042')}\n`, { mode: 0o600 });
  const config = {
    station: { id: 'ST-0042', orgCode: '3301000042' },
    serial: {
      cardReader: { path: cardPty.hostPath, baudRate: 115200, commandTimeoutMs: 5000 },
      pinPad: { path: padPty.hostPath, baudRate: 115200, commandTimeoutMs: 5000 },
    },
    token: {
      modulePath: softhsmModulePath,
      label: hsm.label,
      keyLabel: 'kiosk-signing',
      userPin: { file: hsm.pinFile },
    },
    mqtt: { url: broker.url, passwordFile },
    journal: { path: join(dir, 'journal', 'kiosk.db') },
    operatorApi: { socketPath: join(dir, 'run', 'operator.sock') },
    hq: { configPublicKeyPath: hqKeyPath },
    log: { dir: join(dir, 'log'), level: 'info' },
  };
  const writeConfig = (value: unknown, path = join(dir, 'etc', 'kiosk.json')): string => {
    writeFileSync(path, JSON.stringify(value, null, 2));
    return path;
  };
  const configPath = writeConfig(config);
  return {
    dir,
    configPath,
    config,
    hsm,
    broker,
    cardPty,
    padPty,
    cardSim,
    padSim,
    hq,
    async publishConfig(bytes) {
      const client = await mqtt.connectAsync(broker.url, {
        clientId: 'hq',
        username: 'hq',
        password: broker.password('hq'),
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await client.publishAsync(downTopic('ST-0042', 'config'), Buffer.from(bytes ?? new Uint8Array()), {
        qos: 1,
        retain: true,
      });
      await client.endAsync();
    },
    writeConfig,
    async close() {
      await cardSim.stop();
      await padSim.stop();
      await cardPty.close();
      await padPty.close();
      await broker.close();
      hsm.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
