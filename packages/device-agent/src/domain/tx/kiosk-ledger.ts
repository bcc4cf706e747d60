// The kiosk's own core-ledger: a fold over the ledger commands its journal rows carry. Quota
// (R2–R4), fees (R5, R6), service hours (R20) and the daily close (R7) are decided by
// @bianmin/core-ledger, the same rules HQ re-applies to the kiosk's events. The ledger is rebuilt
// from the stored commands whenever HQ's config changes (fee schedules, hours, limits), which at a
// kiosk's volume (hundreds of commands a day) takes milliseconds. Pure.
import {
  createLedger,
  createWorkingCalendar,
  type DailyClose,
  type Ledger,
  type LedgerCommand,
  type LedgerResult,
  standardFeeSchedule,
  WITHDRAWAL_LIMITS_DEFAULT,
} from '@bianmin/core-ledger';
import type { ActiveConfig } from './active-config.js';

/** Instant of the synthetic registration command: before any business. */
const REGISTER_AT_MS = Date.UTC(2020, 0, 1);

export class KioskLedger {
  readonly #stationId: string;
  readonly #commands: LedgerCommand[] = [];
  #ledger: Ledger;
  #config: ActiveConfig | null = null;

  constructor(stationId: string) {
    this.#stationId = stationId;
    this.#ledger = this.#fresh();
  }

  /** Applies HQ's config: a new ledger with its schedules, hours and limits, then every command again. */
  configure(config: ActiveConfig): void {
    this.#config = config;
    this.#ledger = this.#fresh();
    for (const command of this.#commands) this.#ledger.apply(command);
  }

  /** Applies a command; records it for rebuilds only when accepted. */
  apply(command: LedgerCommand): LedgerResult {
    const result = this.#ledger.apply(command);
    if (result.ok) this.#commands.push(command);
    return result;
  }

  /** Replays a command read back from the journal (accepted when it was first applied). */
  replay(command: LedgerCommand): LedgerResult {
    return this.apply(command);
  }

  /** Takes back the last accepted command (its journal append failed, or another rule refused it). */
  undo(id: string): void {
    const last = this.#commands.at(-1);
    if (last === undefined || last.id !== id) return;
    this.#commands.pop();
    this.#ledger = this.#fresh();
    for (const command of this.#commands) this.#ledger.apply(command);
  }

  quotaFenAvailable(): number {
    return this.#ledger.stationBalances(this.#stationId)?.quotaFenAvailable ?? 0;
  }

  lastClose(): DailyClose | undefined {
    return this.#ledger.closes(this.#stationId).at(-1);
  }

  dayTotals(businessDate: string) {
    return this.#ledger.dayTotals(this.#stationId, businessDate);
  }

  #fresh(): Ledger {
    const config = this.#config;
    const limits = config?.limits;
    const ledger = createLedger({
      calendar: createWorkingCalendar([]),
      feeSchedules:
        config === null || config.feeSchedules.length === 0
          ? [standardFeeSchedule('2000-01-01')]
          : config.feeSchedules,
      withdrawalLimits:
        limits === undefined || limits.withdrawalFenMaxPerTransaction === 0
          ? WITHDRAWAL_LIMITS_DEFAULT
          : { ...WITHDRAWAL_LIMITS_DEFAULT, perTransactionFenMax: limits.withdrawalFenMaxPerTransaction },
    });
    ledger.apply({
      type: 'station-register',
      id: `register:${this.#stationId}`,
      atMs: REGISTER_AT_MS,
      stationId: this.#stationId,
      orgCode: config === null || config.orgCode === '' ? null : config.orgCode,
      quotaAccountNo: config === null || config.quotaAccountId === '' ? null : config.quotaAccountId,
      ...(config === null ? {} : { serviceHours: config.serviceHours }),
    });
    return ledger;
  }
}
