// The persistent OTA state in one small JSON file, written atomically: a temp file in the same
// folder, fsync, rename over the old one, fsync of the folder. A kill at any instant leaves either
// the old or the new state, never a torn one. A file that does not parse or has the wrong shape
// is refused with AGENT_OTA_STATE_INVALID (never guessed at: the technician decides).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OtaState } from '../../domain/ota/ota-machine.js';
import { AgentError } from '../../errors.js';
import type { OtaStateStore } from '../../ports/ota.js';

const phases = new Set([
  'idle',
  'downloading',
  'verifying',
  'unpacking',
  'staged',
  'switching',
  'trial',
  'rolling-back',
]);

function isOtaState(value: unknown): value is OtaState {
  const state = value as { goodVersion?: unknown; phase?: { name?: unknown; offer?: { version?: unknown } } };
  if (typeof state?.goodVersion !== 'string' || state.goodVersion === '') return false;
  if (!phases.has(String(state.phase?.name))) return false;
  return state.phase?.name === 'idle' || typeof state.phase?.offer?.version === 'string';
}

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export class OtaStateFile implements OtaStateStore {
  constructor(readonly path: string) {}

  load(): OtaState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentError('AGENT_OTA_STATE_INVALID', `cannot read ${this.path}`, { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new AgentError('AGENT_OTA_STATE_INVALID', `${this.path} is not JSON`, { cause: error });
    }
    if (!isOtaState(value))
      throw new AgentError('AGENT_OTA_STATE_INVALID', `${this.path} has the wrong shape`);
    return value;
  }

  save(state: OtaState): void {
    writeFileAtomic(this.path, new TextEncoder().encode(`${JSON.stringify(state)}\n`));
  }
}
