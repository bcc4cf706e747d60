// The cash withdrawal (R5), step by step: start (card, limits, PIN) → authorise (request journaled,
// signed, sent; HQ's answer or the timeout) → authorised / declined / reversed → confirm (posted,
// receipt) or void. `recover` settles, at start-up, every withdrawal a previous process died in.
// The state of each withdrawal is folded from its journal rows (domain/tx/withdrawal.ts); every
// step is journaled before it acts outside the kiosk.
import { randomUUID } from 'node:crypto';
import type { LedgerCommand } from '@bianmin/core-ledger';
import { type bianmin, PayloadType, upTopic, v1 } from '@bianmin/wire';
import { cardToken } from '../domain/journal/card.js';
import type { JournalRow } from '../domain/journal/chain.js';
import type { Pan } from '../domain/pin/pan.js';
import { holdExpiresAtMsOf } from '../domain/tx/active-config.js';
import { businessDateOf } from '../domain/tx/business-day.js';
import { ledgerReasons, refusal } from '../domain/tx/refusal.js';
import {
  applyWithdrawalEvent,
  canApply,
  isTerminal,
  recoveryAction,
  type WithdrawalEvent,
  type WithdrawalState,
} from '../domain/tx/withdrawal.js';
import { isAgentError } from '../errors.js';
import { authorisationTimeoutMsDefault, cardWaitMsDefault } from '../limits.js';
import type { CardReader } from '../ports/card-reader.js';
import type { Outcome, RefusalReason, WithdrawalInput, WithdrawalView } from '../ports/operator.js';
import type { PinPad } from '../ports/pin-pad.js';
import type { AppContext } from './context.js';
import { META_PINPAD_TPK_KEY_ID } from './hq-commands.js';

export interface WithdrawalFlowOptions {
  readonly cardReader: CardReader;
  readonly pinPad: PinPad;
  /** Station secret for card tokens (HMAC key, >= 16 bytes). */
  readonly cardTokenKey: Uint8Array;
  /** key id of the TPK the PIN pad enciphers under, sent with the PIN block. */
  readonly tpkKeyId: string;
  /** How long a withdrawal waits for a card. Default limits.cardWaitMsDefault. */
  readonly cardWaitMs?: number;
  /** True once the agent is stopping: answers that arrive then change nothing. */
  readonly stopped: () => boolean;
}

interface PendingAuth {
  readonly txId: string;
  readonly resolve: (response: bianmin.v1.AuthorisationResponse | null) => void;
}

type WithdrawalOutcome = Outcome<{ withdrawal: WithdrawalView }>;

export class WithdrawalFlow {
  readonly #c: AppContext;
  readonly #o: WithdrawalFlowOptions;
  readonly #withdrawals = new Map<string, WithdrawalState>();
  readonly #pendingAuth = new Map<string, PendingAuth>();
  #busy = false;

  constructor(context: AppContext, options: WithdrawalFlowOptions) {
    this.#c = context;
    this.#o = options;
    context.writer.onRow((row, payload) => {
      if (!row.kind.startsWith('withdrawal.')) return;
      const event = { kind: row.kind, ...payload } as WithdrawalEvent;
      const state = this.#withdrawals.get(row.txId) ?? null;
      this.#withdrawals.set(row.txId, applyWithdrawalEvent(row.txId, state, event));
    });
  }

  /** Withdrawals not yet in a final phase. */
  openCount(): number {
    let open = 0;
    for (const state of this.#withdrawals.values()) if (!isTerminal(state.phase)) open += 1;
    return open;
  }

  view(txId: string): WithdrawalView | null {
    const state = this.#withdrawals.get(txId);
    return state === undefined ? null : viewOf(state);
  }

  /** Stop: every request still waiting for HQ gives up (the next start settles it from the journal). */
  abandonWaits(): void {
    for (const pending of this.#pendingAuth.values()) pending.resolve(null);
  }

  /** HQ's answer to an authorisation request; false when no request waits for it (late answer). */
  answer(response: bianmin.v1.AuthorisationResponse): boolean {
    const pending = this.#pendingAuth.get(response.requestId);
    if (pending === undefined || pending.txId !== response.transactionId) return false;
    pending.resolve(response);
    return true;
  }

  // ---------------------------------------------------------------- start

  async start(input: WithdrawalInput): Promise<WithdrawalOutcome> {
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0)
      throw new Error('assert: amountFen > 0');
    const txId = input.txId ?? `wd-${randomUUID()}`;
    const existing = this.#withdrawals.get(txId);
    if (existing !== undefined) {
      if (existing.amountFen !== input.amountFen) {
        return refusal({ code: 'AGENT_TX_DUPLICATE_ID', message: `transaction id ${txId} already used` });
      }
      return { ok: true, withdrawal: viewOf(existing) };
    }
    const limit = this.#c.rules.config()?.limits.withdrawalFenMaxPerTransaction ?? 0;
    // Disk reserve and clock (issue 9) with every other reason, before a card or a PIN (R21).
    const reasons = [
      ...this.#c.rules.commonChecks(input.amountFen, limit),
      ...this.#c.health.reasons('withdrawal'),
    ];
    if (this.#busy) reasons.push({ code: 'AGENT_TX_BUSY', message: 'another withdrawal is in progress' });
    if (reasons.length > 0) return refusal(...reasons);
    this.#busy = true;
    try {
      return await this.#run(txId, input.amountFen);
    } finally {
      this.#busy = false;
    }
  }

  async #run(txId: string, amountFen: number): Promise<WithdrawalOutcome> {
    let pan: Pan;
    try {
      await this.#o.cardReader.waitForCard(this.#o.cardWaitMs ?? cardWaitMsDefault);
      pan = (await this.#o.cardReader.readCard()).pan;
    } catch (error) {
      return refusal({
        code: 'AGENT_TX_CARD_FAILED',
        message: isAgentError(error) ? error.code : 'card read failed',
      });
    }
    const token = cardToken(pan, this.#o.cardTokenKey);
    await this.#step(txId, {
      kind: 'withdrawal.card_read',
      amountFen,
      maskedPan: pan.masked,
      cardToken: token,
    });
    // R5 limits (per transaction, per card and per station per day) and R20, before the customer
    // types a PIN and before the bank is asked: a dry run of the hold through core-ledger.
    const limitReasons = await this.#checkHold(txId, token, amountFen);
    if (limitReasons.length > 0) {
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: limitReasons[0]!.code });
      return refusal(...limitReasons);
    }
    let pinBlockBytes: Uint8Array;
    try {
      const pinBlock = await this.#o.pinPad.startPinEntry(amountFen, pan);
      pinBlockBytes = pinBlock.exposeBytes();
      pinBlock.wipe();
    } catch (error) {
      const code = isAgentError(error) ? error.code : 'AGENT_TX_PIN_FAILED';
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: code });
      return refusal({ code: 'AGENT_TX_PIN_FAILED', message: code });
    }
    return this.authorise(txId, pan, pinBlockBytes);
  }

  /** The reasons core-ledger would refuse this withdrawal's hold for; [] when it would accept it. */
  #checkHold(txId: string, cardTokenText: string, amountFen: number): Promise<RefusalReason[]> {
    return this.#c.writer.serially(async () => {
      const now = this.#c.clock.nowMs();
      const codes = this.#c.ledger.check({
        type: 'withdrawal-hold',
        id: `${txId}:check:${now}`,
        atMs: now,
        stationId: this.#c.stationId,
        cardToken: cardTokenText,
        amountFen,
        feeFen: this.#c.rules.feeFor('CASH_WITHDRAWAL').feeFen,
      });
      return ledgerReasons(codes);
    });
  }

  // ---------------------------------------------------------------- authorise

  /**
   * From the PIN block to an answer: journals the request (durable) before it leaves, sends it,
   * waits for HQ or the timeout.
   */
  async authorise(txId: string, pan: Pan, pinBlockBytes: Uint8Array): Promise<WithdrawalOutcome> {
    const state = this.#withdrawals.get(txId);
    if (state === undefined) throw new Error('assert: authorise after card_read');
    const requestId = randomUUID();
    const timeoutMs = this.#authorisationTimeoutMs();
    const deadlineAtMs = this.#c.clock.nowMs() + timeoutMs;
    const fee = this.#c.rules.feeFor('CASH_WITHDRAWAL');
    const request = {
      requestId,
      transactionId: txId,
      pan: pan.digits(),
      pinBlock: pinBlockBytes,
      pinBlockFormat: 4,
      // The key HQ last loaded into the pad (load_working_key), else the configured one.
      tpkKeyId: this.#c.journal.getMeta(META_PINPAD_TPK_KEY_ID) ?? this.#o.tpkKeyId,
      card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
      amountFen: state.amountFen,
      feeFen: fee.feeFen,
      feeScheduleVersion: fee.version,
      expiresAtMs: deadlineAtMs,
    };
    // The UK key signs (on libuv's thread pool, C_SignAsync) while the journal commit below waits
    // for its fsync: the request leaves after both, so the latency is the slower of the two, not
    // their sum. The PIN block is encoded into the signed bytes before the first await inside,
    // so it is wiped at once.
    const signing = this.#c.writer.signUnjournaled({
      type: PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST,
      body: request,
    });
    signing.catch(() => undefined); // awaited below, after the journal step
    pinBlockBytes.fill(0);
    const answer = new Promise<bianmin.v1.AuthorisationResponse | null>((resolve) => {
      this.#pendingAuth.set(requestId, { txId, resolve });
    });
    try {
      await this.#step(txId, { kind: 'withdrawal.auth_requested', requestId, deadlineAtMs });
    } catch (error) {
      this.#pendingAuth.delete(requestId);
      throw error;
    }
    let envelope: Uint8Array;
    try {
      envelope = await signing;
    } catch (error) {
      // Journaled but never signed, so never sent: the bank cannot have seen it. The withdrawal
      // ends here, journal only (a reversal would need the same UK key that just failed).
      this.#pendingAuth.delete(requestId);
      this.#c.log.error(
        { code: 'AGENT_TX_SIGNER_UNAVAILABLE', txId, error: (error as Error).message },
        'the UK key could not sign the authorisation request; withdrawal abandoned',
      );
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: 'AGENT_TX_SIGNER_UNAVAILABLE' });
      return { ok: true, withdrawal: viewOf(this.#withdrawals.get(txId)!) };
    }
    const timer = this.#c.clock.setTimer(timeoutMs, () => this.#pendingAuth.get(requestId)?.resolve(null));
    // Offline: the request never left, so waiting out the timeout only keeps the customer standing;
    // settle at once (the reversal is harmless for a request HQ never saw).
    // expectsAnswer: the link watches auth-resp until something arrives (issue 14: a dead consumer).
    const sending = this.#c.link.sendDirect(upTopic(this.#c.stationId, 'auth-req'), envelope, {
      expectsAnswer: true,
    });
    void sending.then((sent) => {
      if (!sent) this.#pendingAuth.get(requestId)?.resolve(null);
    });
    const response = await answer;
    timer.cancel();
    this.#pendingAuth.delete(requestId);
    const current = this.#withdrawals.get(txId)!;
    if (current.phase !== 'auth_requested' || this.#o.stopped())
      return { ok: true, withdrawal: viewOf(current) };
    if (response === null) {
      await this.#reverse(current, v1.ReversalReason.REVERSAL_REASON_TIMEOUT, 'AGENT_AUTH_TIMEOUT');
    } else if (response.decision === v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED) {
      await this.#authorised(current, response, fee.version);
    } else {
      await this.#declined(current, response);
    }
    return { ok: true, withdrawal: viewOf(this.#withdrawals.get(txId)!) };
  }

  #authorisationTimeoutMs(): number {
    return (this.#c.rules.config()?.limits.authorisationTimeoutMs ?? 0) || authorisationTimeoutMsDefault;
  }

  #authorised(
    state: WithdrawalState,
    response: bianmin.v1.AuthorisationResponse,
    feeVersion: number,
  ): Promise<JournalRow> {
    return this.#c.writer.serially(() => {
      const now = this.#c.clock.nowMs();
      const feeFen = Number(response.feeFen);
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
        amountFen: state.amountFen,
        feeFen,
        bankReference: response.bankReference,
        feeScheduleVersion: feeVersion,
        authorisedAtMs: now,
        // The configured expiry, as the proto says (0 = none); the kiosk's ledger does not expire
        // holds itself: the shopkeeper's confirmation is what posts.
        holdExpiresAtMs: holdExpiresAtMsOf(now, this.#c.rules.config()?.limits.holdExpiryMs ?? 0),
        businessDate: businessDateOf(now),
      };
      const command: LedgerCommand = {
        type: 'withdrawal-hold',
        id: state.txId,
        atMs: now,
        stationId: this.#c.stationId,
        cardToken: state.cardToken,
        amountFen: state.amountFen,
        feeFen,
      };
      const held = this.#c.ledger.apply(command);
      if (!held.ok) {
        // Checked before the request left, so only a race gets here (a config with lower limits
        // arrived meanwhile): the bank holds the money, so reverse at once (store-and-forward).
        this.#c.log.warn(
          { code: 'AGENT_TX_HOLD_REFUSED', reasons: held.reasons, txId: state.txId },
          'bank approved but the ledger refused the hold; reversing',
        );
        return this.#appendReversal(
          state,
          v1.ReversalReason.REVERSAL_REASON_UNUSABLE_RESPONSE,
          'AGENT_TX_HOLD_REFUSED',
          response.bankReference,
        );
      }
      return this.#c.writer
        .append(
          'withdrawal.authorised',
          state.txId,
          { authCode: response.bankReference, feeFen },
          { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED, body },
          undefined,
          { command, alreadyApplied: true },
        )
        .catch((error: unknown) => {
          this.#c.ledger.undo(command.id);
          throw error;
        });
    });
  }

  #declined(state: WithdrawalState, response: bianmin.v1.AuthorisationResponse): Promise<JournalRow> {
    return this.#c.writer.serially(() => {
      const now = this.#c.clock.nowMs();
      const reasonName = v1.DeclineReason[response.declineReason] ?? 'DECLINE_REASON_UNSPECIFIED';
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
        amountFen: state.amountFen,
        declineReason: response.declineReason,
        bankResponseCode: response.bankResponseCode,
        declinedAtMs: now,
        businessDate: businessDateOf(now),
      };
      return this.#c.writer.append(
        'withdrawal.declined',
        state.txId,
        { reasonCode: String(reasonName) },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED, body },
      );
    });
  }

  // ---------------------------------------------------------------- reverse, void, confirm

  #reverse(state: WithdrawalState, reason: number, reasonCode: string): Promise<JournalRow> {
    return this.#c.writer.serially(() => this.#appendReversal(state, reason, reasonCode, ''));
  }

  /** The reversal row and its signed event (store-and-forward until HQ acks). Inside `serially`. */
  #appendReversal(
    state: WithdrawalState,
    reason: number,
    reasonCode: string,
    bankReference: string,
  ): Promise<JournalRow> {
    const now = this.#c.clock.nowMs();
    const businessDate = businessDateOf(now);
    const body = {
      transactionId: state.txId,
      requestId: state.requestId ?? '',
      card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
      amountFen: state.amountFen,
      feeFen: this.#c.rules.feeFor('CASH_WITHDRAWAL').feeFen,
      bankReference,
      reason,
      reversedAtMs: now,
      businessDate,
    };
    return this.#c.writer.append(
      'withdrawal.reversed',
      state.txId,
      // R7 REVERSAL line: the kiosk held nothing for a request it never saw answered.
      { reasonCode, businessType: 'REVERSAL', businessDate, amountFen: 0, feeFen: 0 },
      { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED, body },
      undefined,
      {
        command: {
          type: 'withdrawal-reverse',
          id: `${state.txId}:reverse`,
          atMs: now,
          stationId: this.#c.stationId,
          holdId: state.txId,
        },
        alreadyApplied: false,
      },
    );
  }

  #void(state: WithdrawalState, reason: number, reasonCode: string): Promise<JournalRow> {
    return this.#c.writer.serially(() => {
      const now = this.#c.clock.nowMs();
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        amountFen: state.amountFen,
        feeFen: state.feeFen,
        bankReference: state.authCode ?? '',
        reason,
        voidedAtMs: now,
        businessDate: businessDateOf(now),
      };
      return this.#c.writer.append(
        'withdrawal.voided',
        state.txId,
        { reasonCode },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED, body },
        undefined,
        {
          command: { type: 'withdrawal-void', id: `${state.txId}:void`, atMs: now, holdId: state.txId },
          alreadyApplied: false,
        },
      );
    });
  }

  async confirmCash(txId: string): Promise<WithdrawalOutcome> {
    const known = this.#withdrawals.get(txId);
    if (known === undefined)
      return refusal({ code: 'AGENT_OPERATOR_NOT_FOUND', message: `no withdrawal ${txId}` });
    if (known.phase === 'posted') return { ok: true, withdrawal: viewOf(known) };
    await this.#c.writer.serially(async () => {
      const state = this.#withdrawals.get(txId)!;
      if (state.phase !== 'authorised') return;
      await this.#appendPosted(state);
    });
    const after = this.#withdrawals.get(txId)!;
    if (after.phase !== 'posted') {
      return refusal({
        code: 'AGENT_TX_WRONG_PHASE',
        message: `withdrawal is ${after.phase}, not authorised`,
      });
    }
    return { ok: true, withdrawal: viewOf(after) };
  }

  /** The posted row: cash handed out, receipt numbered (R9). Inside `serially`. */
  #appendPosted(state: WithdrawalState): Promise<JournalRow> {
    const txId = state.txId;
    const now = this.#c.clock.nowMs();
    const businessDate = businessDateOf(now);
    const receipt = this.#c.rules.nextReceipt(businessDate);
    const body = {
      transactionId: txId,
      requestId: state.requestId ?? '',
      card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
      amountFen: state.amountFen,
      feeFen: state.feeFen,
      bankReference: state.authCode ?? '',
      receiptNumber: receipt.receiptNumber,
      postedAtMs: now,
      businessDate,
    };
    return this.#c.writer.append(
      'withdrawal.posted',
      txId,
      {
        receiptNumber: receipt.receiptNumber,
        businessType: 'CASH_WITHDRAWAL',
        businessDate,
        amountFen: state.amountFen,
        feeFen: state.feeFen,
      },
      { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, body },
      receipt.metaUpdates,
      {
        command: { type: 'withdrawal-post', id: `${txId}:post`, atMs: now, holdId: txId },
        alreadyApplied: false,
      },
    );
  }

  async voidByOperator(txId: string): Promise<WithdrawalOutcome> {
    const state = this.#withdrawals.get(txId);
    if (state === undefined)
      return refusal({ code: 'AGENT_OPERATOR_NOT_FOUND', message: `no withdrawal ${txId}` });
    if (state.phase === 'voided') return { ok: true, withdrawal: viewOf(state) };
    if (state.phase !== 'authorised') {
      return refusal({
        code: 'AGENT_TX_WRONG_PHASE',
        message: `withdrawal is ${state.phase}, not authorised`,
      });
    }
    await this.#void(state, v1.VoidReason.VOID_REASON_OPERATOR, 'OPERATOR');
    return { ok: true, withdrawal: viewOf(this.#withdrawals.get(txId)!) };
  }

  // ---------------------------------------------------------------- recovery

  /** Start-up: settles every withdrawal a previous process died in (domain/tx/withdrawal.ts). */
  async recover(): Promise<void> {
    for (const state of [...this.#withdrawals.values()]) {
      if (isTerminal(state.phase)) continue;
      const action = recoveryAction(state);
      this.#c.log.warn(
        {
          code: action.kind === 'none' ? undefined : action.reasonCode,
          txId: state.txId,
          phase: state.phase,
        },
        'settling withdrawal left in flight',
      );
      if (action.kind === 'abandon')
        await this.#step(state.txId, { kind: 'withdrawal.abandoned', reasonCode: action.reasonCode });
      if (action.kind === 'reverse')
        await this.#reverse(state, v1.ReversalReason.REVERSAL_REASON_RECOVERY, action.reasonCode);
      if (action.kind === 'void')
        await this.#void(state, v1.VoidReason.VOID_REASON_CASH_NOT_HANDED_OUT, action.reasonCode);
    }
  }

  /** A journal-only withdrawal step (no wire event). */
  #step(txId: string, event: WithdrawalEvent): Promise<JournalRow> {
    return this.#c.writer.serially(() => {
      const state = this.#withdrawals.get(txId) ?? null;
      if (!canApply(state, event)) throw new Error(`assert: ${event.kind} from ${state?.phase ?? 'nothing'}`);
      const { kind, ...payload } = event;
      return this.#c.writer.append(kind, txId, payload);
    });
  }
}

function viewOf(state: WithdrawalState): WithdrawalView {
  return {
    txId: state.txId,
    phase: state.phase,
    amountFen: state.amountFen,
    feeFen: state.feeFen,
    maskedPan: state.maskedPan,
    receiptNumber: state.receiptNumber,
    reasonCode: state.reasonCode,
  };
}
