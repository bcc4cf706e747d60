// The daily close (R7): a business day's totals by business type, sealed by core-ledger with a
// hash chained to the previous close, journaled and sent to HQ as a signed DailyClose. Closes run
// automatically after each Shanghai midnight (`arm`), on HQ's request or the operator's.
import { dateFromDayNumber, dayNumberFromDate, type LedgerCommand, parseIsoDate } from '@bianmin/core-ledger';
import { PayloadType, v1 } from '@bianmin/wire';
import {
  addToDay,
  BUSINESS_TYPES,
  type BusinessTypeName,
  businessDateOf,
  type DayTotals,
  emptyDay,
  msUntilNextMidnight,
} from '../domain/tx/business-day.js';
import { refusal } from '../domain/tx/refusal.js';
import { isAgentError } from '../errors.js';
import { closeCatchUpDaysMax } from '../limits.js';
import type { TimerHandle } from '../ports/clock.js';
import type { CashCount, DailyCloseView, Outcome } from '../ports/operator.js';
import {
  cashDeclarationBody,
  checkCashCount,
  declareAfterClose,
  metaCashDeclared,
} from './cash-declaration.js';
import type { AppContext } from './context.js';

const metaClose = (date: string) => `daily_close:${date}`;

const TOTALS_KIND_WIRE: Record<BusinessTypeName, number> = {
  CASH_WITHDRAWAL: v1.TotalsKind.TOTALS_KIND_CASH_WITHDRAWAL,
  BILL_PAYMENT: v1.TotalsKind.TOTALS_KIND_BILL_PAYMENT,
  MOBILE_TOPUP: v1.TotalsKind.TOTALS_KIND_MOBILE_TOPUP,
  REVERSAL: v1.TotalsKind.TOTALS_KIND_REVERSAL,
  QUOTA_PURCHASE: v1.TotalsKind.TOTALS_KIND_QUOTA_PURCHASE,
};

type CloseOutcome = Outcome<{ close: DailyCloseView }>;

export type DayTotalsView = Record<BusinessTypeName, { count: number; amountFen: number; feeFen: number }>;

export class DailyCloser {
  readonly #c: AppContext;
  /** First and last event seq of each business day's money events (the close reports them). */
  readonly #days = new Map<string, DayTotals>();
  #timer: TimerHandle | null = null;

  constructor(context: AppContext) {
    this.#c = context;
    context.writer.onRow((row, payload) => {
      const type = payload.businessType as BusinessTypeName | undefined;
      if (type === undefined || row.eventSeq === null || typeof payload.businessDate !== 'string') return;
      const day = this.#days.get(payload.businessDate) ?? emptyDay();
      addToDay(day, type, row.eventSeq, {
        amountFen: payload.amountFen as number,
        feeFen: (payload.feeFen as number | undefined) ?? 0,
        quotaFenConsumed:
          type === 'BILL_PAYMENT' || type === 'MOBILE_TOPUP' ? (payload.amountFen as number) : 0,
      });
      this.#days.set(payload.businessDate, day);
    });
  }

  /** Closes each business day automatically just after Shanghai midnight. */
  arm(): void {
    const clock = this.#c.clock;
    const nowMs = clock.nowMs();
    // The day to close is today's, fixed now: a timer that fires late (a suspended process, a
    // clock that jumped) still closes this day, never the one it happens to fire in.
    const today = businessDateOf(nowMs);
    const failed = (error: unknown): void =>
      this.#c.log.error(
        { code: isAgentError(error) ? error.code : undefined, err: String(error) },
        'daily close failed',
      );
    this.#timer = clock.setTimer(msUntilNextMidnight(nowMs) + 1000, () => {
      // Then every day after it up to yesterday, empty ones too: a clock that jumped forward over
      // several midnights must leave no hole in the close dates (R7), as catch-up at start does.
      void this.close(today)
        .catch(failed)
        .finally(() => {
          this.arm();
          void this.catchUp().catch(failed);
        });
    });
  }

  disarm(): void {
    this.#timer?.cancel();
  }

  /**
   * R7: closes a business day through core-ledger (totals, sequence, hash chained to the last
   * close). An earlier day with business that is still open is closed first, oldest first: a
   * later close would otherwise seal the chain past it and its revenue would never reach HQ.
   * With `cash` (R8 账实相符): the drawer count travels in this day's close, or, when the day is
   * already closed, in its own CashDeclared event (cash-declaration.ts); once per day.
   */
  close(businessDate?: string, cash?: CashCount): Promise<CloseOutcome> {
    const date = businessDate ?? this.#c.rules.businessDate();
    return this.#c.writer.serially(async () => {
      if (cash !== undefined) {
        const refused = checkCashCount(this.#c, date, cash);
        if (refused !== undefined) return refused;
        const sealed = this.#sealedClose(date);
        if (sealed !== undefined) {
          const cashDeclared = await declareAfterClose(this.#c, date, sealed.hash, cash);
          return { ok: true, close: { ...this.#closeView(date, sealed.seq, sealed.hash), cashDeclared } };
        }
      }
      for (const earlier of this.#openBusinessDaysBefore(date)) {
        const closed = await this.#closeOne(earlier);
        if (!closed.ok) return closed;
        this.#c.log.info({ businessDate: earlier, before: date }, 'earlier business day closed first (R7)');
      }
      return this.#closeOne(date, cash);
    });
  }

  /** The day's close when the journal has one: its seq and hash. */
  #sealedClose(date: string): { seq: number; hash: string } | undefined {
    const seq = this.#c.journal.getMeta(metaClose(date));
    if (seq === null) return undefined;
    const close = this.#c.ledger.closeOf(date);
    return close === undefined ? undefined : { seq: Number(seq), hash: close.hash };
  }

  #closeView(date: string, seq: number, closeHash: string): DailyCloseView {
    const totals = this.#c.ledger.dayTotals(date);
    return {
      businessDate: date,
      seq,
      closeHash,
      totals: BUSINESS_TYPES.map((kind) => ({
        businessType: kind,
        count: totals[kind].count,
        amountFen: totals[kind].amountFen,
        feeFen: totals[kind].feeFen,
      })),
    };
  }

  /**
   * Start-up (R7): closes every day the kiosk missed while it was off — each day after the last
   * close up to yesterday, oldest first (only the days with business when more than
   * closeCatchUpDaysMax are missing). Returns the dates closed.
   */
  catchUp(): Promise<string[]> {
    const c = this.#c;
    return c.writer.serially(async () => {
      const today = dayNumberFromDate(c.rules.businessDate());
      const last = c.ledger.lastClose()?.businessDate;
      const business = c.ledger.unclosedBusinessDays();
      const from = last === undefined ? business[0] : dateFromDayNumber(dayNumberFromDate(last) + 1);
      if (from === undefined) return [];
      const fromDay = dayNumberFromDate(from);
      const days: string[] = [];
      if (today - fromDay <= closeCatchUpDaysMax) {
        for (let day = fromDay; day < today; day += 1) days.push(dateFromDayNumber(day));
      } else {
        days.push(...business.filter((d) => dayNumberFromDate(d) < today));
      }
      const closed: string[] = [];
      for (const date of days) {
        const outcome = await this.#closeOne(date);
        if (outcome.ok) closed.push(date);
        else if (outcome.reasons[0]?.code !== 'AGENT_CLOSE_NOTHING_NEW') {
          c.log.error({ code: outcome.reasons[0]?.code, businessDate: date }, 'missed day not closed');
          break;
        }
      }
      if (closed.length > 0) c.log.info({ closed }, 'missed business days closed at start (R7)');
      return closed;
    });
  }

  /** Days with business after the last close and before `date`, oldest first (core-ledger's list). */
  #openBusinessDaysBefore(date: string): string[] {
    // A date from outside may be no date at all: its own close is then refused with a code.
    if (parseIsoDate(date) === undefined) return [];
    return this.#c.ledger.unclosedBusinessDays(date);
  }

  /** One close (with the drawer count when given, R8). Inside `serially`. */
  async #closeOne(date: string, cash?: CashCount): Promise<CloseOutcome> {
    const c = this.#c;
    const done = c.journal.getMeta(metaClose(date));
    if (done !== null) {
      return refusal({
        code: 'AGENT_CLOSE_NOTHING_NEW',
        message: `business day ${date} already closed (seq ${done})`,
      });
    }
    const command: LedgerCommand = {
      type: 'daily-close',
      id: `close:${date}`,
      atMs: c.clock.nowMs(),
      stationId: c.stationId,
      businessDate: date,
    };
    const result = c.ledger.apply(command);
    if (!result.ok || result.close === undefined) {
      const codes = result.ok ? ['LEDGER_OK'] : result.reasons;
      return refusal(
        ...codes.map((code) => ({ code, message: `daily close of ${date} refused by the ledger` })),
      );
    }
    const close = result.close;
    const declaration = cash === undefined ? undefined : cashDeclarationBody(cash, close.closedAtMs);
    const day = this.#days.get(date) ?? emptyDay();
    const quotaClosing = c.ledger.quotaFenAvailable();
    const totals = close.totals;
    const body = {
      businessDate: date,
      totals: BUSINESS_TYPES.map((kind) => ({
        kind: TOTALS_KIND_WIRE[kind],
        count: totals[kind].count,
        amountFen: totals[kind].amountFen,
        feeFen: totals[kind].feeFen,
        quotaFenConsumed: totals[kind].quotaConsumedFen,
      })),
      closeHash: close.hash,
      previousCloseHash: close.previousHash,
      firstSeq: day.firstSeq,
      lastSeq: day.lastSeq,
      quotaFenOpening: Math.max(
        0,
        quotaClosing +
          totals.BILL_PAYMENT.quotaConsumedFen +
          totals.MOBILE_TOPUP.quotaConsumedFen -
          totals.QUOTA_PURCHASE.amountFen,
      ),
      quotaFenClosing: quotaClosing,
      closedAtMs: close.closedAtMs,
      closeSequence: close.sequence,
      holdsPendingCount: close.holdsPendingCount,
      ...(declaration === undefined ? {} : { cashDeclared: declaration }),
    };
    const seq = c.journal.nextEventSeq();
    try {
      await c.writer.append(
        'day.closed',
        `close-${date}`,
        {
          businessDate: date,
          closeHash: close.hash,
          previousCloseHash: close.previousHash,
          sequence: close.sequence,
          ...(declaration === undefined ? {} : { cashDeclared: declaration }),
        },
        { type: PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, body },
        {
          [metaClose(date)]: String(seq),
          ...(declaration === undefined ? {} : { [metaCashDeclared(date)]: String(seq) }),
        },
        { command, alreadyApplied: true },
      );
    } catch (error) {
      c.ledger.undo(command.id);
      throw error;
    }
    return {
      ok: true,
      close: {
        businessDate: date,
        seq,
        closeHash: close.hash,
        totals: BUSINESS_TYPES.map((kind) => ({
          businessType: kind,
          count: totals[kind].count,
          amountFen: totals[kind].amountFen,
          feeFen: totals[kind].feeFen,
        })),
        ...(declaration === undefined
          ? {}
          : {
              cashDeclared: {
                cashFenCounted: declaration.cashFenCounted,
                floatFenOpening: declaration.floatFenOpening,
                seq,
              },
            }),
      },
    };
  }

  /** Totals of one business day as the ledger has them (tests and the demo compare with HQ). */
  dayTotals(businessDate: string): DayTotalsView {
    const totals = this.#c.ledger.dayTotals(businessDate);
    const out = {} as DayTotalsView;
    for (const kind of BUSINESS_TYPES) {
      out[kind] = {
        count: totals[kind].count,
        amountFen: totals[kind].amountFen,
        feeFen: totals[kind].feeFen,
      };
    }
    return out;
  }
}
