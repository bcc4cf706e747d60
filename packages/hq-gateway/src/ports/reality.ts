// The ports of R8 账实相符 (report = real cash and bank settlement): the bank's daily settlement as
// the bank reports it, and where HQ keeps each check and its differences. The comparison itself
// is pure (domain/reality-check.ts); the step that runs it after a close or a late drawer count
// is app/ingest/reality.ts. SQLite and PostgreSQL implement the store
// (adapters/{sqlite,postgres}/reality-store.ts), the
// bank simulator the settlement (adapters/bank-sim/bank-sim.ts).
import type { BankSettlementLine, RealityDifference, RealityResult } from '../domain/reality-check.js';
import type { StationEvent } from '../domain/types.js';

export interface BankSettlementSource {
  /**
   * The bank's posted withdrawals of a station for a business day (the bank's own date), plus any
   * of `requestIds` it posted under another date (a withdrawal authorised just before midnight).
   */
  settlement(
    stationId: string,
    businessDate: string,
    requestIds: readonly string[],
  ): Promise<BankSettlementLine[]>;
}

/** One run of the check, as stored. */
export interface RealityCheckRecord extends RealityResult {
  /** The DailyClose or CashDeclared that triggered the run. */
  readonly triggerEventId: string;
  readonly checkedAtMs: number;
}

/** A station's day as `hq report daily` shows it: the latest run and every difference found. */
export interface RealityDay {
  readonly latest: RealityCheckRecord;
  readonly differences: readonly RealityDifference[];
}

export interface RealityStore {
  /**
   * Saves a run. Each difference not recorded before for that station and day (same code and
   * reference) is recorded once, and as a discrepancy row too (an alert in `hq status`), in one
   * transaction; returns the differences newly recorded.
   */
  saveRealityCheck(record: RealityCheckRecord): Promise<RealityDifference[]>;
  /** Per station, the day's latest run and all its recorded differences. */
  realityDays(businessDate: string): Promise<Map<string, RealityDay>>;
}

/** What the reality step needs (ingest: PipelineDeps.reality; absent = not checked). */
export interface RealityDeps {
  readonly store: RealityStore;
  readonly events: { eventsOfDay(stationId: string, businessDate: string): Promise<StationEvent[]> };
  readonly bank: BankSettlementSource;
}
