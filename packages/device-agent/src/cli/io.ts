// What a CLI command may touch of the outside world, passed in so tests run commands in-process
// with captured output, their own env and a fixed clock.
import type { Readable } from 'node:stream';

export interface CliIo {
  /** Command output: tables, JSON documents. */
  out(text: string): void;
  /** Notes, prompts and problem lists for people. */
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Wall clock, ms since the epoch. */
  nowMs(): number;
  /** Terminal input for hidden prompts; null when there is none. */
  readonly stdin: (Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown }) | null;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    nowMs: () => Date.now(),
    stdin: process.stdin,
  };
}
