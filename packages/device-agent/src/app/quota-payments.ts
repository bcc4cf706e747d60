// Bill payment and top-up (R2, R9, R10): both consume the station's prepaid quota, so both run
// the same steps — idempotency by client-made id, every check at once (R21), the ledger command
// applied, a receipt numbered, one journal row with its signed event — and differ only in the
// lines of QUOTA_PAYMENTS below (journal kind, limit, details, ledger command, wire body).
import { randomUUID } from 'node:crypto';
import type { LedgerCommand } from '@bianmin/core-ledger';
import { PayloadType, v1 } from '@bianmin/wire';
import type { JournalRow } from '../domain/journal/chain.js';
import type { ActiveConfig } from '../domain/tx/active-config.js';
import { businessDateOf } from '../domain/tx/business-day.js';
import type { WirePayload } from '../domain/tx/envelope.js';
import { ledgerReasons, refusal } from '../domain/tx/refusal.js';
import type { BillPaymentInput, Outcome, PaymentView, TopupInput } from '../ports/operator.js';
import type { AppContext } from './context.js';

type PaymentOutcome = Outcome<{ payment: PaymentView }>;

/** What the wire body of a payment carries besides its own fields. */
interface Common {
  readonly txId: string;
  readonly amountFen: number;
  readonly quotaFenAfter: number;
  readonly receiptNumber: string;
  readonly nowMs: number;
  readonly fee: { readonly feeFen: number; readonly version: number };
}

/** One line of the table: how a kind of quota payment differs from the other. */
interface QuotaPaymentKind<Input> {
  readonly businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP';
  readonly journalKind: string;
  readonly txIdPrefix: string;
  readonly limitFen: (limits: ActiveConfig['limits']) => number;
  /** Journaled with the row; a retry with the same id must carry the same details. */
  readonly details: (input: Input) => Record<string, string>;
  readonly ledgerCommand: (
    base: { id: string; atMs: number; stationId: string; amountFen: number; feeFen: number },
    input: Input,
  ) => LedgerCommand;
  readonly wire: (input: Input, common: Common) => WirePayload;
}

const BILL_PAYMENT: QuotaPaymentKind<BillPaymentInput> = {
  businessType: 'BILL_PAYMENT',
  journalKind: 'bill.paid',
  txIdPrefix: 'bp',
  limitFen: (limits) => limits.billPaymentFenMaxPerTransaction,
  details: (input) => ({
    billerKind: input.billerKind,
    billerCode: input.billerCode,
    accountNumber: input.accountNumber,
  }),
  ledgerCommand: (base, input) => ({
    type: 'bill-payment',
    ...base,
    billerCode: input.billerCode,
    billAccountNo: input.accountNumber,
  }),
  wire: (input, c) => ({
    type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
    body: {
      transactionId: c.txId,
      billerKind: v1.BillerKind[`BILLER_KIND_${input.billerKind}`],
      billerCode: input.billerCode,
      accountNumber: input.accountNumber,
      amountFen: c.amountFen,
      quotaFenAfter: c.quotaFenAfter,
      receiptNumber: c.receiptNumber,
      paidAtMs: c.nowMs,
      businessDate: businessDateOf(c.nowMs),
      feeFen: c.fee.feeFen,
      feeScheduleVersion: c.fee.version,
    },
  }),
};

const MOBILE_TOPUP: QuotaPaymentKind<TopupInput> = {
  businessType: 'MOBILE_TOPUP',
  journalKind: 'topup.done',
  txIdPrefix: 'tu',
  limitFen: (limits) => limits.topupFenMaxPerTransaction,
  details: (input) => ({ phoneNumber: input.phoneNumber, carrier: input.carrier }),
  ledgerCommand: (base, input) => ({ type: 'mobile-topup', ...base, phoneNumber: input.phoneNumber }),
  wire: (input, c) => ({
    type: PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP,
    body: {
      transactionId: c.txId,
      phoneNumber: input.phoneNumber,
      carrier: input.carrier,
      amountFen: c.amountFen,
      quotaFenAfter: c.quotaFenAfter,
      receiptNumber: c.receiptNumber,
      toppedUpAtMs: c.nowMs,
      businessDate: businessDateOf(c.nowMs),
      feeFen: c.fee.feeFen,
      feeScheduleVersion: c.fee.version,
    },
  }),
};

export class QuotaPayments {
  readonly #c: AppContext;

  constructor(context: AppContext) {
    this.#c = context;
  }

  payBill(input: BillPaymentInput): Promise<PaymentOutcome> {
    return this.#pay(BILL_PAYMENT, input);
  }

  topUp(input: TopupInput): Promise<PaymentOutcome> {
    return this.#pay(MOBILE_TOPUP, input);
  }

  /** Every check at once (R21), quota consumed atomically (R2). */
  #pay<Input extends { readonly amountFen: number; readonly txId?: string }>(
    kind: QuotaPaymentKind<Input>,
    input: Input,
  ): Promise<PaymentOutcome> {
    const amountFen = input.amountFen;
    if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new Error('assert: amountFen > 0 (R1)');
    const txId = input.txId ?? `${kind.txIdPrefix}-${randomUUID()}`;
    const details = kind.details(input);
    const c = this.#c;
    return c.writer.serially(async () => {
      const previous = c.journal.rowsOfTx(txId);
      if (previous.length > 0) return replayed(previous, kind.journalKind, amountFen, details);
      // R4 and the per-transaction limit here; R2 (quota), R6 (fee) and R20 (hours) by core-ledger.
      const config = c.rules.config();
      const limitFen = config === null ? 0 : kind.limitFen(config.limits);
      const reasons = c.rules.commonChecks(amountFen, limitFen, false);
      if (reasons.some((reason) => reason.code === 'AGENT_TX_NO_CONFIG')) return refusal(...reasons);
      reasons.push(...c.health.reasons('quota-payment')); // disk reserve (issue 9), listed with the rest (R21)
      const now = c.clock.nowMs();
      const businessDate = businessDateOf(now);
      const fee = c.rules.feeFor(kind.businessType);
      const command = kind.ledgerCommand(
        { id: txId, atMs: now, stationId: c.stationId, amountFen, feeFen: fee.feeFen },
        input,
      );
      const result = c.ledger.apply(command);
      if (!result.ok) reasons.push(...ledgerReasons(result.reasons));
      if (reasons.length > 0) {
        if (result.ok) c.ledger.undo(command.id);
        return refusal(...reasons);
      }
      const receipt = c.rules.nextReceipt(businessDate);
      const quotaFenAfter = c.ledger.quotaFenAvailable();
      const common = {
        txId,
        amountFen,
        quotaFenAfter,
        receiptNumber: receipt.receiptNumber,
        nowMs: now,
        fee,
      };
      let row: JournalRow;
      try {
        row = await c.writer.append(
          kind.journalKind,
          txId,
          {
            ...details,
            businessType: kind.businessType,
            businessDate,
            amountFen,
            feeFen: fee.feeFen,
            quotaFenAfter,
            receiptNumber: receipt.receiptNumber,
          },
          kind.wire(input, common),
          receipt.metaUpdates,
          { command, alreadyApplied: true },
        );
      } catch (error) {
        c.ledger.undo(command.id);
        throw error;
      }
      return {
        ok: true,
        payment: {
          txId,
          receiptNumber: receipt.receiptNumber,
          amountFen,
          quotaFenAfter,
          seq: row.eventSeq ?? 0,
        },
      };
    });
  }
}

/** Idempotency by client-made id: same content → the first result; different → refused. */
function replayed(
  rows: JournalRow[],
  journalKind: string,
  amountFen: number,
  details: Record<string, string>,
): PaymentOutcome {
  const first = rows[0]!;
  const payload = JSON.parse(first.payloadJson) as Record<string, unknown>;
  const same =
    first.kind === journalKind &&
    payload.amountFen === amountFen &&
    Object.entries(details).every(([key, value]) => payload[key] === value);
  if (!same)
    return refusal({ code: 'AGENT_TX_DUPLICATE_ID', message: `transaction id ${first.txId} already used` });
  return {
    ok: true,
    payment: {
      txId: first.txId,
      receiptNumber: payload.receiptNumber as string,
      amountFen,
      quotaFenAfter: payload.quotaFenAfter as number,
      seq: first.eventSeq ?? 0,
    },
  };
}
