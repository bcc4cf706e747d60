// Reports the agent to its service manager (systemd Type=notify, issue 13) on a timer of the clock
// port: READY=1 once the journal, the UK key, both peripherals and the broker session are up;
// a STATUS= line whenever it changes; WATCHDOG=1 on each tick only while no loop is stuck
// (domain/supervision/watchdog.ts); while still starting, EXTEND_TIMEOUT_USEC= on each healthy tick,
// so a start that waits for a slow mobile link is not killed but a wedged one is; STOPPING=1 at stop.
import type { Logger } from 'pino';
import { assert, assertIntegerInRange } from '../domain/assert.js';
import {
  emptyLoopTracker,
  type LoopReport,
  type LoopTracker,
  observeLoops,
  type PartsUp,
  partsWaiting,
  statusLine,
} from '../domain/supervision/watchdog.js';
import { startTimeoutExtendMs, supervisorTickMsMax } from '../limits.js';
import type { ClockPort, TimerHandle } from '../ports/clock.js';
import type { ServiceManagerPort } from '../ports/service-manager.js';

export interface SupervisorOptions {
  readonly clock: ClockPort;
  readonly notifier: ServiceManagerPort;
  readonly logger: Logger;
  /** systemd's watchdog interval (WATCHDOG_USEC in ms), or null when the unit has none. */
  readonly watchdogMs: number | null;
  /** Which parts are up right now. */
  readonly parts: () => PartsUp;
  /** Every loop's state right now. */
  readonly loops: () => readonly LoopReport[];
}

export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #tickMs: number;
  #tracker: LoopTracker = emptyLoopTracker;
  #timer: TimerHandle | null = null;
  #ready = false;
  #stopping = false;
  #lastStatus = '';
  #lastStuck = '';

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'supervisor' });
    if (options.watchdogMs !== null)
      assertIntegerInRange(options.watchdogMs, 1, Number.MAX_SAFE_INTEGER, 'watchdogMs');
    // Half the watchdog interval, as sd_watchdog_enabled(3) advises, and often enough for READY.
    this.#tickMs =
      options.watchdogMs === null
        ? supervisorTickMsMax
        : Math.max(1, Math.min(supervisorTickMsMax, Math.floor(options.watchdogMs / 2)));
  }

  /** True once READY=1 was sent. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Runs the first tick now, then one every tick interval until `stop`. */
  start(): void {
    assert(this.#timer === null && !this.#stopping, 'supervisor: started twice or after stop');
    this.tick();
  }

  /** One check: readiness, status line, watchdog ping. Public for the fake-clock tests. */
  tick(): void {
    if (this.#stopping) return;
    const parts = this.#o.parts();
    const verdict = observeLoops(this.#tracker, this.#o.loops(), this.#o.clock.nowMs());
    this.#tracker = verdict.tracker;
    const assignments: string[] = [];
    const allUp = partsWaiting(parts).length === 0;
    if (allUp && !this.#ready && verdict.stuck.length === 0) {
      this.#ready = true;
      assignments.push('READY=1');
      this.#log.info('ready: journal, token, peripherals and link are up');
    }
    const status = statusLine(parts, verdict.stuck, false);
    if (status !== this.#lastStatus) {
      this.#lastStatus = status;
      assignments.push(`STATUS=${status}`);
    }
    this.#noteStuck(verdict.stuck);
    if (verdict.stuck.length === 0) {
      if (this.#o.watchdogMs !== null) assignments.push('WATCHDOG=1');
      if (!this.#ready) assignments.push(`EXTEND_TIMEOUT_USEC=${startTimeoutExtendMs * 1000}`);
    }
    if (assignments.length > 0) this.#o.notifier.notify(assignments);
    this.#timer = this.#o.clock.setTimer(this.#tickMs, () => this.tick());
  }

  /** STOPPING=1 and no more ticks; closes the notifier. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#o.notifier.notify(['STOPPING=1', `STATUS=${statusLine(this.#o.parts(), [], true)}`]);
    await this.#o.notifier.close();
  }

  #noteStuck(stuck: readonly string[]): void {
    const key = stuck.join(',');
    if (key === this.#lastStuck) return;
    this.#lastStuck = key;
    if (stuck.length > 0)
      this.#log.error({ code: 'AGENT_WATCHDOG_LOOP_STUCK', loops: stuck }, 'loop stuck: watchdog pings stop');
    else this.#log.info('loops healthy again: watchdog pings resume');
  }
}
