// A fake systemd NOTIFY_SOCKET for tests: `socat -u UNIX-RECV:<path> STDOUT` receives the
// datagrams a notifier sends and writes them to its stdout; socat's notice on stderr ("received
// packet with N bytes") counts datagrams. `until` waits on the arrival of lines (an event), never on
// a timer. A missing socat makes the test fail, never skip.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface NotifyListener {
  /** The socket path to hand out as NOTIFY_SOCKET. */
  readonly socketPath: string;
  /** Every `KEY=value` line received so far, in order. */
  readonly lines: string[];
  /** How many datagrams arrived. */
  datagrams(): number;
  /** Resolves when `predicate(lines)` holds (checked on every arrival). */
  until(predicate: (lines: readonly string[]) => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifyListener(dir: string): Promise<NotifyListener> {
  const socketPath = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('socat', ['-u', '-d', '-d', `UNIX-RECV:${socketPath}`, 'STDOUT'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let datagramCount = 0;
  let partial = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
    wake();
  });
  let stderrText = '';
  const started = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`socat exited ${String(code)}: ${stderrText}`)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderrText += text;
      if (stderrText.includes('starting data transfer loop')) resolve();
      datagramCount = stderrText.split('received packet').length - 1;
      wake();
    });
  });
  await started;
  return {
    socketPath,
    lines,
    datagrams: () => datagramCount,
    until(predicate, what) {
      return new Promise((resolve, reject) => {
        const onExit = () => {
          waiters.delete(check);
          reject(new Error(`notify listener exited waiting for ${what}`));
        };
        const check = () => {
          if (!predicate(lines)) return;
          waiters.delete(check);
          child.off('exit', onExit);
          resolve();
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
