// HQ's gateway processes (gateway-child.ts): start, kill -9, restart, stop; their CPU time read
// from /proc (also of incarnations that were killed) and their last reported ingest counters.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayChildArgs } from './gateway-child.js';
import { processReadyMsMax } from './limits.js';
import type { Topology } from './topology.js';

const entry = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));

export interface GatewayCounters {
  stored: number;
  batches: number;
  quarantined: number;
  duplicates: number;
}

/** Resident memory (bytes) of a live process from /proc; 0 when it is gone. */
export function processRssBytes(pid: number | undefined): number {
  if (pid === undefined || pid === 0) return 0;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, ms) of a live process from /proc; undefined when it is gone. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || pid === 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime + cutime + cstime (tsx runs the gateway as the process itself: no children).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

interface Incarnation {
  readonly child: ChildProcess;
  counters: GatewayCounters;
  cpuMs: number;
}

export class Gateways {
  readonly #base: Omit<GatewayChildArgs, 'link'>;
  readonly #topology: Topology;
  readonly #incarnations: Incarnation[][] = [];

  constructor(base: Omit<GatewayChildArgs, 'link'>, topology: Topology, count: number) {
    if (!(count >= 1 && count <= 16)) throw new Error('assert: 1..16 gateways');
    this.#base = base;
    this.#topology = topology;
    for (let index = 0; index < count; index += 1) this.#incarnations.push([]);
  }

  get count(): number {
    return this.#incarnations.length;
  }

  async start(index: number): Promise<void> {
    const args: GatewayChildArgs = { ...this.#base, link: this.#topology.gatewayLink(index) };
    const child = fork(entry, [JSON.stringify(args)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const incarnation: Incarnation = {
      child,
      counters: { stored: 0, batches: 0, quarantined: 0, duplicates: 0 },
      cpuMs: 0,
    };
    this.#incarnations[index]!.push(incarnation);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4_000);
    });
    child.on('message', (message: { op: string } & Partial<GatewayCounters>) => {
      if (message.op === 'counters') {
        incarnation.counters = message as GatewayCounters;
        incarnation.cpuMs = processCpuMs(child.pid) ?? incarnation.cpuMs;
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway ${index + 1} not ready: ${stderr}`)),
        processReadyMsMax,
      );
      child.on('message', (message: { op: string }) => {
        if (message.op !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway ${index + 1} exited (${code ?? signal}) during start-up: ${stderr}`));
      });
    });
  }

  /** kill -9 gateway `index` and wait until it is gone. */
  async kill(index: number): Promise<void> {
    const incarnation = this.#incarnations[index]!.at(-1);
    if (
      incarnation === undefined ||
      incarnation.child.exitCode !== null ||
      incarnation.child.signalCode !== null
    )
      return;
    incarnation.cpuMs = processCpuMs(incarnation.child.pid) ?? incarnation.cpuMs;
    await new Promise<void>((resolve) => {
      incarnation.child.once('exit', () => resolve());
      incarnation.child.kill('SIGKILL');
    });
  }

  /** CPU ms of every incarnation of every gateway so far (live ones read now). */
  cpuMs(): number {
    return this.cpuMsEach().reduce((sum, ms) => sum + ms, 0);
  }

  /** CPU ms of each gateway (index 0-based), all its incarnations so far. */
  cpuMsEach(): number[] {
    return this.#incarnations.map((list) => {
      let total = 0;
      for (const incarnation of list) {
        const live = incarnation.child.exitCode === null && incarnation.child.signalCode === null;
        total += (live ? processCpuMs(incarnation.child.pid) : undefined) ?? incarnation.cpuMs;
      }
      return total;
    });
  }

  /** Counters summed over every incarnation (each one's last report). */
  counters(): GatewayCounters {
    const sum: GatewayCounters = { stored: 0, batches: 0, quarantined: 0, duplicates: 0 };
    for (const list of this.#incarnations) {
      for (const { counters } of list) {
        sum.stored += counters.stored;
        sum.batches += counters.batches;
        sum.quarantined += counters.quarantined;
        sum.duplicates += counters.duplicates;
      }
    }
    return sum;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.#incarnations.flat().map(async (incarnation) => {
        const child = incarnation.child;
        if (child.exitCode !== null || child.signalCode !== null) return;
        incarnation.cpuMs = processCpuMs(child.pid) ?? incarnation.cpuMs;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }),
    );
  }
}
