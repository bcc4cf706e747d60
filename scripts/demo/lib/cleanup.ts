// Every process and resource the demo (or an end-to-end test) starts is registered here, and
// `cleanup()` releases them in reverse order: on normal exit, on error, and on Ctrl-C / SIGTERM.
// Child processes are ended by their own pid (SIGTERM, then SIGKILL after a grace period), never
// by name. `process.on('exit')` kills what is still alive as a last resort (synchronously).
import type { ChildProcess } from 'node:child_process';

const killGraceMs = 3_000;

type Closer = { readonly name: string; readonly close: () => Promise<void> | void };

export class Cleanup {
  readonly #closers: Closer[] = [];
  readonly #children = new Set<ChildProcess>();
  #done: Promise<void> | null = null;

  constructor() {
    process.on('exit', () => {
      for (const child of this.#children) if (isAlive(child)) child.kill('SIGKILL');
    });
  }

  /** Runs `close` at clean-up (reverse order of registration). */
  defer(name: string, close: () => Promise<void> | void): void {
    this.#closers.push({ name, close });
  }

  /** Tracks a child process: ended at clean-up if still running. */
  child(child: ChildProcess): ChildProcess {
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Ends SIGINT/SIGTERM with a clean-up, then exit code 130/143. */
  onSignals(onSignal?: (signal: NodeJS.Signals) => void): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        onSignal?.(signal);
        void this.cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      });
    }
  }

  cleanup(): Promise<void> {
    this.#done ??= this.#run();
    return this.#done;
  }

  async #run(): Promise<void> {
    for (const closer of this.#closers.reverse()) {
      try {
        await closer.close();
      } catch (error) {
        process.stderr.write(`clean-up of ${closer.name} failed: ${String(error)}\n`);
      }
    }
    await Promise.all([...this.#children].map((child) => stopChild(child)));
  }
}

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the child has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
