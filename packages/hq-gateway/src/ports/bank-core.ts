// The BankCore port: the card-issuing bank's core system as HQ sees it (R5). A withdrawal is a
// two-phase hold: authorise (hold amount + fee on the customer's account) → post (the customer pays
// amount + fee, the station's settlement account receives amount + fee) or release (void or
// reversal, 冲正). Every call is idempotent by the kiosk's request id. Declines are business
// outcomes, returned as values with a stable code, never thrown.

export type BankDeclineCode =
  | 'HQ_BANK_PIN_WRONG'
  | 'HQ_BANK_PIN_BLOCK_INVALID'
  | 'HQ_BANK_KEY_NOT_ACTIVE'
  | 'HQ_BANK_INSUFFICIENT_FUNDS'
  | 'HQ_BANK_DAILY_LIMIT'
  | 'HQ_BANK_ACCOUNT_UNKNOWN'
  | 'HQ_BANK_AMOUNT_INVALID';

export interface AuthoriseRequest {
  readonly requestId: string;
  readonly transactionId: string;
  readonly stationId: string;
  /** Full PAN: secret, never logged (R24). */
  readonly pan: string;
  /** ISO 9564 format 4 PIN block under the TPK: secret, never logged. */
  readonly pinBlock: Uint8Array;
  /** The key id the kiosk names for that TPK (a working key HQ loaded, R24); absent: the default TPK. */
  readonly tpkKeyId?: string;
  readonly amountFen: number;
  readonly feeFen: number;
  /** Business day (Asia/Shanghai) for the daily limit, YYYY-MM-DD. */
  readonly businessDate: string;
  readonly atMs: number;
}

export type AuthoriseOutcome =
  | {
      readonly approved: true;
      readonly bankReference: string;
      /** ISO 8583 field 39 style. */
      readonly responseCode: '00';
      readonly amountFen: number;
      readonly feeFen: number;
    }
  | {
      readonly approved: false;
      readonly code: BankDeclineCode;
      readonly responseCode: string;
    };

export type SettleOutcome = 'done' | 'already_done' | 'HQ_BANK_HOLD_UNKNOWN' | 'conflict';

export interface BankCore {
  authorise(request: AuthoriseRequest): Promise<AuthoriseOutcome>;
  /** Capture the hold of `requestId` and credit the station's settlement account (R5). */
  post(requestId: string, atMs: number): Promise<SettleOutcome>;
  /** Release the hold of `requestId` (void or reversal); a second release is `already_done`. */
  release(requestId: string, atMs: number): Promise<SettleOutcome>;
}
