// The kiosk's own core-ledger: a fold over the ledger commands its journal rows carry. Quota
// (R2–R4), fees (R5, R6), service hours (R20) and the daily close (R7) are decided by
// @bianmin/core-ledger, the same rules HQ re-applies to the kiosk's events. The ledger is rebuilt
// from the stored commands whenever HQ's config changes (fee schedules, hours, limits), which at a
// kiosk's volume (hundreds of commands a day) takes milliseconds. Fee schedules are history (R6):
// every version the kiosk was ever given is kept (merged, never dropped; a version keeps the content
// it first came with), so a rebuild judges each past event by the schedule in force on its day and
// no config can change a balance or a sealed close. Pure.
import {
  createLedger,
  createWorkingCalendar,
  type DailyClose,
  type FeeSchedule,
  LEDGER_LIMITS,
  type Ledger,
  type LedgerCode,
  type LedgerCommand,
  type LedgerResult,
  SERVICE_HOURS_ALWAYS,
  standardFeeSchedule,
  WITHDRAWAL_LIMITS_DEFAULT,
  type WithdrawalLimits,
} from '@bianmin/core-ledger';
import type { ActiveConfig } from './active-config.js';
import { mergeFeeSchedules, sameSchedule } from './fee-history.js';

/** Instant of the synthetic registration command: before any business. */
const REGISTER_AT_MS = Date.UTC(2020, 0, 1);

/** No limit (the ledger's largest amount): history was checked when it happened. */
const WITHDRAWAL_LIMITS_OPEN: WithdrawalLimits = {
  perTransactionFenMax: LEDGER_LIMITS.amountFenMax,
  perCardDailyFenMax: LEDGER_LIMITS.amountFenMax,
  perStationDailyFenMax: LEDGER_LIMITS.amountFenMax,
};

export class KioskLedger {
  readonly #stationId: string;
  readonly #commands: LedgerCommand[] = [];
  #ledger: Ledger;
  #config: ActiveConfig | null = null;
  /** Every fee schedule version ever given, by version (R6 history). */
  readonly #schedules = new Map<number, FeeSchedule>();
  #replaying = false;

  constructor(stationId: string) {
    this.#stationId = stationId;
    this.#ledger = this.#rebuild();
  }

  /**
   * Applies HQ's config: a new ledger with its schedules, then every command again. What was
   * accepted stays accepted: history is replayed with hours and limits open, and the config's hours
   * and limits apply from now on (a config that shortens the hours or lowers a daily limit must not
   * undo this morning's payments; their usage still counts against the new limits).
   */
  configure(config: ActiveConfig): void {
    this.#config = config;
    this.learnSchedules(config.feeSchedules);
    this.#ledger = this.#rebuild();
  }

  /**
   * Adds schedule versions to the history (takes effect at the next rebuild or `configure`). A
   * version already known keeps its first content; returns the versions that came with another.
   */
  learnSchedules(schedules: readonly FeeSchedule[]): number[] {
    const conflicts = schedules
      .filter((schedule) => {
        const known = this.#schedules.get(schedule.version);
        return known !== undefined && !sameSchedule(known, schedule);
      })
      .map((schedule) => schedule.version);
    for (const schedule of mergeFeeSchedules(this.feeSchedules(), schedules))
      this.#schedules.set(schedule.version, schedule);
    return conflicts;
  }

  /** Every fee schedule version the kiosk was given, by version (R6 history). */
  feeSchedules(): FeeSchedule[] {
    return [...this.#schedules.values()].sort((a, b) => a.version - b.version);
  }

  /** Start-up: the journal's commands follow through `replay`, under open hours and limits. */
  beginReplay(): void {
    this.#replaying = true;
    this.#ledger = this.#rebuild();
  }

  /** Start-up replay done: the config's hours and limits apply to what comes next. */
  endReplay(): void {
    this.#replaying = false;
    this.#tighten(this.#ledger);
  }

  /** Applies a command; records it for rebuilds only when accepted. */
  apply(command: LedgerCommand): LedgerResult {
    const result = this.#ledger.apply(command);
    if (result.ok) this.#commands.push(command);
    return result;
  }

  /**
   * Dry run: the reasons core-ledger would refuse `command` for (R21: all of them), leaving the
   * ledger as it was. An accepted probe is taken back with `undo`, so the caller must run it as
   * the last command (the agent's single writer guarantees that). [] = it would be accepted.
   */
  check(command: LedgerCommand): readonly LedgerCode[] {
    const result = this.apply(command);
    if (!result.ok) return result.reasons;
    this.undo(command.id);
    return [];
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
    this.#ledger = this.#rebuild();
  }

  quotaFenAvailable(): number {
    return this.#ledger.stationBalances(this.#stationId)?.quotaFenAvailable ?? 0;
  }

  lastClose(): DailyClose | undefined {
    return this.#ledger.closes(this.#stationId).at(-1);
  }

  /** R7: days with business after the last close (before `beforeDate` when given), oldest first. */
  unclosedBusinessDays(beforeDate?: string): string[] {
    return this.#ledger.unclosedBusinessDays(this.#stationId, beforeDate);
  }

  dayTotals(businessDate: string) {
    return this.#ledger.dayTotals(this.#stationId, businessDate);
  }

  /** A new ledger with every accepted command again (open hours and limits), then tightened. */
  #rebuild(): Ledger {
    const ledger = this.#fresh();
    for (const command of this.#commands) ledger.apply(command);
    if (!this.#replaying) this.#tighten(ledger);
    return ledger;
  }

  /** Registers the station again with the config's hours (R20) and limits (R5): they rule from now on. */
  #tighten(ledger: Ledger): void {
    const config = this.#config;
    if (config === null) return;
    const result = ledger.apply({ ...this.#register(config), id: `register:${this.#stationId}:live` });
    if (!result.ok) throw new Error(`assert: re-registration refused: ${result.reasons.join(', ')}`);
  }

  #register(config: ActiveConfig | null) {
    return {
      type: 'station-register' as const,
      id: `register:${this.#stationId}`,
      atMs: REGISTER_AT_MS,
      stationId: this.#stationId,
      orgCode: config === null || config.orgCode === '' ? null : config.orgCode,
      quotaAccountNo: config === null || config.quotaAccountId === '' ? null : config.quotaAccountId,
      ...(config === null
        ? {}
        : { serviceHours: config.serviceHours, withdrawalLimits: withdrawalLimitsOf(config.limits) }),
    };
  }

  /** The ledger history is replayed into: every fee schedule version known (effective-dated), hours and limits open. */
  #fresh(): Ledger {
    const config = this.#config;
    const ledger = createLedger({
      calendar: createWorkingCalendar([]),
      feeSchedules: this.#schedules.size === 0 ? [standardFeeSchedule('2000-01-01')] : this.feeSchedules(),
      withdrawalLimits: WITHDRAWAL_LIMITS_OPEN,
    });
    ledger.apply({
      ...this.#register(config),
      serviceHours: SERVICE_HOURS_ALWAYS,
      withdrawalLimits: WITHDRAWAL_LIMITS_OPEN,
    });
    return ledger;
  }
}

/**
 * HQ's limits over core-ledger's defaults; 0 in the config means "the default". A limit above the
 * ledger's largest amount (an HQ writing "no limit" as a huge number) is clamped to it: a signed
 * config must never be able to crash the agent on a ledger assertion.
 */
export function withdrawalLimitsOf(limits: ActiveConfig['limits'] | undefined): WithdrawalLimits {
  const pick = (value: number | undefined, fallback: number) =>
    value === undefined || value === 0 ? fallback : Math.min(value, LEDGER_LIMITS.amountFenMax);
  return {
    perTransactionFenMax: pick(
      limits?.withdrawalFenMaxPerTransaction,
      WITHDRAWAL_LIMITS_DEFAULT.perTransactionFenMax,
    ),
    perCardDailyFenMax: pick(
      limits?.withdrawalFenMaxPerCardPerDay,
      WITHDRAWAL_LIMITS_DEFAULT.perCardDailyFenMax,
    ),
    perStationDailyFenMax: pick(
      limits?.withdrawalFenMaxPerStationPerDay,
      WITHDRAWAL_LIMITS_DEFAULT.perStationDailyFenMax,
    ),
  };
}
