// HQ trusts provenance, not claims (issue 8; R2, R3, R5), pure. A kiosk's signed event proves what
// the kiosk says, not that it is true: quota comes only from purchases HQ itself recorded (R3),
// and a withdrawal is real only when HQ granted its authorisation (same request id, station,
// amount, card token and transaction). The book holds what HQ recorded and judges each money event
// against it; the ledger mirror does not apply an event the book finds unproven, so unproven
// quota is never credited (spending against it is then a quota discrepancy) and an unproven
// withdrawal is never held, posted, or counted as revenue.
import type { HqCode } from '../errors.js';
import { withdrawalGrantsTrackedMax } from '../limits.js';
import { assert } from './assert.js';
import type { StationEvent } from './types.js';

/** A quota purchase as HQ recorded it (`hq quota purchase`, store table quota_purchases). */
export interface QuotaPurchaseFact {
  readonly purchaseId: string;
  readonly stationId: string;
  readonly amountFen: number;
}

/** An authorisation HQ granted: the bank approved and HQ answered APPROVED (store table withdrawal_grants). */
export interface WithdrawalGrant {
  readonly requestId: string;
  readonly stationId: string;
  readonly transactionId: string;
  /** The kiosk's opaque card token from the request's CardRef (never a PAN). */
  readonly cardToken: string;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly grantedAtMs: number;
}

/** The codes the book gives; the mirror skips an event judged with one of them. */
export type ProvenanceCode = Extract<
  HqCode,
  'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN' | 'HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED'
>;

export const provenanceCodes: readonly ProvenanceCode[] = [
  'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN',
  'HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED',
];

export interface ProvenanceFinding {
  readonly code: ProvenanceCode;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

export class ProvenanceBook {
  readonly #purchases = new Map<string, QuotaPurchaseFact>();
  /** Insertion order is grant order: the oldest is forgotten first past withdrawalGrantsTrackedMax. */
  readonly #grants = new Map<string, WithdrawalGrant>();
  /** Grants forgotten to stay within the bound (a later event naming one is judged unproven). */
  grantsForgotten = 0;

  purchaseRecorded(purchase: QuotaPurchaseFact): void {
    if (!(Number.isSafeInteger(purchase.amountFen) && purchase.amountFen > 0))
      throw new Error('amountFen must be fen');
    this.#purchases.set(purchase.purchaseId, purchase);
    assert(this.#purchases.has(purchase.purchaseId), 'a recorded purchase is known');
  }

  hasPurchase(purchaseId: string): boolean {
    return this.#purchases.has(purchaseId);
  }

  grantRecorded(grant: WithdrawalGrant): void {
    if (!(Number.isSafeInteger(grant.amountFen) && grant.amountFen >= 0))
      throw new Error('amountFen must be fen');
    if (this.#grants.has(grant.requestId)) return;
    while (this.#grants.size >= withdrawalGrantsTrackedMax) {
      const oldest = this.#grants.keys().next().value as string;
      this.#grants.delete(oldest);
      this.grantsForgotten += 1;
    }
    this.#grants.set(grant.requestId, grant);
    assert(this.#grants.size <= withdrawalGrantsTrackedMax, 'grants stay within their bound');
  }

  /** The grant HQ recorded for this request id, if it still tracks it. */
  grantOf(requestId: string): WithdrawalGrant | undefined {
    return this.#grants.get(requestId);
  }

  get grantCount(): number {
    return this.#grants.size;
  }

  /** The finding for an event whose claim HQ's own records do not back; null when they do or it claims nothing. */
  judge(event: StationEvent): ProvenanceFinding | null {
    switch (event.kind) {
      case 'QUOTA_PURCHASE_APPLIED':
        return this.#judgePurchase(event);
      case 'WITHDRAWAL_AUTHORISED':
      case 'WITHDRAWAL_POSTED':
        return this.#judgeWithdrawal(event);
      default:
        return null;
    }
  }

  #judgePurchase(event: StationEvent): ProvenanceFinding | null {
    assert(event.kind === 'QUOTA_PURCHASE_APPLIED', 'judgePurchase of a purchase');
    const purchaseId = String(event.detail.purchaseId ?? event.transactionId ?? '');
    const fact = this.#purchases.get(purchaseId);
    const claim = `purchase ${purchaseId.slice(0, 64)} of ${event.amountFen} fen at ${event.stationId}`;
    if (fact !== undefined && fact.stationId === event.stationId && fact.amountFen === event.amountFen)
      return null;
    return {
      code: 'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN',
      expected: fact === undefined ? 'a purchase HQ recorded' : `${fact.amountFen} fen at ${fact.stationId}`,
      actual: claim,
      detail: 'quota purchase not recorded by HQ (R3): no quota credited',
    };
  }

  #judgeWithdrawal(event: StationEvent): ProvenanceFinding | null {
    assert(
      event.kind === 'WITHDRAWAL_AUTHORISED' || event.kind === 'WITHDRAWAL_POSTED',
      'judgeWithdrawal of a withdrawal',
    );
    const requestId = String(event.detail.requestId ?? '');
    const grant = this.#grants.get(requestId);
    const mismatches: string[] = [];
    if (grant === undefined) mismatches.push('no authorisation granted');
    else {
      if (grant.stationId !== event.stationId) mismatches.push('station');
      if (grant.amountFen !== event.amountFen) mismatches.push('amount');
      if (grant.transactionId !== (event.transactionId ?? '')) mismatches.push('transaction');
      if (grant.cardToken !== String(event.detail.cardToken ?? '')) mismatches.push('card token');
    }
    if (mismatches.length === 0) return null;
    return {
      code: 'HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED',
      expected: grant === undefined ? 'an authorisation HQ granted' : `${grant.amountFen} fen, granted`,
      actual: `request ${requestId.slice(0, 64)}: ${event.amountFen} fen`,
      detail: `${event.kind} does not match HQ's authorisation (${mismatches.join(', ')}): no hold, no revenue`,
    };
  }
}
