// A socat PTY pair on two link paths in a temp directory, for integration tests, the bench and a
// technician's rehearsal: `socat -d -d pty,raw,echo=0,link=HOST pty,raw,echo=0,link=DEVICE`.
// Readiness is read from socat's stderr ("PTY is …" twice, then "starting data transfer loop") and
// the links are checked to exist; no sleeping. `unplug()` kills socat (both links vanish, the
// driver's side sees nothing until it writes), `replug()` starts it again on the same paths.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ptyPairStartTimeoutMs = 5000;

export class PtyPair {
  readonly dir: string;
  /** The driver's end. */
  readonly hostPath: string;
  /** The simulator's end. */
  readonly devicePath: string;
  #child: ChildProcess | undefined;
  #ownsDir: boolean;

  private constructor(dir: string, ownsDir: boolean) {
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.hostPath = join(dir, 'host');
    this.devicePath = join(dir, 'device');
  }

  /** Starts socat on fresh link paths under a new temp directory (or under `dir`). */
  static async start(dir?: string): Promise<PtyPair> {
    const pair = new PtyPair(dir ?? mkdtempSync(join(tmpdir(), 'bianmin-pty-')), dir === undefined);
    await pair.replug();
    return pair;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts socat (again) on the same paths; resolves when both links exist. */
  replug(): Promise<void> {
    if (this.#child !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const child = spawn(
        'socat',
        ['-d', '-d', `pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      this.#child = child;
      let stderr = '';
      let ptyCount = 0;
      const timer = setTimeout(
        () => fail(new Error(`socat not ready after ${ptyPairStartTimeoutMs} ms: ${stderr}`)),
        ptyPairStartTimeoutMs,
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = undefined;
        child.kill('SIGKILL');
        reject(error);
      };
      child.once('error', (error) =>
        fail(new Error(`socat could not start (is it installed?): ${error.message}`)),
      );
      child.once('exit', (code) => {
        if (this.#child === child) this.#child = undefined;
        if (ptyCount < 2) fail(new Error(`socat exited with ${code}: ${stderr}`));
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        if (stderr.length < 4096) stderr += text;
        ptyCount = (stderr.match(/PTY is /g) ?? []).length;
        if (ptyCount >= 2 && stderr.includes('starting data transfer loop')) {
          if (existsSync(this.hostPath) && existsSync(this.devicePath)) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
  }

  /** Kills socat and waits for it to exit: both ends lose their PTY, the links disappear. */
  unplug(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return Promise.resolve();
    this.#child = undefined;
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Kills socat and removes the temp directory. */
  async close(): Promise<void> {
    await this.unplug();
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
