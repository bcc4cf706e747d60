// Test helper: a real systemd (the machine's /lib/systemd/systemd) as PID 1 of its own PID, mount
// and cgroup namespaces, walled off from the host by test/helpers/real-systemd-ns.sh (read its
// header for what is isolated and why). The test talks to it with `nsenter` into the namespace:
// systemctl over /run/systemd/private, journalctl, install.sh. Files reach the namespace through
// `share` (a host folder seen inside as `nsShare`), because the namespace's /tmp is its own.
// Waits poll systemd's own state (`systemctl show`) against a bounded deadline; nothing sleeps a
// fixed time. `stop()` SIGKILLs the namespace's PID 1 (the kernel kills everything in it), removes
// its cgroups and work folder; `hostProblems()` then says whether the host was touched.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const nsScript = fileURLToPath(new URL('real-systemd-ns.sh', import.meta.url));
const systemdBinary = '/lib/systemd/systemd';
export const nsShare = '/run/bianmin-test/host';
/** How long a boot, a unit state or a journal line may take before the wait fails. */
export const systemdWaitMsMax = 60_000;
const pollMs = 100;

/**
 * The host units the namespace may load (copied from /lib/systemd/system), nothing else: the
 * targets a service's default dependencies name, and journald for the journal. Everything
 * else the host has (postgresql, tmpfiles, udev, getty, timers…) does not exist inside.
 */
const allowedHostUnits = [
  'sysinit.target',
  'basic.target',
  'sockets.target',
  'paths.target',
  'timers.target',
  'slices.target',
  'local-fs.target',
  'local-fs-pre.target',
  'swap.target',
  'shutdown.target',
  'umount.target',
  'final.target',
  'network.target',
  'network-pre.target',
  'network-online.target',
  'time-sync.target',
  'systemd-journald.service',
  'systemd-journald.socket',
];

const testTarget = `[Unit]
Description=bianmin real-systemd test target (the only one booted)
Requires=basic.target
Wants=systemd-journald.socket systemd-journald.service
After=basic.target
`;

/** Why real systemd cannot run here, or null when it can. */
export function realSystemdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: unshare of PID/mount/cgroup namespaces needs root';
  if (!existsSync(systemdBinary)) return `no ${systemdBinary}`;
  for (const tool of ['unshare', 'nsenter', 'findmnt']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no ${tool} on PATH`;
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'no overlayfs in this kernel';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount', '--cgroup', '--mount-proc', 'true']);
  if (probe.status !== 0) return `unshare --pid --mount --cgroup refused: ${String(probe.stderr).trim()}`;
  return null;
}

export interface HostState {
  readonly canary: string;
  readonly postgresAnswered: boolean;
  readonly devNames: string;
  /** What /run/systemd held before ('' when absent): `systemd-analyze verify` on the host (the
   * unit-file test) leaves systemd-units-load there; the namespace must add nothing. */
  readonly runSystemdNames: string;
}

/** What the host looks like before a boot: a canary in /tmp (tmpfiles would remove it), PG, /dev. */
export function hostState(): HostState {
  const canary = join(
    tmpdir(),
    `bianmin-real-systemd-canary-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  writeFileSync(canary, 'systemd-tmpfiles --boot or a fresh /tmp would remove this\n');
  return {
    canary,
    postgresAnswered: postgresAnswers(),
    devNames: readdirSync('/dev').sort().join(' '),
    runSystemdNames: runSystemdNames(),
  };
}

const runSystemdNames = () =>
  existsSync('/run/systemd') ? readdirSync('/run/systemd').sort().join(' ') : '';

const postgresAnswers = () => spawnSync('pg_isready', ['-h', '127.0.0.1', '-t', '5']).status === 0;

/** Everything the namespace must not have done to the host; empty when the host is as before. */
export function hostProblems(before: HostState): string[] {
  const problems: string[] = [];
  if (!existsSync(before.canary)) problems.push(`${before.canary} removed: the host /tmp was cleaned`);
  if (before.postgresAnswered && !postgresAnswers()) problems.push('the host PostgreSQL stopped answering');
  const runNames = runSystemdNames();
  if (runNames !== before.runSystemdNames)
    problems.push(`/run/systemd on the host changed: '${before.runSystemdNames}' -> '${runNames}'`);
  const devNames = readdirSync('/dev').sort().join(' ');
  if (devNames !== before.devNames) problems.push(`/dev changed: ${devNames}`);
  rmSync(before.canary, { force: true });
  return problems;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class RealSystemd {
  /** Host folder seen inside the namespace as `nsShare`. */
  readonly share: string;
  readonly #workDir: string;
  readonly #unshare: ChildProcess;
  readonly #exited: Promise<void>;
  #pid1 = 0;
  #stopped = false;

  private constructor(workDir: string, unshare: ChildProcess) {
    this.#workDir = workDir;
    this.share = join(workDir, 'share');
    this.#unshare = unshare;
    this.#exited = new Promise((resolve) => unshare.once('exit', () => resolve()));
  }

  /** Boots the namespace; resolves once PID 1 reports the system running (or degraded). */
  static async boot(): Promise<RealSystemd> {
    const workDir = mkdtempSync(join(tmpdir(), 'bianmin-real-systemd-'));
    mkdirSync(join(workDir, 'units'));
    mkdirSync(join(workDir, 'share'));
    for (const unit of allowedHostUnits)
      copyFileSync(join('/lib/systemd/system', unit), join(workDir, 'units', unit));
    writeFileSync(join(workDir, 'units', 'bianmin-test.target'), testTarget);
    const name = `bianmin-test-${process.pid}-${randomBytes(3).toString('hex')}`;
    const unshare = spawn('sh', [nsScript, 'outer', workDir, name], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const systemd = new RealSystemd(workDir, unshare);
    let console = '';
    unshare.stderr?.setEncoding('utf8');
    unshare.stderr?.on('data', (text: string) => {
      if (console.length < 200_000) console += text;
    });
    try {
      await systemd.#until('PID 1 of the namespace', () => {
        systemd.#pid1 = childOf(unshare.pid ?? 0);
        if (systemd.#pid1 === 0) return false;
        const state = systemd.run('systemctl', ['is-system-running']).stdout.trim();
        return state === 'running' || state === 'degraded';
      });
    } catch (error) {
      await systemd.stop();
      throw new Error(`real systemd did not boot: ${String(error)}\n${console.slice(-4000)}`);
    }
    return systemd;
  }

  /** A command inside the namespace (its PID and mount namespaces: its /run, /etc, /opt…). */
  run(command: string, args: readonly string[] = []): Run {
    const run = spawnSync('nsenter', ['-t', String(this.#pid1), '-p', '-m', '--', command, ...args], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (run.error !== undefined) throw run.error;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  systemctl(...args: string[]): Run {
    return this.run('systemctl', ['--no-pager', ...args]);
  }

  /** Writes `text` to `path` inside the namespace (0644, parent folders made), through the share. */
  writeFile(path: string, text: string): void {
    const name = `file-${randomBytes(6).toString('hex')}`;
    writeFileSync(join(this.share, name), text);
    const run = this.run('install', ['-D', '-m', '0644', join(nsShare, name), path]);
    rmSync(join(this.share, name));
    if (run.status !== 0) throw new Error(`install ${path}: ${run.stderr}`);
  }

  /** `systemctl show` of the given properties, as a record. */
  show(unit: string, properties: readonly string[]): Record<string, string> {
    const run = this.systemctl('show', unit, `--property=${properties.join(',')}`);
    const fields: Record<string, string> = {};
    for (const line of run.stdout.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  }

  /** Polls `systemctl show` until `done` holds (bounded by systemdWaitMsMax); returns the last read. */
  async waitFor(
    unit: string,
    properties: readonly string[],
    done: (fields: Record<string, string>) => boolean,
    what: string,
  ): Promise<Record<string, string>> {
    let fields: Record<string, string> = {};
    try {
      await this.#until(`${unit}: ${what}`, () => {
        fields = this.show(unit, properties);
        return done(fields);
      });
    } catch (error) {
      const journal = this.journal(unit).slice(-15).join('\n');
      throw new Error(`${String(error)}\nlast: ${JSON.stringify(fields)}\njournal:\n${journal}`);
    }
    return fields;
  }

  /** The journal's messages of a unit (systemd's own lines about it included). */
  journal(unit: string): string[] {
    const run = this.run('journalctl', ['--no-pager', '-o', 'cat', '-u', unit]);
    return run.stdout.split('\n').filter((line) => line !== '' && line !== '-- No entries --');
  }

  /** SIGKILL of PID 1 (the kernel kills the whole namespace), then its cgroups and files go. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#pid1 !== 0) spawnSync('kill', ['-KILL', String(this.#pid1)]);
    else this.#unshare.kill('SIGKILL');
    await this.#exited;
    const cgroupsFile = join(this.#workDir, 'cgroups');
    const cgroups = existsSync(cgroupsFile) ? readFileSync(cgroupsFile, 'utf8').trim().split('\n') : [];
    // The killed processes leave their cgroups asynchronously: rmdir (deepest first) until empty.
    await this.#until('the namespace cgroups removed', () => {
      for (const dir of cgroups.filter((line) => line !== ''))
        spawnSync('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
      return cgroups.every((dir) => dir === '' || !existsSync(dir));
    });
    rmSync(this.#workDir, { recursive: true, force: true });
  }

  async #until(what: string, done: () => boolean): Promise<void> {
    const deadlineMs = Date.now() + systemdWaitMsMax;
    while (!done()) {
      if (this.#unshare.exitCode !== null || this.#unshare.signalCode !== null)
        throw new Error(`the namespace exited while waiting for ${what}`);
      if (Date.now() > deadlineMs) throw new Error(`not within ${systemdWaitMsMax} ms: ${what}`);
      await delay(pollMs);
    }
  }
}

/** The host PID of `pid`'s first child (unshare --fork's child is the namespace's PID 1), or 0. */
function childOf(pid: number): number {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return 0;
  return Number(readFileSync(path, 'utf8').trim().split(' ')[0] ?? 0) || 0;
}
