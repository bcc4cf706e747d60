// The memory limit of the agent's own cgroup (issue 13): systemd's MemoryMax on a kiosk, or a
// container's limit. cgroup v2: the `0::PATH` line of /proc/self/cgroup, then PATH/memory.max
// ("max" = none). cgroup v1: the `memory` controller's line, then memory/PATH/memory.limit_in_bytes
// (2^63 rounded down to a page = none). Anything unreadable is "no limit known": the memory guard
// then watches the heap only, it never guesses a limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupMemoryUnlimitedBytes } from '../../limits.js';

/** The limit from the files' texts (pure): `read(path)` gives a file's text or undefined. */
export function cgroupMemoryLimitFrom(
  read: (path: string) => string | undefined,
  root = '/sys/fs/cgroup',
): number | undefined {
  const lines = (read('/proc/self/cgroup') ?? '').split('\n');
  const v2 = lines.find((line) => line.startsWith('0::'));
  const v1 = lines.find((line) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(line));
  const candidates: string[] = [];
  if (v1 !== undefined)
    candidates.push(join(root, 'memory', v1.slice(v1.lastIndexOf(':') + 1), 'memory.limit_in_bytes'));
  if (v2 !== undefined) candidates.push(join(root, v2.slice(3), 'memory.max'));
  for (const path of candidates) {
    const text = read(path)?.trim();
    if (text === undefined || text === '') continue;
    if (text === 'max') return undefined;
    if (!/^\d{1,20}$/.test(text)) continue;
    const bytes = Number(text);
    return bytes >= cgroupMemoryUnlimitedBytes ? undefined : bytes;
  }
  return undefined;
}

/** The running process's cgroup memory limit in bytes; undefined: none, or not readable. */
export function cgroupMemoryLimitBytes(): number | undefined {
  return cgroupMemoryLimitFrom((path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  });
}
