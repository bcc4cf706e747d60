// Test helper: runs a simulator as its own process (through tsx, on the TypeScript source) and
// lets a test wait for its status lines and send it control commands. Each wait has a generous
// deadline so a broken run fails instead of hanging; nothing here sleeps.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const simDir = fileURLToPath(new URL('../../../src/sim/', import.meta.url));

export type Status = Readonly<Record<string, unknown>> & { status: string };

export class SimChild {
  readonly statuses: Status[] = [];
  readonly stderr: string[] = [];
  readonly #child: ChildProcess;
  readonly #waiters = new Set<{
    predicate: (status: Status) => boolean;
    resolve: (status: Status) => void;
  }>();
  #exited: Promise<void>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const status = JSON.parse(line) as Status;
      this.statuses.push(status);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(status)) {
          this.#waiters.delete(waiter);
          waiter.resolve(status);
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.stderr.push(text));
  }

  /** Starts `kind`-sim on `devicePath` with the script (written next to the PTY links). */
  static async start(
    kind: 'card-reader' | 'pin-pad',
    devicePath: string,
    script: object,
    dir: string,
  ): Promise<SimChild> {
    const scriptPath = join(dir, `${kind}-script.json`);
    writeFileSync(scriptPath, JSON.stringify(script));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(simDir, `${kind}-sim.ts`), '--port', devicePath, '--script', scriptPath],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const sim = new SimChild(child);
    await sim.waitFor((status) => status.status === 'open', 'sim open');
    return sim;
  }

  /** Resolves with the first status (already seen from `fromIndex`, or future) matching `predicate`. */
  waitFor(
    predicate: (status: Status) => boolean,
    what: string,
    fromIndex = 0,
    timeoutMs = 20_000,
  ): Promise<Status> {
    const seen = this.statuses.slice(fromIndex).find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (status: Status) => {
          clearTimeout(timer);
          resolve(status);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`sim: no "${what}" within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Sends a control op and waits for its acknowledgement. */
  async control(op: Record<string, unknown>): Promise<void> {
    const id = Math.floor(Math.random() * 1e9);
    const from = this.statuses.length;
    this.#child.stdin!.write(`${JSON.stringify({ ...op, id })}\n`);
    const answer = await this.waitFor(
      (status) => (status.status === 'ack' && status.id === id) || status.status === 'control-error',
      `ack of ${String(op.op)}`,
      from,
    );
    if (answer.status !== 'ack') throw new Error(`sim control error: ${JSON.stringify(answer)}`);
  }

  /** Index to pass as `fromIndex` to wait for something that happens after now. */
  mark(): number {
    return this.statuses.length;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
  }
}
