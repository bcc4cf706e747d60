// HQ's own ledger, pure: every stored kiosk event is re-applied to a core-ledger Ledger, so a
// kiosk that lies about its quota, charges a fee beyond the schedule or posts a withdrawal HQ
// never saw authorised is caught and recorded as a discrepancy with a stable code. The ledger is
// a fold over the stored events: at start-up HQ rebuilds it by applying them again in seq order.
// A received daily close is reconciled against this ledger's day totals (R8, 账账相符).
import {
  closeHash,
  createLedger,
  type DayTotals,
  type FeeSchedule,
  GENESIS_HASH,
  type Ledger,
  type LedgerCommand,
  type LedgerResult,
  reconcileTotals,
  TOTALS_KINDS,
  type TypeTotals,
  WITHDRAWAL_LIMITS_DEFAULT,
  type WithdrawalLimits,
  type WorkingCalendar,
} from '@bianmin/core-ledger';
import type { HqCode } from '../errors.js';
import { assert } from './assert.js';
import { type ProvenanceBook, provenanceCodes } from './provenance.js';
import type { StationEvent, StationRecord } from './types.js';

export interface Discrepancy {
  readonly code: HqCode;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

export interface CloseDifference {
  readonly code: string;
  readonly detail: string;
}

export interface LedgerMirrorConfig {
  readonly calendar: WorkingCalendar;
  readonly feeSchedules: readonly FeeSchedule[];
  /** Events the ledger holds before it first regrows its columns (core-ledger default 1024). */
  readonly eventCapacityInitial?: number;
  /**
   * R5 limits, the very ones HQ signs into the station configs (ledgerLimitsOf(stationDefaults));
   * default core-ledger's WITHDRAWAL_LIMITS_DEFAULT (offline CLI reports only).
   */
  readonly withdrawalLimits?: WithdrawalLimits;
  /**
   * What HQ itself recorded (quota purchases, granted authorisations): an event it does not back
   * is a discrepancy and is not applied. Absent (offline reports): every event is applied.
   */
  readonly provenance?: ProvenanceBook;
}

/** The instant a close was sealed at the kiosk (its closed_at_ms), else the event's creation. */
function closedAtMsOf(event: StationEvent): number {
  const closedAtMs = Number(event.detail.closedAtMs ?? 0);
  return Number.isSafeInteger(closedAtMs) && closedAtMs > 0 ? closedAtMs : event.createdAtMs;
}

interface HoldInfo {
  readonly amountFen: number;
}

export class LedgerMirror {
  readonly #ledger: Ledger;
  readonly #holds = new Map<string, HoldInfo>();
  readonly #provenance: ProvenanceBook | undefined;

  constructor(config: LedgerMirrorConfig) {
    assert(
      config.eventCapacityInitial === undefined ||
        (Number.isSafeInteger(config.eventCapacityInitial) && config.eventCapacityInitial >= 1),
      'eventCapacityInitial must be a positive whole number',
    );
    this.#provenance = config.provenance;
    this.#ledger = createLedger({
      calendar: config.calendar,
      feeSchedules: config.feeSchedules,
      withdrawalLimits: config.withdrawalLimits ?? WITHDRAWAL_LIMITS_DEFAULT,
      ...(config.eventCapacityInitial === undefined
        ? {}
        : { eventCapacityInitial: config.eventCapacityInitial }),
    });
  }

  /** R4: the station exists with its org code and quota account once HQ enrolled it. */
  registerStation(station: StationRecord): void {
    const result = this.#ledger.apply({
      type: 'station-register',
      id: `register:${station.stationId}`,
      atMs: station.enrolledAtMs,
      stationId: station.stationId,
      orgCode: station.orgCode,
      quotaAccountNo: quotaAccountId(station),
    });
    if (!result.ok && result.code !== 'LEDGER_ID_CONFLICT') {
      throw new Error(`station registration refused: ${result.reasons.join(',')}`);
    }
    assert(this.#ledger.stationBalances(station.stationId) !== undefined, 'a registered station exists');
  }

  quotaFenAvailable(stationId: string): number {
    const quotaFen = this.#ledger.stationBalances(stationId)?.quotaFenAvailable ?? 0;
    // R2: the mirror refuses a payment beyond the quota, so its quota is never below zero.
    assert(Number.isSafeInteger(quotaFen) && quotaFen >= 0, 'R2: quota is whole fen, never below zero');
    return quotaFen;
  }

  /**
   * Apply one stored event; returns the discrepancies it shows (none for an honest kiosk). An event
   * whose claim HQ's own records do not back (domain/provenance.ts) is not applied: it is judged by
   * the provenance book when the mirror has one, or, when rebuilding from the store, by `judged`:
   * the provenance codes recorded for it at ingest (so a rebuild reaches the same balances without
   * the grants of long ago).
   */
  apply(event: StationEvent, judged?: readonly string[]): Discrepancy[] {
    const found: Discrepancy[] = [];
    let unproven: boolean;
    if (judged === undefined) {
      const finding = this.#provenance?.judge(event) ?? null;
      if (finding !== null) found.push(finding);
      unproven = finding !== null;
    } else {
      unproven = judged.some((code) => (provenanceCodes as readonly string[]).includes(code));
    }
    const command = unproven ? undefined : this.#command(event, found);
    if (command !== undefined) {
      const result = this.#ledger.apply(command);
      if (!result.ok) found.push(refusal(result));
    }
    if (event.quotaFenAfter !== null) {
      const quotaFen = this.quotaFenAvailable(event.stationId);
      if (quotaFen !== event.quotaFenAfter) {
        found.push({
          code: 'HQ_DISCREPANCY_QUOTA_MISMATCH',
          expected: String(quotaFen),
          actual: String(event.quotaFenAfter),
          detail: `${event.kind} quota after (fen)`,
        });
      }
    }
    // Provenance or (amount + refusal), plus the quota check: never more than three findings.
    assert(found.length <= 3, 'at most three discrepancies per event');
    return found;
  }

  #command(event: StationEvent, found: Discrepancy[]): LedgerCommand | undefined {
    // Plain object literals (no spread of a shared base): this runs once per ingested event.
    const txn = event.transactionId ?? event.eventId;
    const detail = event.detail;
    switch (event.kind) {
      case 'QUOTA_PURCHASE_APPLIED':
        return {
          atMs: event.createdAtMs,
          type: 'quota-purchase',
          id: txn,
          stationId: event.stationId,
          amountFen: event.amountFen,
        };
      case 'BILL_PAYMENT':
        return {
          atMs: event.createdAtMs,
          type: 'bill-payment',
          id: txn,
          stationId: event.stationId,
          amountFen: event.amountFen,
          feeFen: event.feeFen,
          billerCode: String(detail.billerCode ?? ''),
          billAccountNo: String(detail.accountNumber ?? ''),
        };
      case 'MOBILE_TOPUP':
        return {
          atMs: event.createdAtMs,
          type: 'mobile-topup',
          id: txn,
          stationId: event.stationId,
          amountFen: event.amountFen,
          feeFen: event.feeFen,
          phoneNumber: String(detail.phoneMasked ?? ''),
        };
      case 'WITHDRAWAL_AUTHORISED':
        this.#holds.set(txn, { amountFen: event.amountFen });
        return {
          atMs: event.createdAtMs,
          type: 'withdrawal-hold',
          id: txn,
          stationId: event.stationId,
          cardToken: String(detail.cardToken ?? ''),
          amountFen: event.amountFen,
          feeFen: event.feeFen,
        };
      case 'WITHDRAWAL_POSTED': {
        const hold = this.#holds.get(txn);
        if (hold !== undefined && hold.amountFen !== event.amountFen) {
          found.push({
            code: 'HQ_DISCREPANCY_AMOUNT_MISMATCH',
            expected: String(hold.amountFen),
            actual: String(event.amountFen),
            detail: `withdrawal ${txn} posted amount (fen)`,
          });
        }
        return { atMs: event.createdAtMs, type: 'withdrawal-post', id: event.eventId, holdId: txn };
      }
      case 'WITHDRAWAL_VOIDED':
        return { atMs: event.createdAtMs, type: 'withdrawal-void', id: event.eventId, holdId: txn };
      case 'WITHDRAWAL_REVERSED':
        return {
          atMs: event.createdAtMs,
          type: 'withdrawal-reverse',
          id: event.eventId,
          stationId: event.stationId,
          holdId: txn,
        };
      case 'DAILY_CLOSE':
        // The mirror closes the day where the kiosk did, so a completion after an early close lands
        // on the next business day here too (core-ledger completionDay), as it did at the kiosk.
        return {
          atMs: closedAtMsOf(event),
          type: 'daily-close',
          id: event.eventId,
          stationId: event.stationId,
          businessDate: event.businessDate,
        };
      default:
        // Declines, key rotation, command results and config receipts move no money.
        return undefined;
    }
  }

  /** R8: the kiosk's daily close totals against HQ's ledger totals for that station and day. */
  reconcileClose(
    stationId: string,
    businessDate: string,
    kioskTotals: readonly KioskTotals[],
  ): CloseDifference[] {
    const hq = this.#ledger.dayTotals(stationId, businessDate);
    const report = reportTotals(kioskTotals);
    const differences = reconcileTotals(hq, report).map((d) => ({
      code: d.code,
      detail: `${d.kind}.${d.field}: HQ ${d.ledgerValue}, kiosk ${d.reportValue}`,
    }));
    assert(differences.length <= TOTALS_KINDS.length * 4, 'at most one difference per totals field');
    return differences;
  }
}

/** What a received daily close claims, as HQ stores it (codec: DAILY_CLOSE detail). */
export interface KioskClose {
  readonly stationId: string;
  readonly businessDate: string;
  readonly closeSequence: number;
  readonly closedAtMs: number;
  readonly holdsPendingCount: number;
  readonly closeHash: string;
  readonly previousCloseHash: string;
  readonly totals: readonly KioskTotals[];
}

/**
 * R7: the close's hash recomputed with core-ledger's closeHash over what the kiosk sent, and its
 * link to the station's previous close (64 zeros for the first). Each failure is a difference.
 */
export function checkCloseSeal(close: KioskClose, previousHash: string | undefined): CloseDifference[] {
  const differences: CloseDifference[] = [];
  const expectedPrevious = previousHash ?? GENESIS_HASH;
  if (close.previousCloseHash !== expectedPrevious) {
    differences.push({
      code: 'LEDGER_CLOSE_CHAIN_BROKEN',
      detail: `previous close hash ${close.previousCloseHash.slice(0, 12)}…, HQ has ${expectedPrevious.slice(0, 12)}…`,
    });
  }
  if (/^[0-9a-f]{64}$/.test(close.previousCloseHash)) {
    const recomputed = closeHash({
      stationId: close.stationId,
      businessDate: close.businessDate,
      sequence: close.closeSequence,
      closedAtMs: close.closedAtMs,
      totals: reportTotals(close.totals),
      holdsPendingCount: close.holdsPendingCount,
      previousHash: close.previousCloseHash,
    });
    assert(recomputed.length === 64, 'a recomputed close hash is 64 hex digits');
    if (recomputed !== close.closeHash) {
      differences.push({
        code: 'LEDGER_CLOSE_HASH_MISMATCH',
        detail: 'close hash does not match its content (R7)',
      });
    }
  }
  assert(differences.length <= 2, 'a close breaks its chain, its hash, or both');
  return differences;
}

export interface KioskTotals {
  /** core-ledger's totals kind (CASH_WITHDRAWAL, BILL_PAYMENT, MOBILE_TOPUP, REVERSAL, QUOTA_PURCHASE). */
  readonly kind: string | null;
  readonly count: number;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly quotaFenConsumed: number;
}

/** The kiosk's close lines as core-ledger DayTotals; a kind the kiosk omitted had nothing that day. */
export function reportTotals(kiosk: readonly KioskTotals[]): DayTotals {
  const zero: TypeTotals = { count: 0, amountFen: 0, feeFen: 0, quotaConsumedFen: 0 };
  const out: Record<string, TypeTotals> = {};
  for (const kind of TOTALS_KINDS) out[kind] = zero;
  for (const line of kiosk) {
    if (line.kind === null || !(line.kind in out)) continue;
    out[line.kind] = {
      count: line.count,
      amountFen: line.amountFen,
      feeFen: line.feeFen,
      quotaConsumedFen: line.quotaFenConsumed,
    };
  }
  for (const kind of TOTALS_KINDS) assert(out[kind] !== undefined, 'every totals kind has a line');
  return out as unknown as DayTotals;
}

function refusal(result: Exclude<LedgerResult, { ok: true }>): Discrepancy {
  assert(result.reasons.length > 0, 'a core-ledger refusal names its reasons (R21)');
  const reasons = result.reasons.join(',');
  const code: HqCode = result.reasons.includes('LEDGER_QUOTA_INSUFFICIENT')
    ? 'HQ_DISCREPANCY_QUOTA_OVERDRAWN'
    : result.reasons.some((r) => r === 'LEDGER_FEE_ABOVE_SCHEDULE' || r === 'LEDGER_FEE_BELOW_SCHEDULE')
      ? 'HQ_DISCREPANCY_FEE_MISMATCH'
      : result.reasons.includes('LEDGER_HOLD_UNKNOWN')
        ? 'HQ_DISCREPANCY_HOLD_UNKNOWN'
        : 'HQ_DISCREPANCY_LEDGER_REFUSED';
  return { code, expected: 'LEDGER_OK', actual: reasons, detail: `core-ledger refused: ${reasons}` };
}

/** The quota virtual account id HQ gives a station (R4). */
export function quotaAccountId(station: Pick<StationRecord, 'orgCode'>): string {
  // The org code comes from HQ's own enrolment record, checked when the station was enrolled.
  assert(station.orgCode.length > 0, 'a station has an org code (R4)');
  return `Q-${station.orgCode}`;
}
