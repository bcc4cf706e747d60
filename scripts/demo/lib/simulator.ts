// A device simulator process (card reader or PIN pad, @bianmin/device-agent's src/sim) on the
// device end of a socat PTY pair: started from the built JavaScript, driven through its stdin
// control protocol (each op acknowledged on stdout), its status lines awaited, never slept on.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';

const waitMsMax = 15_000;
/** The simulator executables of @bianmin/device-agent, found through the package's exports. */
const simPath = (kind: SimKind) =>
  fileURLToPath(import.meta.resolve(`@bianmin/device-agent/bin/${kind}-sim`));

export type SimKind = 'card-reader' | 'pin-pad';
type Status = Readonly<Record<string, unknown>> & { readonly status: string };

export class Simulator {
  readonly kind: SimKind;
  readonly #child: ChildProcess;
  readonly #waiters = new Set<{
    test: (status: Status) => boolean;
    resolve: (status: Status) => void;
    fail: (error: Error) => void;
  }>();
  #nextId = 1;
  #stderr = '';
  #exitCode: number | null | undefined;

  private constructor(kind: SimKind, child: ChildProcess) {
    this.kind = kind;
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let status: Status;
      try {
        status = JSON.parse(line) as Status;
      } catch {
        return;
      }
      for (const waiter of [...this.#waiters]) {
        if (waiter.test(status)) {
          this.#waiters.delete(waiter);
          waiter.resolve(status);
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-2_000);
    });
    // One exit listener for every waiter (a listener per wait would pile up).
    child.once('exit', (code) => {
      this.#exitCode = code;
      for (const waiter of [...this.#waiters])
        waiter.fail(new Error(`${kind} simulator exited (${code}) ${this.#stderr}`));
      this.#waiters.clear();
    });
  }

  /** Starts the simulator on `devicePath` with `script` (written next to it as JSON). */
  static async start(
    kind: SimKind,
    devicePath: string,
    script: unknown,
    scriptPath: string,
    cleanup: Cleanup,
  ): Promise<Simulator> {
    writeFileSync(scriptPath, `${JSON.stringify(script, null, 2)}\n`);
    const child = cleanup.child(
      spawn(process.execPath, [simPath(kind), '--port', devicePath, '--script', scriptPath], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const sim = new Simulator(kind, child);
    await sim.#waitFor((status) => status.status === 'open', `${kind} simulator open`);
    return sim;
  }

  /** Sends one control op and waits for its acknowledgement. */
  async control(op: Record<string, unknown>): Promise<void> {
    const id = this.#nextId;
    this.#nextId += 1;
    const acked = this.#waitFor(
      (status) => (status.status === 'ack' || status.status === 'control-error') && status.id === id,
      `${this.kind} control ${String(op.op)}`,
    );
    this.#child.stdin?.write(`${JSON.stringify({ ...op, id })}\n`);
    const answer = await acked;
    if (answer.status !== 'ack')
      throw new Error(`${this.kind} refused ${String(op.op)}: ${String(answer.problem)}`);
  }

  #waitFor(test: (status: Status) => boolean, what: string): Promise<Status> {
    if (this.#exitCode !== undefined) {
      return Promise.reject(new Error(`${this.kind} simulator exited (${this.#exitCode}) before: ${what}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${what}: no answer within ${waitMsMax} ms ${this.#stderr}`));
      }, waitMsMax);
      const waiter = {
        test,
        resolve: (status: Status) => {
          clearTimeout(timer);
          resolve(status);
        },
        fail: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}
