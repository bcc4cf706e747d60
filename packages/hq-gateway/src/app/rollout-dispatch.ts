// Rollouts started elsewhere reach the kiosks (issue 13): `hq release rollout start|resume` runs in
// the CLI's process and only writes the operations log, so the gateway follows the log. Each poll
// reads the rollout records written since the last one (by position, paged), and for every running
// rollout it (1) offers the release to each station that is 'offered' but was not sent an offer by
// this process yet (after a gateway restart that re-sends pending offers: harmless, a kiosk refuses
// an offer that is not newer than the last it accepted, or while it is busy), and (2) sweeps the
// station timeouts on HQ's clock (sweepRollout), whose group starts and stops are followed too.
import type { RolloutState } from '../domain/rollout/rollout.js';
import { opsReadRecordsMax, rolloutPollMs } from '../limits.js';
import type { TimerHandle } from '../ports/clock.js';
import { offerCommand, type RolloutWireDeps } from './rollout-wire.js';
import { readRollout, sweepRollout } from './rollouts.js';

export class RolloutDispatcher {
  readonly #deps: RolloutWireDeps;
  readonly #sent: Set<string>;
  readonly #running = new Set<string>();
  #position = 0;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #busy: Promise<void> = Promise.resolve();

  constructor(deps: RolloutWireDeps & { readonly clock: RolloutWireDeps['clock'] }) {
    this.#deps = deps;
    this.#sent = deps.offered ?? new Set<string>();
  }

  /** Polls now and then every rolloutPollMs on `clock` until stop(). */
  start(clock: {
    setTimeout(callback: () => void, delayMs: number, options?: { background?: boolean }): TimerHandle;
    clearTimeout(handle: TimerHandle): void;
  }): void {
    const again = (): void => {
      if (this.#stopped) return;
      void this.poll().finally(() => {
        if (!this.#stopped) this.#timer = clock.setTimeout(again, rolloutPollMs, { background: true });
      });
    };
    again();
    this.#stop = () => {
      if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    };
  }

  #stop: () => void = () => undefined;

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop();
    await this.#busy;
  }

  /** One pass: new records, then offers and timeouts of every running rollout. Never throws. */
  poll(): Promise<void> {
    const run = this.#busy.then(() => this.#pass());
    this.#busy = run.catch((error: unknown) =>
      this.#deps.log.error({ code: 'HQ_STORE_FAILED', err: error }, 'rollout poll failed; next poll retries'),
    );
    return this.#busy;
  }

  async #pass(): Promise<void> {
    for (;;) {
      const records = await this.#deps.store.list({
        aggregatePrefix: 'rollout:',
        afterPosition: this.#position,
        limit: opsReadRecordsMax,
      });
      for (const record of records) {
        this.#position = Math.max(this.#position, record.position);
        this.#running.add(record.aggregateId.slice('rollout:'.length));
      }
      if (records.length < opsReadRecordsMax) break;
    }
    for (const rolloutId of [...this.#running]) {
      const swept = await sweepRollout(this.#deps, rolloutId);
      const state = swept.ok ? swept.state : await readRollout(this.#deps, rolloutId);
      if (state === undefined || state.status !== 'running') {
        if (state !== undefined && state.status !== 'paused' && state.status !== 'created')
          this.#running.delete(rolloutId);
        continue;
      }
      await this.#offerPending(state);
    }
  }

  async #offerPending(state: RolloutState): Promise<void> {
    for (const [stationId, station] of state.stations) {
      const key = `${state.spec.rolloutId}/${stationId}`;
      if (station.progress !== 'offered' || this.#sent.has(key)) continue;
      await this.#deps.send(stationId, offerCommand(this.#deps, state, stationId, this.#deps.clock.nowMs()));
      this.#sent.add(key);
      this.#deps.log.info({ rolloutId: state.spec.rolloutId, stationId }, 'release offered');
    }
  }
}
