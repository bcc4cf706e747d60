// The agent's half of the OTA switch under the shipped unit (ota.switchVia "unit", docs/ota.md):
// the agent runs as user bianmin with ProtectSystem=strict, so it cannot write /opt/bianmin/kiosk
// nor restart its own unit. It downloads, verifies and unpacks into <stateDir>/staging/<version>
// (FsReleaseSlots with the staging folder as its slots), then, instead of switching, writes a
// request that bianmin-ota-switch.path hands to root (deploy/kiosk/ota-switch.sh): root verifies
// the staged folder again with the installed verifier, installs it, switches the links, writes
// <stateDir>/switch-outcome and restarts the agent. The next start reads the outcome
// (verdict(): done / refused with root's code / still waiting).
//
// Request and outcome are key=value lines (the shell reads and writes them without a JSON parser).
// The request is written to a temp file (0640), fsynced and renamed into place: the path unit never
// sees half a request.
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { AgentError } from '../../errors.js';
import { otaSwitchOutcomeBytesMax } from '../../limits.js';
import type { ReleaseSlots, SwitchOutcomes, SwitchVerdict, VerifyOutcome } from '../../ports/ota.js';
import type { FsReleaseSlots } from './release-slots.js';

export interface PrivilegedSwitchOptions {
  /** The installed layout, read only: <kioskDir>/current and previous (/opt/bianmin/kiosk). */
  readonly kioskDir: string;
  /** The agent's writable OTA folder shared with the root helper (/var/lib/bianmin/ota). */
  readonly stateDir: string;
  /** Download, verify and unpack, with slotsDir = <stateDir>/staging and otaDir = <stateDir>. */
  readonly staging: FsReleaseSlots;
  /** Copies the journal (before a switch is asked). */
  readonly backupJournal: (toPath: string) => void;
}

export const switchRequestName = 'switch-request';
export const switchOutcomeName = 'switch-outcome';

/** The request id root echoes in its outcome: which request an outcome answers. */
export const switchRequestId = (action: 'switch' | 'rollback', version: string) => `${action}-${version}`;

function linkTarget(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** key=value lines; the first '=' splits; unknown keys are kept for the caller to ignore. */
export function parseSwitchOutcome(text: string): Readonly<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

export class PrivilegedSwitchSlots implements ReleaseSlots, SwitchOutcomes {
  readonly #o: PrivilegedSwitchOptions;

  constructor(options: PrivilegedSwitchOptions) {
    if (options.stateDir === options.kioskDir)
      throw new Error('assert: the state folder is not the kiosk folder');
    this.#o = options;
  }

  downloadedBytes(version: string): number {
    return this.#o.staging.downloadedBytes(version);
  }

  storeChunk(version: string, fromByte: number, bytes: Uint8Array): void {
    this.#o.staging.storeChunk(version, fromByte, bytes);
  }

  verify(version: string): VerifyOutcome {
    return this.#o.staging.verify(version);
  }

  unpack(version: string): void {
    this.#o.staging.unpack(version);
  }

  current(): string {
    const current = linkTarget(join(this.#o.kioskDir, 'current'));
    if (current === undefined)
      throw new AgentError('AGENT_OTA_SLOT_INVALID', `${this.#o.kioskDir}/current is not a link`);
    return current;
  }

  /**
   * Asks root to make `version` current: a switch to the staged folder, or a rollback when it is
   * the `previous` release. Already current: nothing to ask (a pending request is withdrawn).
   */
  switchTo(version: string): void {
    const request = join(this.#o.stateDir, switchRequestName);
    // An outcome of an earlier request must not answer this one.
    rmSync(join(this.#o.stateDir, switchOutcomeName), { force: true });
    if (this.current() === version) {
      rmSync(request, { force: true });
      return;
    }
    const staged = this.#o.staging.slotPath(version);
    if (existsSync(staged)) {
      this.#o.backupJournal(this.#o.staging.backupPath(version));
      this.#writeRequest({ id: switchRequestId('switch', version), action: 'switch', version, staged });
      return;
    }
    if (linkTarget(join(this.#o.kioskDir, 'previous')) === version) {
      this.#writeRequest({ id: switchRequestId('rollback', version), action: 'rollback', version });
      return;
    }
    throw new AgentError('AGENT_OTA_SLOT_INVALID', `${version} is neither staged nor the previous release`);
  }

  discard(version: string): void {
    this.#o.staging.discard(version);
  }

  verdict(version: string): SwitchVerdict {
    if (this.current() === version) {
      // Root installed its own copy; the staged one is ours to remove (root never deletes here).
      rmSync(this.#o.staging.slotPath(version), { recursive: true, force: true });
      return { kind: 'done' };
    }
    const path = join(this.#o.stateDir, switchOutcomeName);
    if (!existsSync(path)) return { kind: 'waiting' };
    const text = readFileSync(path, 'utf8');
    if (Buffer.byteLength(text) > otaSwitchOutcomeBytesMax) {
      return { kind: 'refused', code: 'AGENT_OTA_SWITCH_OUTCOME_INVALID', detail: 'outcome file too large' };
    }
    const outcome = parseSwitchOutcome(text);
    if (outcome.id !== switchRequestId('switch', version)) return { kind: 'waiting' };
    if (outcome.ok === '0' && /^[A-Z][A-Z0-9_]{2,63}$/.test(outcome.code ?? '')) {
      return { kind: 'refused', code: outcome.code ?? '', detail: outcome.detail ?? '' };
    }
    // ok=1 but current names another release: someone switched since (a rollback, a technician).
    return {
      kind: 'refused',
      code: 'AGENT_OTA_SWITCH_OUTCOME_INVALID',
      detail: `outcome ${JSON.stringify(outcome)}`,
    };
  }

  #writeRequest(fields: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(fields)) {
      if (!/^[A-Za-z0-9._/@+-]*$/.test(value)) throw new Error(`assert: request ${key} is a plain value`);
    }
    const text = Object.entries(fields)
      .map(([key, value]) => `${key}=${value}\n`)
      .join('');
    const path = join(this.#o.stateDir, switchRequestName);
    const temp = `${path}.tmp`;
    rmSync(temp, { force: true });
    const fd = openSync(temp, 'wx', 0o640);
    try {
      fchmodSync(fd, 0o640); // the unit's UMask=0077 would leave 0600
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dir = openSync(this.#o.stateDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
