// Step 5c, an authorisation request (cash withdrawal, R5): HQ's own checks first (expiry, PIN-block
// format, fee, R5 limits on its tally: domain/authorisation.ts), then the approval is made durable
// and the bank asked; the answer is sealed and published at once. The customer is waiting, so
// this runs beside the batch, not in it.
import { type OpenedEnvelope, PayloadType } from '@bianmin/wire';
import {
  type AuthorisationDecision,
  decideBeforeBank,
  decisionOfBank,
  declinedForRate,
  declinedNotOpen,
  declinedOverLimit,
  responseCode,
  wireDecision,
} from '../../domain/authorisation.js';
import { decodeAuthRequest } from '../../domain/codec/bodies.js';
import { withdrawalFeeInForce, withdrawalFeeOnDay } from '../../domain/fee-check.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import type { WithdrawalAsk } from '../../domain/withdrawal-limits.js';
import type { AuthoriseRequest } from '../../ports/bank-core.js';
import type { ApprovalRecording } from '../../ports/store.js';
import { cardKeyOf } from '../card-key.js';
import { withinAuthRate } from './auth-rate.js';
import type { IngestContext } from './context.js';
import { recordSkew } from './skew.js';
import type { StationState } from './station-state.js';

export async function authorise(
  ctx: IngestContext,
  station: StationState,
  opened: OpenedEnvelope,
): Promise<void> {
  ctx.counters.authRequests += 1;
  const request = decodeAuthRequest(opened.body);
  const stationId = station.record.stationId;
  const nowMs = ctx.clock.nowMs();
  // Issue 8: a station over its request rate is declined before the tally, the store and the bank.
  if (!withinAuthRate(ctx, station, nowMs)) {
    answer(ctx, stationId, request, declinedForRate());
    return;
  }
  // R4: a station whose lifecycle is not open may not transact: declined before the tally and the bank.
  if (station.networkBlock !== null) {
    ctx.log.info(
      { code: station.networkBlock.code, stationId, state: station.networkBlock.state },
      'authorisation declined: station not open (R4)',
    );
    answer(ctx, stationId, request, declinedNotOpen());
    return;
  }
  // HQ's clock decides the business day of the R5 tally (issue 9): a kiosk whose clock runs a day
  // ahead must not get a fresh daily limit. Its timestamp is checked against HQ's receive time.
  recordSkew(ctx, 'live', stationId, `auth:${request.requestId}`, opened.header.createdAtMs, nowMs);
  const ask: WithdrawalAsk = {
    requestId: request.requestId,
    cardKey: cardKeyOf(ctx.settings.cardKeySecret, request.pan),
    stationId,
    businessDate: shanghaiDate(nowMs),
    amountFen: request.amountFen,
  };
  // R5/R6: the fee of the schedule in force on HQ's day for this station, not a constant.
  const feeInForce = withdrawalFeeInForce(
    ctx.settings.feeSchedules,
    request.feeFen,
    nowMs,
    ctx.settings.clockSkewMsMax,
  );
  const overLimit = ctx.tally.check(ctx.settings.withdrawalLimits, ask);
  let decision = decideBeforeBank({
    nowMs,
    expiresAtMs: request.expiresAtMs,
    pinBlockFormat: request.pinBlockFormat,
    feeFen: request.feeFen,
    feeFenExpected: feeInForce ? request.feeFen : withdrawalFeeOnDay(ctx.settings.feeSchedules, nowMs),
    overLimit,
  });
  if (decision?.responseCode === responseCode.exceedsWithdrawalLimit) {
    // R5 before the bank; every broken limit is logged, the first (fixed order) goes on the wire.
    ctx.log.info({ code: overLimit[0], codes: overLimit, stationId }, 'authorisation declined');
  }
  decision ??= await askBank(ctx, ask, {
    requestId: request.requestId,
    transactionId: request.transactionId,
    stationId,
    pan: request.pan,
    pinBlock: request.pinBlock,
    ...(request.tpkKeyId === '' ? {} : { tpkKeyId: request.tpkKeyId }),
    amountFen: request.amountFen,
    feeFen: request.feeFen,
    businessDate: ask.businessDate,
    atMs: nowMs,
  });
  if (decision.approved) {
    // The grant is HQ's provenance for the kiosk's WithdrawalAuthorised/Posted (issue 8): durable
    // before APPROVED goes out. If it cannot be stored no answer goes out; the kiosk reverses.
    const grant = {
      requestId: request.requestId,
      stationId,
      transactionId: request.transactionId,
      cardToken: request.cardToken,
      amountFen: request.amountFen,
      feeFen: request.feeFen,
      grantedAtMs: nowMs,
    };
    ctx.provenance.grantRecorded(grant);
    await ctx.integrity.recordGrant(grant);
  }
  answer(ctx, stationId, request, decision);
}

/** Count the decision and send the sealed answer to the station. */
function answer(
  ctx: IngestContext,
  stationId: string,
  request: ReturnType<typeof decodeAuthRequest>,
  decision: AuthorisationDecision,
): void {
  if (decision.approved) ctx.counters.authApproved += 1;
  else ctx.counters.authDeclined += 1;
  // Not awaited (a publish may stay pending while the broker is down); the bank's answer is
  // idempotent by request id, so a kiosk that times out reverses and HQ releases the hold.
  ctx.background.fireAndForget(
    ctx.downlink.send(stationId, 'auth-resp', PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: request.requestId,
      transactionId: request.transactionId,
      decision: wireDecision(decision),
      declineReason: decision.declineReason,
      bankResponseCode: decision.responseCode,
      bankReference: decision.bankReference,
      amountFen: request.amountFen,
      feeFen: decision.approved ? request.feeFen : 0,
      respondedAtMs: ctx.clock.nowMs(),
    }),
  );
  ctx.events.emit('authorised', { stationId, requestId: request.requestId, approved: decision.approved });
}

/** Reserve the approval in the tally, make it durable, then ask the bank. */
async function askBank(
  ctx: IngestContext,
  ask: WithdrawalAsk,
  request: AuthoriseRequest,
): Promise<AuthorisationDecision> {
  const reservedNow = ctx.tally.approved(ask); // reserved now, so a concurrent request sees it
  let recording: ApprovalRecording;
  try {
    // Durable before the bank is asked, so a restart still counts what the bank may hold. If it
    // cannot be stored the bank is not asked and no answer goes out (logged with the error's code
    // by the background tracker): the kiosk times out and reverses, as for any unanswered request.
    recording = await ctx.store.recordWithdrawalApproval(
      { ...ask, approvedAtMs: request.atMs },
      ctx.settings.withdrawalLimits.perCardDailyFenMax,
    );
  } catch (error) {
    if (reservedNow) ctx.tally.released(ask.requestId); // a re-asked approval keeps counting
    throw error;
  }
  if (!recording.recorded) {
    // R5 across gateways (issue 14): this process's tally let it through, the store's card day
    // (approvals other gateways made for the same card at their stations) does not.
    if (reservedNow) ctx.tally.released(ask.requestId);
    ctx.log.info(
      { code: recording.code, stationId: ask.stationId, cardDayFen: recording.cardDayFen },
      "authorisation declined: the card's day in the store is full",
    );
    return declinedOverLimit(recording.code);
  }
  const outcome = await ctx.bank.authorise(request);
  if (!outcome.approved) {
    ctx.tally.released(ask.requestId);
    // Not awaited: the decline goes out at once. Should the write fail (logged), the stored
    // approval keeps counting after a restart: HQ then declines more, never allows more.
    ctx.background.track(ctx.store.releaseWithdrawalApproval(ask.requestId, request.atMs));
    ctx.log.info({ code: outcome.code, stationId: ask.stationId }, 'authorisation declined');
  }
  return decisionOfBank(outcome);
}
