// Store maintenance on a timer (issue 9): keeps the WAL bounded and finishes writes a full disk
// postponed. Every walCheckpointMs it writes a deferred ack mark and checkpoints the WAL with
// TRUNCATE (journal_size_limit caps what a partial checkpoint leaves); a failure (disk full, I/O,
// busy) is logged with AGENT_STORE_CHECKPOINT_FAILED and retried with capped, jittered backoff.
// Nothing here throws out of a timer: a full disk never crashes the agent.
import type { Logger } from 'pino';
import { backoffDelayMs } from '../../domain/outbox/backoff.js';
import { walCheckpointBackoffMsInitial, walCheckpointBackoffMsMax, walCheckpointMs } from '../../limits.js';
import type { ClockPort, TimerHandle } from '../../ports/clock.js';
import type { KioskDb } from './kiosk-db.js';

export interface StoreMaintenanceOptions {
  readonly db: KioskDb;
  readonly clock: ClockPort;
  readonly logger: Logger;
  /** Period between checkpoints when all is well. Default walCheckpointMs. */
  readonly periodMs?: number;
}

export class StoreMaintenance {
  readonly #o: StoreMaintenanceOptions;
  readonly #log: Logger;
  #timer: TimerHandle | null = null;
  #failures = 0;
  #stopped = false;

  constructor(options: StoreMaintenanceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'store-maintenance' });
  }

  start(): void {
    if (this.#timer !== null || this.#stopped) throw new Error('assert: start() once');
    this.#arm(this.#o.periodMs ?? walCheckpointMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Consecutive failed runs (0 when the last one worked). */
  failures(): number {
    return this.#failures;
  }

  /** One run: deferred writes, then a checkpoint. True when both worked. Never throws. */
  runOnce(): boolean {
    let ok: boolean;
    let sqliteCode = '';
    try {
      this.#o.db.retryDeferred();
      const checkpoint = this.#o.db.checkpoint();
      ok = checkpoint.ok && !this.#o.db.ackDeferred();
      if (!checkpoint.ok) sqliteCode = checkpoint.sqliteCode;
      else if (!ok) sqliteCode = this.#o.db.writeFault()?.sqliteCode ?? 'deferred write pending';
    } catch (error) {
      ok = false;
      sqliteCode = String((error as { code?: unknown }).code ?? error);
    }
    if (ok) {
      if (this.#failures > 0) this.#log.info({ failures: this.#failures }, 'store maintenance recovered');
      this.#failures = 0;
      return true;
    }
    this.#failures += 1;
    this.#log.warn(
      { code: 'AGENT_STORE_CHECKPOINT_FAILED', sqliteCode, failures: this.#failures },
      'WAL checkpoint or deferred write failed; retrying',
    );
    return false;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(delayMs, () => {
      this.#timer = null;
      const ok = this.runOnce();
      this.#arm(
        ok
          ? (this.#o.periodMs ?? walCheckpointMs)
          : backoffDelayMs(
              { backoffMsInitial: walCheckpointBackoffMsInitial, backoffMsMax: walCheckpointBackoffMsMax },
              this.#failures,
              this.#o.clock.random01(),
            ),
      );
    });
  }
}
