// The life of one cash withdrawal (R5), as a pure state machine folded from journal events:
//
//   card_read ──auth_requested──▶ auth_requested ──authorised──▶ authorised ──posted──▶ posted
//       │                              │  │                          │
//       └──abandoned (no auth sent)    │  └──declined──▶ declined    └──voided──▶ voided
//                                      └──reversed (no answer in time: store-and-forward reversal)
//
// The journal row of each step is committed before the step acts outside (before the request
// leaves, before the shopkeeper is told to hand out cash). `recoveryAction` says how a restart
// settles a withdrawal the process died in: nothing is left hanging. Events are the agent's own
// (made by the withdrawal flow, or read back from the journal it checked at start-up): assertions.

import { assert, assertIntegerInRange } from '../assert.js';

export type WithdrawalEvent =
  | {
      readonly kind: 'withdrawal.card_read';
      readonly amountFen: number;
      readonly maskedPan: string;
      readonly cardToken: string;
    }
  | { readonly kind: 'withdrawal.auth_requested'; readonly requestId: string; readonly deadlineAtMs: number }
  | { readonly kind: 'withdrawal.authorised'; readonly authCode: string; readonly feeFen: number }
  | { readonly kind: 'withdrawal.declined'; readonly reasonCode: string }
  | { readonly kind: 'withdrawal.posted'; readonly receiptNumber: string }
  | { readonly kind: 'withdrawal.voided'; readonly reasonCode: string }
  | { readonly kind: 'withdrawal.reversed'; readonly reasonCode: string }
  | { readonly kind: 'withdrawal.abandoned'; readonly reasonCode: string };

export type WithdrawalPhase =
  | 'card_read'
  | 'auth_requested'
  | 'authorised'
  | 'declined'
  | 'posted'
  | 'voided'
  | 'reversed'
  | 'abandoned';

export interface WithdrawalState {
  readonly txId: string;
  readonly phase: WithdrawalPhase;
  readonly amountFen: number;
  readonly maskedPan: string;
  readonly cardToken: string;
  readonly requestId: string | null;
  readonly deadlineAtMs: number | null;
  readonly authCode: string | null;
  readonly feeFen: number;
  readonly receiptNumber: string | null;
  readonly reasonCode: string | null;
}

const TERMINAL: ReadonlySet<WithdrawalPhase> = new Set([
  'declined',
  'posted',
  'voided',
  'reversed',
  'abandoned',
]);

const PHASES: ReadonlySet<WithdrawalPhase> = new Set([
  'card_read',
  'auth_requested',
  'authorised',
  ...TERMINAL,
]);

export function isTerminal(phase: WithdrawalPhase): boolean {
  assert(PHASES.has(phase), `isTerminal: unknown phase ${phase}`);
  return TERMINAL.has(phase);
}

/** Which phases each event may follow. */
const ALLOWED_FROM: Record<
  Exclude<WithdrawalEvent['kind'], 'withdrawal.card_read'>,
  readonly WithdrawalPhase[]
> = {
  'withdrawal.auth_requested': ['card_read'],
  'withdrawal.authorised': ['auth_requested'],
  'withdrawal.declined': ['auth_requested'],
  'withdrawal.posted': ['authorised'],
  'withdrawal.voided': ['authorised'],
  'withdrawal.reversed': ['auth_requested'],
  // From auth_requested only when the request never left the kiosk (it could not be signed):
  // the bank never saw it, so there is nothing to reverse.
  'withdrawal.abandoned': ['card_read', 'auth_requested'],
};

/** True when `event` is a legal next step from `state`. */
export function canApply(state: WithdrawalState | null, event: WithdrawalEvent): boolean {
  if (event.kind === 'withdrawal.card_read') return state === null;
  const allowedFrom = ALLOWED_FROM[event.kind];
  assert(allowedFrom !== undefined, `canApply: unknown event ${String(event.kind)}`);
  // Nothing follows a terminal phase: a settled withdrawal is never reopened.
  assert(
    allowedFrom.every((phase) => !isTerminal(phase)),
    'canApply: a step from a terminal phase',
  );
  return state !== null && allowedFrom.includes(state.phase);
}

/** Folds one event in. An illegal step is a programmer error: callers check `canApply` first. */
export function applyWithdrawalEvent(
  txId: string,
  state: WithdrawalState | null,
  event: WithdrawalEvent,
): WithdrawalState {
  assert(
    canApply(state, event),
    `${event.kind} not allowed from ${state === null ? 'nothing' : state.phase}`,
  );
  assert(state === null || state.txId === txId, 'applyWithdrawalEvent: event folded into another withdrawal');
  switch (event.kind) {
    case 'withdrawal.card_read':
      assertIntegerInRange(event.amountFen, 1, Number.MAX_SAFE_INTEGER, 'withdrawal amountFen (R1)');
      return {
        txId,
        phase: 'card_read',
        amountFen: event.amountFen,
        maskedPan: event.maskedPan,
        cardToken: event.cardToken,
        requestId: null,
        deadlineAtMs: null,
        authCode: null,
        feeFen: 0,
        receiptNumber: null,
        reasonCode: null,
      };
    case 'withdrawal.auth_requested':
      return {
        ...state!,
        phase: 'auth_requested',
        requestId: event.requestId,
        deadlineAtMs: event.deadlineAtMs,
      };
    case 'withdrawal.authorised':
      assertIntegerInRange(event.feeFen, 0, Number.MAX_SAFE_INTEGER, 'withdrawal feeFen (R1)');
      return { ...state!, phase: 'authorised', authCode: event.authCode, feeFen: event.feeFen };
    case 'withdrawal.posted':
      return { ...state!, phase: 'posted', receiptNumber: event.receiptNumber };
    case 'withdrawal.declined':
      return { ...state!, phase: 'declined', reasonCode: event.reasonCode };
    case 'withdrawal.voided':
      return { ...state!, phase: 'voided', reasonCode: event.reasonCode };
    case 'withdrawal.reversed':
      return { ...state!, phase: 'reversed', reasonCode: event.reasonCode };
    case 'withdrawal.abandoned':
      return { ...state!, phase: 'abandoned', reasonCode: event.reasonCode };
  }
}

export type RecoveryAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'abandon'; readonly reasonCode: 'AGENT_RECOVERY_ABANDONED' }
  | { readonly kind: 'reverse'; readonly reasonCode: 'AGENT_RECOVERY_REVERSED' }
  | { readonly kind: 'void'; readonly reasonCode: 'AGENT_RECOVERY_VOIDED' };

/**
 * How a restart settles a withdrawal left in flight:
 * - card read, no request sent: nothing left the kiosk, so it is abandoned locally;
 * - request sent, no answer journaled: the answer may have been "approved", so a reversal is
 *   stored and forwarded until HQ acknowledges it (jPOS store-and-forward);
 * - authorised, cash not confirmed: the shopkeeper is told to hand out cash only after the
 *   "authorised" row is durable and confirms afterwards; an unconfirmed authorisation is voided
 *   (the hold released), because posting money for cash nobody confirmed would be worse.
 */
export function recoveryAction(state: WithdrawalState): RecoveryAction {
  assertIntegerInRange(state.amountFen, 1, Number.MAX_SAFE_INTEGER, 'recoveryAction amountFen');
  const action = recoveryActionOf(state.phase);
  // Nothing is left hanging: exactly the phases that are not terminal get an action.
  assert((action.kind === 'none') === isTerminal(state.phase), 'recoveryAction: a phase left hanging');
  return action;
}

function recoveryActionOf(phase: WithdrawalPhase): RecoveryAction {
  switch (phase) {
    case 'card_read':
      return { kind: 'abandon', reasonCode: 'AGENT_RECOVERY_ABANDONED' };
    case 'auth_requested':
      return { kind: 'reverse', reasonCode: 'AGENT_RECOVERY_REVERSED' };
    case 'authorised':
      return { kind: 'void', reasonCode: 'AGENT_RECOVERY_VOIDED' };
    default:
      return { kind: 'none' };
  }
}
