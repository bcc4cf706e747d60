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
  sameFeeSchedule,
  standardFeeSchedule,
  WITHDRAWAL_LIMITS_DEFAULT,
  type WithdrawalLimits,
} from '@bianmin/core-ledger';
import { assert, assertIntegerInRange } from '../assert.js';
import type { ActiveConfig } from './active-config.js';
import { mergeFeeSchedules } from './fee-history.js';

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
    // The station id passed the config's pattern (1..32 characters) at the edge.
    assert(stationId.length > 0, 'KioskLedger: station id is empty');
    this.#stationId = stationId;
    this.#ledger = this.#rebuild();
    assert(this.#commands.length === 0, 'KioskLedger: a new ledger holds no commands');
  }

  /**
   * Applies HQ's config: a new ledger with its schedules, then every command again. What was
   * accepted stays accepted: history is replayed with hours and limits open, and the config's hours
   * and limits apply from now on (a config that shortens the hours or lowers a daily limit must not
   * undo this morning's payments; their usage still counts against the new limits).
   */
  configure(config: ActiveConfig): void {
    const commandCount = this.#commands.length;
    this.#config = config;
    this.learnSchedules(config.feeSchedules);
    this.#ledger = this.#rebuild();
    // A config changes what comes next, never what was accepted (the commands stay as they were).
    assert(this.#commands.length === commandCount, 'configure: a config changed the accepted commands');
  }

  /**
   * Adds schedule versions to the history (takes effect at the next rebuild or `configure`). A
   * version already known keeps its first content; returns the versions that came with another.
   */
  learnSchedules(schedules: readonly FeeSchedule[]): number[] {
    const conflicts = schedules
      .filter((schedule) => {
        const known = this.#schedules.get(schedule.version);
        return known !== undefined && !sameFeeSchedule(known, schedule);
      })
      .map((schedule) => schedule.version);
    const knownCount = this.#schedules.size;
    for (const schedule of mergeFeeSchedules(this.feeSchedules(), schedules))
      this.#schedules.set(schedule.version, schedule);
    // R6: learning only adds versions.
    assert(this.#schedules.size >= knownCount, 'learnSchedules: a known version was dropped');
    assert(conflicts.length <= schedules.length, 'learnSchedules: more conflicts than schedules');
    return conflicts;
  }

  /** Every fee schedule version the kiosk was given, by version (R6 history). */
  feeSchedules(): FeeSchedule[] {
    const schedules = [...this.#schedules.values()].sort((a, b) => a.version - b.version);
    assert(
      schedules.every((schedule) => this.#schedules.get(schedule.version) === schedule),
      'feeSchedules: a schedule is kept under another version',
    );
    return schedules;
  }

  /** Start-up: the journal's commands follow through `replay`, under open hours and limits. */
  beginReplay(): void {
    assert(!this.#replaying, 'beginReplay: already replaying');
    assert(this.#commands.length === 0, 'beginReplay: replay starts from an empty ledger');
    this.#replaying = true;
    this.#ledger = this.#rebuild();
  }

  /** Start-up replay done: the config's hours and limits apply to what comes next. */
  endReplay(): void {
    assert(this.#replaying, 'endReplay without beginReplay');
    this.#replaying = false;
    this.#tighten(this.#ledger);
  }

  /** Applies a command; records it for rebuilds only when accepted. */
  apply(command: LedgerCommand): LedgerResult {
    const commandCount = this.#commands.length;
    const result = this.#ledger.apply(command);
    if (result.ok) this.#commands.push(command);
    // Only an accepted command is kept for rebuilds, and exactly once.
    assert(this.#commands.length === commandCount + (result.ok ? 1 : 0), 'apply: commands out of step');
    return result;
  }

  /**
   * Dry run: the reasons core-ledger would refuse `command` for (R21: all of them), leaving the
   * ledger as it was. An accepted probe is taken back with `undo`, so the caller must run it as
   * the last command (the agent's single writer guarantees that). [] = it would be accepted.
   */
  check(command: LedgerCommand): readonly LedgerCode[] {
    const commandCount = this.#commands.length;
    const result = this.apply(command);
    if (!result.ok) {
      assert(result.reasons.length > 0, 'check: a refusal without a reason (R21)');
      return result.reasons;
    }
    this.undo(command.id);
    // A dry run: the ledger is left as it was.
    assert(this.#commands.length === commandCount, 'check: the probe was not taken back');
    return [];
  }

  /** Replays a command read back from the journal (accepted when it was first applied). */
  replay(command: LedgerCommand): LedgerResult {
    assert(this.#replaying, 'replay outside beginReplay/endReplay');
    return this.apply(command);
  }

  /** Takes back the last accepted command (its journal append failed, or another rule refused it). */
  undo(id: string): void {
    assert(id.length > 0, 'undo: a command id is never empty');
    const last = this.#commands.at(-1);
    if (last === undefined || last.id !== id) return;
    this.#commands.pop();
    this.#ledger = this.#rebuild();
  }

  quotaFenAvailable(): number {
    const quotaFen = this.#ledger.stationBalances(this.#stationId)?.quotaFenAvailable ?? 0;
    // R2: the station quota never goes below zero; R1: integer fen.
    assertIntegerInRange(quotaFen, 0, LEDGER_LIMITS.amountFenMax, 'quotaFenAvailable');
    return quotaFen;
  }

  lastClose(): DailyClose | undefined {
    return this.#ledger.closes(this.#stationId).at(-1);
  }

  /** The sealed close of a business day, if any (R8: a late drawer count names its hash). */
  closeOf(businessDate: string): DailyClose | undefined {
    return this.#ledger.closes(this.#stationId).find((close) => close.businessDate === businessDate);
  }

  /** R7: days with business after the last close (before `beforeDate` when given), oldest first. */
  unclosedBusinessDays(beforeDate?: string): string[] {
    return this.#ledger.unclosedBusinessDays(this.#stationId, beforeDate);
  }

  dayTotals(businessDate: string) {
    assert(/^\d{4}-\d{2}-\d{2}$/.test(businessDate), 'dayTotals: businessDate must be YYYY-MM-DD');
    return this.#ledger.dayTotals(this.#stationId, businessDate);
  }

  /** A new ledger with every accepted command again (open hours and limits), then tightened. */
  #rebuild(): Ledger {
    const ledger = this.#fresh();
    const commandCount = this.#commands.length;
    for (const command of this.#commands) ledger.apply(command);
    if (!this.#replaying) this.#tighten(ledger);
    assert(this.#commands.length === commandCount, 'rebuild: the replay changed the command list');
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
    assert(config === null || config === this.#config, '#register: not the configured config');
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
