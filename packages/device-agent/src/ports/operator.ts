// The operator port: what the shop's counter app can ask of the kiosk (through the local
// operator API adapter), and what the agent implements. Business refusals are values with stable
// codes, every reason at once (R21); operating errors are thrown as AgentError.
import type { WithdrawalPhase } from '../domain/tx/withdrawal.js';

export type { WithdrawalPhase };

export interface RefusalReason {
  readonly code: string;
  readonly message: string;
}

/** A business refusal: `reasons` lists every rule that failed, in a fixed order (R21). */
export interface Refusal {
  readonly ok: false;
  readonly reasons: readonly RefusalReason[];
}

export type Outcome<T> = ({ readonly ok: true } & T) | Refusal;

export interface WithdrawalView {
  readonly txId: string;
  readonly phase: WithdrawalPhase;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly maskedPan: string;
  readonly receiptNumber: string | null;
  readonly reasonCode: string | null;
}

export interface PaymentView {
  readonly txId: string;
  readonly receiptNumber: string;
  readonly amountFen: number;
  readonly quotaFenAfter: number;
  readonly seq: number;
}

export interface DailyCloseView {
  readonly businessDate: string;
  readonly seq: number;
  readonly closeHash: string;
  readonly totals: readonly {
    readonly businessType: string;
    readonly count: number;
    readonly amountFen: number;
    readonly feeFen: number;
  }[];
  /** The drawer count declared with this request (R8 账实相符); absent when none was given. */
  readonly cashDeclared?: CashDeclarationView;
}

/** The operator's drawer count at the end of a day (R8 账实相符), integer fen (R1). */
export interface CashCount {
  readonly cashFenCounted: number;
  /** The cash the drawer held when the day opened; default 0. */
  readonly floatFenOpening?: number;
}

export interface CashDeclarationView {
  readonly cashFenCounted: number;
  readonly floatFenOpening: number;
  /** The event that carries it: the DailyClose, or a later CashDeclared. */
  readonly seq: number;
}

export interface AgentStatusView {
  readonly stationId: string;
  readonly link: string;
  readonly outboxDepth: number;
  readonly lastEventSeq: number;
  readonly ackedThroughSeq: number;
  readonly quotaFenAvailable: number | null;
  readonly configVersion: number;
  readonly openTransactions: number;
  /** Down subscription renewals since start (issue 14: a down channel silent while an answer was awaited). */
  readonly downlinkRenewals: number;
  /** Of those, the ones refused (SUBACK 0x80), failed or unanswered, each tried again later. */
  readonly downlinkRenewalsRefused: number;
}

/** One serial device as the running agent sees it (kiosk doctor asks instead of opening the port). */
export interface PeripheralView {
  /** The serial link's state: open, opening, backoff, idle, stopped. */
  readonly link: string;
  /** What the device said to identify + heartbeat just now; absent when it did not answer. */
  readonly identity?: {
    readonly model: string;
    readonly serialNumber: string;
    readonly firmwareVersion: string;
  };
  /** Why it did not answer (an AGENT_SERIAL_* code). */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface PeripheralsView {
  readonly cardReader: PeripheralView;
  readonly pinPad: PeripheralView;
}

export type BillerKindName = 'WATER' | 'ELECTRICITY' | 'GAS' | 'PHONE' | 'BROADBAND';

export interface BillPaymentInput {
  readonly billerKind: BillerKindName;
  readonly billerCode: string;
  readonly accountNumber: string;
  readonly amountFen: number;
  /** Client-made id so a retried request is not paid twice; made by the agent when absent. */
  readonly txId?: string;
}

export interface TopupInput {
  readonly phoneNumber: string;
  readonly carrier: string;
  readonly amountFen: number;
  readonly txId?: string;
}

export interface WithdrawalInput {
  readonly amountFen: number;
  readonly txId?: string;
}

export interface OperatorPort {
  /** Reads a card, takes the PIN on the PIN pad, asks HQ; resolves at authorised, declined or reversed. */
  startWithdrawal(input: WithdrawalInput): Promise<Outcome<{ readonly withdrawal: WithdrawalView }>>;
  /** The shopkeeper handed out the cash: post. */
  confirmCash(txId: string): Promise<Outcome<{ readonly withdrawal: WithdrawalView }>>;
  /** Cash not handed out: release the hold. */
  voidWithdrawal(txId: string): Promise<Outcome<{ readonly withdrawal: WithdrawalView }>>;
  payBill(input: BillPaymentInput): Promise<Outcome<{ readonly payment: PaymentView }>>;
  topUp(input: TopupInput): Promise<Outcome<{ readonly payment: PaymentView }>>;
  /**
   * R7: closes a business day (today's by default). With `cash`, the drawer count (R8) travels in
   * the close, or, when the day is already closed, in its own CashDeclared event; once per day.
   */
  dailyClose(businessDate?: string, cash?: CashCount): Promise<Outcome<{ readonly close: DailyCloseView }>>;
  withdrawal(txId: string): WithdrawalView | null;
  status(): AgentStatusView;
  /** Identify + heartbeat on both devices through the agent's own links (GET /v1/peripherals). */
  peripherals?(): Promise<PeripheralsView>;
}
