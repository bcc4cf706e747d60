// Scheduled rotation of the PIN pads' working keys (R24, issue 13): on HQ's clock, every
// workingKeyRotationCheckMs, each station whose TMK the HSM knows and whose newest TPK is older
// than the rotation period (or that has none yet) gets a fresh TPK, issued by the HSM wrapped under
// its TMK and sent in a signed command (HqOperations.sendWorkingKey). The HSM is a port here: the
// bank simulator's stand-in in this repository (adapters/bank-sim/working-keys.ts). A key that
// cannot be sent is forgotten and logged; the station is due again at the next check.
import { beijingIsoTime } from '@bianmin/wire';
import { workingKeyCommandTtlMs, workingKeyRotationCheckMs } from '../limits.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import type { Log } from '../ports/log.js';
import type { HqOperations } from './operations.js';

/** What the rotation needs of the HSM: which stations are due, and a wrapped key for one. */
export interface WorkingKeyHsm {
  stationsDue(nowMs: number, rotationMs: number): string[];
  issue(
    stationId: string,
    tpkKeyId: string,
    nowMs: number,
  ): { readonly tpkKeyId: string; readonly tpkUnderTmk: Uint8Array; readonly kcv: string };
  /** Forgets a key that was never sent, so the station is due again at the next check. */
  discard(stationId: string, tpkKeyId: string): void;
}

export interface WorkingKeyRotationDeps {
  readonly hsm: WorkingKeyHsm;
  readonly operations: Pick<HqOperations, 'sendWorkingKey'>;
  readonly clock: Clock;
  readonly log: Log;
  /** How old a station's newest TPK may grow before a new one is sent (ms). */
  readonly rotationMs: number;
}

/** The key id of a TPK issued at `nowMs`: `TPK-YYYYMMDDHHmm` in Beijing time (unique per station and minute). */
export function rotationKeyId(nowMs: number): string {
  const iso = beijingIsoTime(nowMs);
  return `TPK-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

export class WorkingKeyRotation {
  readonly #deps: WorkingKeyRotationDeps;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(deps: WorkingKeyRotationDeps) {
    if (!Number.isSafeInteger(deps.rotationMs) || deps.rotationMs < workingKeyRotationCheckMs)
      throw new Error('assert: rotationMs is whole ms, at least one check interval');
    this.#deps = deps;
  }

  /** Checks now, then every workingKeyRotationCheckMs, in the background. */
  start(): void {
    const run = (): void => {
      if (this.#stopped) return;
      this.rotateDue().then(arm, (error: unknown) => {
        this.#deps.log.error({ code: 'HQ_STORE_FAILED', err: error }, 'working-key rotation failed');
        arm();
      });
    };
    const arm = (): void => {
      if (this.#stopped) return;
      this.#timer = this.#deps.clock.setTimeout(run, workingKeyRotationCheckMs, { background: true });
    };
    run();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
  }

  /** One pass: sends a fresh TPK to every station due; returns the stations sent to. */
  async rotateDue(): Promise<string[]> {
    const nowMs = this.#deps.clock.nowMs();
    const sent: string[] = [];
    const keyId = rotationKeyId(nowMs);
    for (const stationId of this.#deps.hsm.stationsDue(nowMs, this.#deps.rotationMs)) {
      let issued = false;
      try {
        const wrapped = this.#deps.hsm.issue(stationId, keyId, nowMs);
        issued = true;
        const result = await this.#deps.operations.sendWorkingKey(stationId, wrapped, workingKeyCommandTtlMs);
        this.#deps.log.info(
          { stationId, tpkKeyId: result.tpkKeyId, kcv: result.kcv, commandId: result.commandId },
          'working key rotated',
        );
        sent.push(stationId);
      } catch (error) {
        // Not sent: forget the key, so the station is due again at the next check.
        if (issued) this.#deps.hsm.discard(stationId, keyId);
        this.#deps.log.error({ code: 'HQ_MQTT_FAILED', stationId, err: error }, 'working key not sent');
      }
    }
    return sent;
  }
}
