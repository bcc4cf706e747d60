// HQ as a child process (hq-child.ts) on the network's store, key and broker: the end-to-end test
// kills it with SIGKILL mid-ingest and starts it again.
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HqChildArgs } from '../hq-child.js';
import { type Cleanup, isAlive, stopChild } from './cleanup.js';
import type { Network } from './network.js';

const entry = fileURLToPath(new URL('../hq-child.ts', import.meta.url));
const readyWaitMsMax = 30_000;

export class HqProcess {
  readonly #args: HqChildArgs;
  readonly #cleanup: Cleanup;
  #child: ChildProcess | null = null;
  starts = 0;

  /** `overrides`: another gateway of the same network (its client id, the NATS transport). */
  constructor(
    network: Network,
    dir: string,
    cleanup: Cleanup,
    overrides: Partial<Pick<HqChildArgs, 'clientId' | 'nats' | 'logFile'>> = {},
  ) {
    const spec = network.hqSpec;
    const hqKeyPemFile = join(dir, 'hq-key.pem');
    writeFileSync(hqKeyPemFile, spec.hqKeyPem, { mode: 0o600 });
    this.#args = {
      dbPath: spec.dbPath,
      ...(spec.store === undefined ? {} : { store: spec.store }),
      ...(spec.bankDbPath === undefined ? {} : { bankDbPath: spec.bankDbPath }),
      brokerUrl: spec.brokerUrl,
      ...(spec.mqttUsername === undefined ? {} : { mqttUsername: spec.mqttUsername }),
      ...(spec.mqttPassword === undefined ? {} : { mqttPassword: spec.mqttPassword }),
      ...(spec.mqttTls === undefined ? {} : { mqttTls: spec.mqttTls }),
      clientId: spec.clientId,
      hqKeyPemFile,
      tpkHex: Buffer.from(spec.tpk).toString('hex'),
      authorisationTimeoutMs: spec.authorisationTimeoutMs,
      clockOffsetMs: network.clock.offsetMs,
      ...overrides,
    };
    this.#cleanup = cleanup;
  }

  get running(): boolean {
    return this.#child !== null && isAlive(this.#child);
  }

  async start(): Promise<void> {
    const child = this.#cleanup.child(
      fork(entry, [JSON.stringify(this.#args)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    this.#child = child;
    this.starts += 1;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4_000);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`HQ not ready: ${stderr}`)), readyWaitMsMax);
      child.on('message', (message: { op: string }) => {
        if (message.op !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`HQ exited (${code ?? signal}) during start-up: ${stderr}`));
      });
    });
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || !isAlive(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    if (this.#child !== null) await stopChild(this.#child);
  }
}
