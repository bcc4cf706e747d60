// systemd's sd_notify protocol for a Node process: Node has no unix datagram sockets, so one
// long-lived `socat -u STDIN UNIX-SENDTO:$NOTIFY_SOCKET` child (ABSTRACT-SENDTO for an abstract
// "@name" socket) turns each write on its stdin into one datagram. The child lives as long as the
// agent, inside the service's cgroup, so systemd attributes its messages to the service with
// NotifyAccess=all (a short-lived `systemd-notify` per message races: systemd may no longer find the
// sender's cgroup). Why socat and not an addon: docs/decisions/kiosk-sd-notify-socat.md.
//
// Without NOTIFY_SOCKET (run by hand, in tests) `createServiceNotifier` returns a notifier that only
// drops messages. A notifier that cannot start or whose child dies logs AGENT_NOTIFY_FAILED once and
// drops what follows: the watchdog pings stop, and systemd restarts the agent.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { assert } from '../../domain/assert.js';
import { notifyMessageBytesMax } from '../../limits.js';
import type { ServiceManagerPort } from '../../ports/service-manager.js';

/** socat's own address syntax uses these; a socket path holding one is refused, not escaped. */
const socatSpecialChars = /[,:!'"\\\s]/;
const assignmentPattern = /^[A-Z_]+=[^\n]*$/;

/** socat's address for a NOTIFY_SOCKET value, or null when it cannot be expressed safely. */
export function socatAddressOf(notifySocket: string): string | null {
  if (notifySocket.length === 0 || notifySocket.length > 107) return null;
  if (notifySocket.startsWith('@')) {
    const name = notifySocket.slice(1);
    return name.length === 0 || socatSpecialChars.test(name) ? null : `ABSTRACT-SENDTO:${name}`;
  }
  if (!notifySocket.startsWith('/') || socatSpecialChars.test(notifySocket)) return null;
  return `UNIX-SENDTO:${notifySocket}`;
}

/** One notification's bytes: `KEY=value` lines; asserts the protocol's shape and the size limit. */
export function notificationText(assignments: readonly string[]): string {
  assert(assignments.length > 0, 'sd_notify: at least one assignment');
  for (const line of assignments) assert(assignmentPattern.test(line), `sd_notify: bad assignment ${line}`);
  const text = `${assignments.join('\n')}\n`;
  assert(Buffer.byteLength(text) <= notifyMessageBytesMax, 'sd_notify: message over notifyMessageBytesMax');
  return text;
}

class DroppingNotifier implements ServiceManagerPort {
  notify(assignments: readonly string[]): void {
    notificationText(assignments);
  }
  async close(): Promise<void> {}
}

export class SocatNotifier implements ServiceManagerPort {
  readonly #log: Logger;
  #child: ChildProcess | null;
  #failed = false;

  constructor(address: string, logger: Logger, socatPath = 'socat') {
    this.#log = logger.child({ component: 'sd-notify' });
    const child = spawn(socatPath, ['-u', 'STDIN', address], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#child = child;
    let stderrText = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderrText.length < 500) stderrText += chunk.slice(0, 500 - stderrText.length);
    });
    child.on('error', (error) => this.#fail(`cannot start socat: ${error.message}`));
    child.stdin?.on('error', (error) => this.#fail(`socat stdin: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.#child !== null) this.#fail(`socat exited (${String(code ?? signal)}): ${stderrText.trim()}`);
    });
  }

  notify(assignments: readonly string[]): void {
    const text = notificationText(assignments);
    const stdin = this.#child?.stdin;
    if (this.#failed || stdin === undefined || stdin === null || stdin.destroyed) return;
    stdin.write(text);
  }

  /** Ends socat's stdin (it sends what is queued, then exits) and waits for it. */
  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin?.end();
    });
  }

  #fail(reason: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#log.error({ code: 'AGENT_NOTIFY_FAILED', reason }, 'sd_notify channel to systemd lost');
  }
}

/** The notifier for this process's environment: socat when NOTIFY_SOCKET is set, else a dropper. */
export function createServiceNotifier(env: NodeJS.ProcessEnv, logger: Logger): ServiceManagerPort {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return new DroppingNotifier();
  const address = socatAddressOf(socket);
  if (address === null) {
    logger.error({ code: 'AGENT_NOTIFY_FAILED', reason: 'NOTIFY_SOCKET not usable' }, 'sd_notify disabled');
    return new DroppingNotifier();
  }
  return new SocatNotifier(address, logger);
}
