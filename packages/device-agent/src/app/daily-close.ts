// The daily close (R7): a business day's totals by business type, sealed by core-ledger with a
// hash chained to the previous close, journaled and sent to HQ as a signed DailyClose. Closes run
// automatically after each Shanghai midnight (`arm`), on HQ's request or the operator's.
import type { LedgerCommand } from '@bianmin/core-ledger';
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
import type { TimerHandle } from '../ports/clock.js';
import type { DailyCloseView, Outcome } from '../ports/operator.js';
import type { AppContext } from './context.js';

const metaClose = (date: string) => `daily_close:${date}`;

const TOTALS_KIND_WIRE: Record<BusinessTypeName, number> = {
  CASH_WITHDRAWAL: v1.TotalsKind.TOTALS_KIND_CASH_WITHDRAWAL,
  BILL_PAYMENT: v1.TotalsKind.TOTALS_KIND_BILL_PAYMENT,
  MOBILE_TOPUP: v1.TotalsKind.TOTALS_KIND_MOBILE_TOPUP,
  REVERSAL: v1.TotalsKind.TOTALS_KIND_REVERSAL,
  QUOTA_PURCHASE: v1.TotalsKind.TOTALS_KIND_QUOTA_PURCHASE,
};

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
    const delayMs = msUntilNextMidnight(clock.nowMs()) + 1000;
    this.#timer = clock.setTimer(delayMs, () => {
      const yesterday = businessDateOf(clock.nowMs() - 2000);
      void this.close(yesterday)
        .catch((error: unknown) =>
          this.#c.log.error(
            { code: isAgentError(error) ? error.code : undefined, err: String(error) },
            'daily close failed',
          ),
        )
        .finally(() => this.arm());
    });
  }

  disarm(): void {
    this.#timer?.cancel();
  }

  /** R7: closes a business day through core-ledger (totals, sequence, hash chained to the last close). */
  close(businessDate?: string): Promise<Outcome<{ close: DailyCloseView }>> {
    const c = this.#c;
    const date = businessDate ?? c.rules.businessDate();
    return c.writer.serially(async () => {
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
          },
          { type: PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, body },
          { [metaClose(date)]: String(seq) },
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
        },
      };
    });
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
