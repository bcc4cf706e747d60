// The authorisation decision and the refusal reasons, pure, in the wire's own enums
// (proto/bianmin/v1/authorisation.proto, hq.proto, through @bianmin/wire's generated code): no
// enum number is written here by hand. The app step (app/ingest/authorise.ts) asks the R5 tally
// and the bank; this file says what each answer means on the wire, in a fixed order of checks.
import { type bianmin, v1 } from '@bianmin/wire';

type DeclineReason = bianmin.v1.DeclineReason;
type RefusalReason = bianmin.v1.RefusalReason;
type WireDecision = bianmin.v1.AuthorisationDecision;

import type { HqCode } from '../errors.js';
import type { AuthoriseOutcome, BankDeclineCode } from '../ports/bank-core.js';
import { assert } from './assert.js';
import type { LimitDeclineCode } from './withdrawal-limits.js';

/** The only PIN-block format HQ accepts: ISO 9564 format 4 (AES), as proto's pin_block_format. */
export const pinBlockFormatIso4 = 4;

/** ISO 8583 field 39 style response codes HQ itself gives (the bank gives its own). */
export const responseCode = {
  approved: '00',
  formatError: '30',
  exceedsWithdrawalLimit: '61',
  responseReceivedTooLate: '68',
  /** ISO 8583 "exceeds withdrawal frequency limit": the per-station request rate (issue 8). */
  exceedsFrequencyLimit: '65',
  /** ISO 8583 "transaction not permitted to terminal": R4, the station is not open (HQ_NET_NOT_OPEN). */
  notPermittedToTerminal: '58',
} as const;

export interface AuthorisationDecision {
  readonly approved: boolean;
  readonly declineReason: DeclineReason;
  readonly responseCode: string;
  readonly bankReference: string;
}

/** The wire's decision field for a decision. */
export function wireDecision(decision: AuthorisationDecision): WireDecision {
  return decision.approved
    ? v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED
    : v1.AuthorisationDecision.AUTHORISATION_DECISION_DECLINED;
}

function declined(declineReason: DeclineReason, code: string): AuthorisationDecision {
  assert(declineReason !== v1.DeclineReason.DECLINE_REASON_UNSPECIFIED, 'a decline names its reason');
  return { approved: false, declineReason, responseCode: code, bankReference: '' };
}

/** The wire's DeclineReason for each of HQ's R5 limit codes. */
export const declineReasonOfLimitCode: Readonly<Record<LimitDeclineCode, DeclineReason>> = {
  HQ_AUTH_OVER_TRANSACTION_LIMIT: v1.DeclineReason.DECLINE_REASON_TRANSACTION_LIMIT,
  HQ_AUTH_OVER_CARD_DAILY_LIMIT: v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT,
  HQ_AUTH_OVER_STATION_DAILY_LIMIT: v1.DeclineReason.DECLINE_REASON_STATION_DAILY_LIMIT,
};

/** The wire's DeclineReason for each bank decline. */
export const declineReasonOfBankCode: Readonly<Record<BankDeclineCode, DeclineReason>> = {
  HQ_BANK_PIN_WRONG: v1.DeclineReason.DECLINE_REASON_WRONG_PIN,
  HQ_BANK_INSUFFICIENT_FUNDS: v1.DeclineReason.DECLINE_REASON_INSUFFICIENT_FUNDS,
  HQ_BANK_DAILY_LIMIT: v1.DeclineReason.DECLINE_REASON_CARD_DAILY_LIMIT,
  HQ_BANK_ACCOUNT_UNKNOWN: v1.DeclineReason.DECLINE_REASON_CARD_INVALID,
  HQ_BANK_PIN_BLOCK_INVALID: v1.DeclineReason.DECLINE_REASON_FORMAT_ERROR,
  // A key whose KCV answer has not arrived (or disagreed): the kiosk shows "try again later".
  HQ_BANK_KEY_NOT_ACTIVE: v1.DeclineReason.DECLINE_REASON_BANK_UNAVAILABLE,
  HQ_BANK_AMOUNT_INVALID: v1.DeclineReason.DECLINE_REASON_FORMAT_ERROR,
};

export interface RequestFacts {
  readonly nowMs: number;
  /** 0: the request carries no expiry. */
  readonly expiresAtMs: number;
  readonly pinBlockFormat: number;
  readonly feeFen: number;
  /** The fee the schedule in force sets (R5). */
  readonly feeFenExpected: number;
  /** The R5 limits the request would break, in the tally's fixed order (may be empty). */
  readonly overLimit: readonly LimitDeclineCode[];
}

/**
 * HQ's own checks before the bank, in a fixed order: expired, PIN-block format, fee (R5), limits
 * (R5). A decline, or null when the bank is to be asked. The first broken check goes on the wire.
 */
export function decideBeforeBank(facts: RequestFacts): AuthorisationDecision | null {
  // feeFenExpected and nowMs are HQ's own (its schedule, its clock); the rest is the kiosk's request.
  assert(Number.isSafeInteger(facts.feeFenExpected), 'expected fee is not integer fen');
  assert(Number.isSafeInteger(facts.nowMs) && facts.nowMs >= 0, 'nowMs must be HQ epoch milliseconds');
  if (facts.expiresAtMs > 0 && facts.nowMs > facts.expiresAtMs)
    return declined(v1.DeclineReason.DECLINE_REASON_REQUEST_EXPIRED, responseCode.responseReceivedTooLate);
  if (facts.pinBlockFormat !== pinBlockFormatIso4)
    return declined(v1.DeclineReason.DECLINE_REASON_FORMAT_ERROR, responseCode.formatError);
  if (facts.feeFen !== facts.feeFenExpected)
    return declined(v1.DeclineReason.DECLINE_REASON_FEE_MISMATCH, responseCode.formatError);
  const firstLimit = facts.overLimit[0];
  if (firstLimit !== undefined)
    return declined(declineReasonOfLimitCode[firstLimit], responseCode.exceedsWithdrawalLimit);
  return null;
}

/** Over an R5 limit found after the tally (the store's card day, every HQ process's approvals). */
export function declinedOverLimit(code: LimitDeclineCode): AuthorisationDecision {
  return declined(declineReasonOfLimitCode[code], responseCode.exceedsWithdrawalLimit);
}

/** A request over the station's authorisation rate limit (HQ_AUTH_RATE_LIMITED): not the bank's call. */
export function declinedForRate(): AuthorisationDecision {
  return declined(v1.DeclineReason.DECLINE_REASON_STATION_NOT_ALLOWED, responseCode.exceedsFrequencyLimit);
}

/** R4: a station whose network lifecycle is not open (HQ_NET_NOT_OPEN): declined before the bank. */
export function declinedNotOpen(): AuthorisationDecision {
  return declined(v1.DeclineReason.DECLINE_REASON_STATION_NOT_ALLOWED, responseCode.notPermittedToTerminal);
}

/** The bank's answer as HQ's decision. */
export function decisionOfBank(outcome: AuthoriseOutcome): AuthorisationDecision {
  if (outcome.approved) {
    return {
      approved: true,
      declineReason: v1.DeclineReason.DECLINE_REASON_UNSPECIFIED,
      responseCode: responseCode.approved,
      bankReference: outcome.bankReference,
    };
  }
  const reason = declineReasonOfBankCode[outcome.code];
  if (reason === undefined) throw new Error(`bank decline code ${outcome.code} has no wire reason`);
  return declined(reason, outcome.responseCode);
}

/** The refusal reason an ack carries for a refused event (docs/protocol.md Ack). */
export function refusalReasonOf(code: HqCode): RefusalReason {
  switch (code) {
    case 'HQ_SIGNATURE_INVALID':
      return v1.RefusalReason.REFUSAL_REASON_BAD_SIGNATURE;
    case 'HQ_KEY_UNKNOWN':
      return v1.RefusalReason.REFUSAL_REASON_UNKNOWN_KEY;
    case 'HQ_STATION_MISMATCH':
      return v1.RefusalReason.REFUSAL_REASON_STATION_MISMATCH;
    case 'HQ_REPLAY_SEQ':
    case 'HQ_REPLAY_EVENT_ID':
      return v1.RefusalReason.REFUSAL_REASON_CONFLICT;
    case 'HQ_VERSION_UNSUPPORTED':
      return v1.RefusalReason.REFUSAL_REASON_UNSUPPORTED_VERSION;
    default:
      return v1.RefusalReason.REFUSAL_REASON_MALFORMED;
  }
}
