// The payload registry: for each PayloadType, its message class, the topic channel it travels on,
// who signs it, whether it is a journaled event (seq > 0), and the checks its decoded fields must
// pass. decodePayload/encodePayload are the only ways in and out of SignedHeader.body.

import { decodeOrThrow } from './decode.js';
import { WireError } from './errors.js';
import { type bianmin, v1 } from './generated.js';
import { bodyBytesMax, otaFetchUrlCharsMax, pinBlockSizeBytes, publicKeySpkiBytesMax } from './limits.js';
import {
  checkCard,
  checkCashDeclaration,
  checkPeripherals,
  checkStationConfig,
  checkWithdrawalIds,
} from './payload-checks.js';
import type { Channel } from './topics.js';
import { isValidStationId } from './topics.js';
import {
  badField,
  checkBusinessDate,
  checkBytes,
  checkCode,
  checkCount,
  checkEnum,
  checkFen,
  checkId,
  checkInstantMs,
  checkKeyId,
  checkPan,
  checkRepeated,
  checkSha256Hex,
  checkShape,
  checkText,
  maskPan,
} from './validate.js';

export const PayloadType = v1.PayloadType;
export type PayloadType = bianmin.v1.PayloadType;
type PT = typeof bianmin.v1.PayloadType;

/** The message class each payload type carries. */
export interface PayloadMap {
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED]: bianmin.v1.WithdrawalAuthorised;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED]: bianmin.v1.WithdrawalPosted;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED]: bianmin.v1.WithdrawalVoided;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED]: bianmin.v1.WithdrawalReversed;
  [PayloadType.PAYLOAD_TYPE_BILL_PAYMENT]: bianmin.v1.BillPayment;
  [PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP]: bianmin.v1.MobileTopup;
  [PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED]: bianmin.v1.QuotaPurchaseApplied;
  [PayloadType.PAYLOAD_TYPE_DAILY_CLOSE]: bianmin.v1.DailyClose;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED]: bianmin.v1.WithdrawalDeclined;
  [PayloadType.PAYLOAD_TYPE_KEY_ROTATED]: bianmin.v1.KeyRotated;
  [PayloadType.PAYLOAD_TYPE_COMMAND_RESULT]: bianmin.v1.CommandResult;
  [PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED]: bianmin.v1.ConfigApplied;
  [PayloadType.PAYLOAD_TYPE_CASH_DECLARED]: bianmin.v1.CashDeclared;
  [PayloadType.PAYLOAD_TYPE_OTA_PROGRESS]: bianmin.v1.OtaProgress;
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST]: bianmin.v1.AuthorisationRequest;
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE]: bianmin.v1.AuthorisationResponse;
  [PayloadType.PAYLOAD_TYPE_ACK]: bianmin.v1.Ack;
  [PayloadType.PAYLOAD_TYPE_STATION_CONFIG]: bianmin.v1.StationConfig;
  [PayloadType.PAYLOAD_TYPE_COMMAND]: bianmin.v1.Command;
  [PayloadType.PAYLOAD_TYPE_BIRTH]: bianmin.v1.Birth;
  [PayloadType.PAYLOAD_TYPE_DEATH]: bianmin.v1.Death;
  [PayloadType.PAYLOAD_TYPE_TELEMETRY]: bianmin.v1.Telemetry;
  [PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST]: bianmin.v1.EnrolmentRequest;
}

export type KnownPayloadType = keyof PayloadMap;

/** What a caller passes to encode a payload of each type (the generated $Properties shape). */
export interface PayloadInputMap {
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED]: bianmin.v1.WithdrawalAuthorised.$Properties;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED]: bianmin.v1.WithdrawalPosted.$Properties;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED]: bianmin.v1.WithdrawalVoided.$Properties;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED]: bianmin.v1.WithdrawalReversed.$Properties;
  [PayloadType.PAYLOAD_TYPE_BILL_PAYMENT]: bianmin.v1.BillPayment.$Properties;
  [PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP]: bianmin.v1.MobileTopup.$Properties;
  [PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED]: bianmin.v1.QuotaPurchaseApplied.$Properties;
  [PayloadType.PAYLOAD_TYPE_DAILY_CLOSE]: bianmin.v1.DailyClose.$Properties;
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED]: bianmin.v1.WithdrawalDeclined.$Properties;
  [PayloadType.PAYLOAD_TYPE_KEY_ROTATED]: bianmin.v1.KeyRotated.$Properties;
  [PayloadType.PAYLOAD_TYPE_COMMAND_RESULT]: bianmin.v1.CommandResult.$Properties;
  [PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED]: bianmin.v1.ConfigApplied.$Properties;
  [PayloadType.PAYLOAD_TYPE_CASH_DECLARED]: bianmin.v1.CashDeclared.$Properties;
  [PayloadType.PAYLOAD_TYPE_OTA_PROGRESS]: bianmin.v1.OtaProgress.$Properties;
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST]: bianmin.v1.AuthorisationRequest.$Properties;
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE]: bianmin.v1.AuthorisationResponse.$Properties;
  [PayloadType.PAYLOAD_TYPE_ACK]: bianmin.v1.Ack.$Properties;
  [PayloadType.PAYLOAD_TYPE_STATION_CONFIG]: bianmin.v1.StationConfig.$Properties;
  [PayloadType.PAYLOAD_TYPE_COMMAND]: bianmin.v1.Command.$Properties;
  [PayloadType.PAYLOAD_TYPE_BIRTH]: bianmin.v1.Birth.$Properties;
  [PayloadType.PAYLOAD_TYPE_DEATH]: bianmin.v1.Death.$Properties;
  [PayloadType.PAYLOAD_TYPE_TELEMETRY]: bianmin.v1.Telemetry.$Properties;
  [PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST]: bianmin.v1.EnrolmentRequest.$Properties;
}

/** What a caller passes to encode a payload of type T. */
export type PayloadInput<T extends KnownPayloadType> = PayloadInputMap[T];

/** A decoded, checked payload: discriminate on `type`. */
export type TypedPayload = { [T in KnownPayloadType]: { type: T; body: PayloadMap[T] } }[KnownPayloadType];

export interface PayloadSpec<T extends KnownPayloadType> {
  /** The proto message name, e.g. "WithdrawalPosted". */
  readonly name: string;
  /** The topic channel it travels on; null for the out-of-band enrolment file. */
  readonly channel: Channel | null;
  /** Whose key signs it: a station's enrolled key or an HQ key pinned on the kiosk. */
  readonly signer: 'station' | 'hq';
  /** A journaled kiosk event: header.seq >= 1, contiguous per station. Otherwise seq = 0. */
  readonly journaled: boolean;
  readonly codec: {
    encode(message: PayloadMap[T] | object): { finish(): Uint8Array };
    decode(bytes: Uint8Array): PayloadMap[T];
  };
  /** Type-specific checks after the generic shape check. */
  readonly check: (message: PayloadMap[T], field: string) => void;
}

function spec<T extends KnownPayloadType>(
  _type: T,
  name: string,
  channel: Channel | null,
  signer: 'station' | 'hq',
  journaled: boolean,
  codec: unknown,
  check: (message: PayloadMap[T], field: string) => void,
): PayloadSpec<T> {
  return { name, channel, signer, journaled, codec: codec as PayloadSpec<T>['codec'], check };
}

const P: PT = v1.PayloadType;

export const payloadSpecs: { readonly [T in KnownPayloadType]: PayloadSpec<T> } = {
  [P.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED]: spec(
    P.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED,
    'WithdrawalAuthorised',
    'event',
    'station',
    true,
    v1.WithdrawalAuthorised,
    (m, f) => {
      checkWithdrawalIds(m, f);
      checkCard(m.card, `${f}.card`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkId(m.bankReference, `${f}.bankReference`);
      checkCount(m.feeScheduleVersion, `${f}.feeScheduleVersion`, 1);
      checkInstantMs(m.authorisedAtMs, `${f}.authorisedAtMs`);
      checkInstantMs(m.holdExpiresAtMs, `${f}.holdExpiresAtMs`, false);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_WITHDRAWAL_POSTED]: spec(
    P.PAYLOAD_TYPE_WITHDRAWAL_POSTED,
    'WithdrawalPosted',
    'event',
    'station',
    true,
    v1.WithdrawalPosted,
    (m, f) => {
      checkWithdrawalIds(m, f);
      checkCard(m.card, `${f}.card`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkId(m.bankReference, `${f}.bankReference`);
      checkId(m.receiptNumber, `${f}.receiptNumber`);
      checkInstantMs(m.postedAtMs, `${f}.postedAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_WITHDRAWAL_VOIDED]: spec(
    P.PAYLOAD_TYPE_WITHDRAWAL_VOIDED,
    'WithdrawalVoided',
    'event',
    'station',
    true,
    v1.WithdrawalVoided,
    (m, f) => {
      checkWithdrawalIds(m, f);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkId(m.bankReference, `${f}.bankReference`, false);
      checkEnum(m.reason, v1.VoidReason, `${f}.reason`);
      checkInstantMs(m.voidedAtMs, `${f}.voidedAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_WITHDRAWAL_REVERSED]: spec(
    P.PAYLOAD_TYPE_WITHDRAWAL_REVERSED,
    'WithdrawalReversed',
    'event',
    'station',
    true,
    v1.WithdrawalReversed,
    (m, f) => {
      checkWithdrawalIds(m, f);
      checkCard(m.card, `${f}.card`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkId(m.bankReference, `${f}.bankReference`, false);
      checkEnum(m.reason, v1.ReversalReason, `${f}.reason`);
      checkInstantMs(m.reversedAtMs, `${f}.reversedAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_BILL_PAYMENT]: spec(
    P.PAYLOAD_TYPE_BILL_PAYMENT,
    'BillPayment',
    'event',
    'station',
    true,
    v1.BillPayment,
    (m, f) => {
      checkId(m.transactionId, `${f}.transactionId`);
      checkEnum(m.billerKind, v1.BillerKind, `${f}.billerKind`);
      checkCode(m.billerCode, `${f}.billerCode`);
      checkId(m.accountNumber, `${f}.accountNumber`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.quotaFenAfter, `${f}.quotaFenAfter`);
      checkId(m.receiptNumber, `${f}.receiptNumber`);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkCount(m.feeScheduleVersion, `${f}.feeScheduleVersion`, 1);
      checkInstantMs(m.paidAtMs, `${f}.paidAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_MOBILE_TOPUP]: spec(
    P.PAYLOAD_TYPE_MOBILE_TOPUP,
    'MobileTopup',
    'event',
    'station',
    true,
    v1.MobileTopup,
    (m, f) => {
      checkId(m.transactionId, `${f}.transactionId`);
      if (!/^\+?\d{5,20}$/.test(m.phoneNumber)) badField(`${f}.phoneNumber`, 'must be 5..20 digits');
      checkCode(m.carrier, `${f}.carrier`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.quotaFenAfter, `${f}.quotaFenAfter`);
      checkId(m.receiptNumber, `${f}.receiptNumber`);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkCount(m.feeScheduleVersion, `${f}.feeScheduleVersion`, 1);
      checkInstantMs(m.toppedUpAtMs, `${f}.toppedUpAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED]: spec(
    P.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED,
    'QuotaPurchaseApplied',
    'event',
    'station',
    true,
    v1.QuotaPurchaseApplied,
    (m, f) => {
      checkId(m.purchaseId, `${f}.purchaseId`);
      // R3's 50000-fen minimum is a business rule: core-ledger refuses it, the wire only needs > 0.
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.quotaFenAfter, `${f}.quotaFenAfter`);
      checkCount(m.configVersion, `${f}.configVersion`);
      checkInstantMs(m.appliedAtMs, `${f}.appliedAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_DAILY_CLOSE]: spec(
    P.PAYLOAD_TYPE_DAILY_CLOSE,
    'DailyClose',
    'event',
    'station',
    true,
    v1.DailyClose,
    (m, f) => {
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
      checkRepeated(m.totals, `${f}.totals`);
      const kinds = new Set<number>();
      m.totals.forEach((line, index) => {
        const at = `${f}.totals[${index}]`;
        checkEnum(line.kind ?? 0, v1.TotalsKind, `${at}.kind`);
        if (kinds.has(line.kind ?? 0)) badField(`${at}.kind`, 'appears twice');
        kinds.add(line.kind ?? 0);
        checkCount(line.count ?? 0, `${at}.count`);
        checkFen(line.amountFen ?? 0, `${at}.amountFen`);
        checkFen(line.feeFen ?? 0, `${at}.feeFen`);
        checkFen(line.quotaFenConsumed ?? 0, `${at}.quotaFenConsumed`);
      });
      checkSha256Hex(m.closeHash, `${f}.closeHash`);
      checkSha256Hex(m.previousCloseHash, `${f}.previousCloseHash`);
      checkCount(m.firstSeq, `${f}.firstSeq`);
      checkCount(m.lastSeq, `${f}.lastSeq`);
      if (m.firstSeq > m.lastSeq) badField(`${f}.firstSeq`, 'must be <= lastSeq');
      checkFen(m.quotaFenOpening, `${f}.quotaFenOpening`);
      checkFen(m.quotaFenClosing, `${f}.quotaFenClosing`);
      checkCount(m.closeSequence, `${f}.closeSequence`, 1);
      checkCount(m.holdsPendingCount, `${f}.holdsPendingCount`);
      checkInstantMs(m.closedAtMs, `${f}.closedAtMs`);
      // Absent = not declared (R8), distinct from a count of 0.
      if (m.cashDeclared !== null && m.cashDeclared !== undefined)
        checkCashDeclaration(m.cashDeclared, `${f}.cashDeclared`);
    },
  ),
  [P.PAYLOAD_TYPE_WITHDRAWAL_DECLINED]: spec(
    P.PAYLOAD_TYPE_WITHDRAWAL_DECLINED,
    'WithdrawalDeclined',
    'event',
    'station',
    true,
    v1.WithdrawalDeclined,
    (m, f) => {
      checkWithdrawalIds(m, f);
      checkCard(m.card, `${f}.card`);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkEnum(m.declineReason, v1.DeclineReason, `${f}.declineReason`);
      checkCode(m.bankResponseCode, `${f}.bankResponseCode`, false);
      checkInstantMs(m.declinedAtMs, `${f}.declinedAtMs`);
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
    },
  ),
  [P.PAYLOAD_TYPE_KEY_ROTATED]: spec(
    P.PAYLOAD_TYPE_KEY_ROTATED,
    'KeyRotated',
    'event',
    'station',
    true,
    v1.KeyRotated,
    (m, f) => {
      checkKeyId(m.newKeyId, `${f}.newKeyId`);
      checkBytes(m.newPublicKeySpkiDer, `${f}.newPublicKeySpkiDer`, 1, publicKeySpkiBytesMax);
      checkInstantMs(m.rotatedAtMs, `${f}.rotatedAtMs`);
      checkId(m.commandId, `${f}.commandId`, false);
    },
  ),
  [P.PAYLOAD_TYPE_COMMAND_RESULT]: spec(
    P.PAYLOAD_TYPE_COMMAND_RESULT,
    'CommandResult',
    'event',
    'station',
    true,
    v1.CommandResult,
    (m, f) => {
      checkId(m.commandId, `${f}.commandId`);
      checkEnum(m.outcome, v1.CommandOutcome, `${f}.outcome`);
      checkText(m.detail, `${f}.detail`);
      checkInstantMs(m.finishedAtMs, `${f}.finishedAtMs`);
    },
  ),
  [P.PAYLOAD_TYPE_CONFIG_APPLIED]: spec(
    P.PAYLOAD_TYPE_CONFIG_APPLIED,
    'ConfigApplied',
    'event',
    'station',
    true,
    v1.ConfigApplied,
    (m, f) => {
      checkCount(m.configVersion, `${f}.configVersion`, 1);
      checkText(m.detail, `${f}.detail`);
      checkInstantMs(m.appliedAtMs, `${f}.appliedAtMs`);
    },
  ),
  [P.PAYLOAD_TYPE_CASH_DECLARED]: spec(
    P.PAYLOAD_TYPE_CASH_DECLARED,
    'CashDeclared',
    'event',
    'station',
    true,
    v1.CashDeclared,
    (m, f) => {
      checkBusinessDate(m.businessDate, `${f}.businessDate`);
      checkSha256Hex(m.closeHash, `${f}.closeHash`);
      checkCashDeclaration(m.declaration, `${f}.declaration`);
    },
  ),
  [P.PAYLOAD_TYPE_OTA_PROGRESS]: spec(
    P.PAYLOAD_TYPE_OTA_PROGRESS,
    'OtaProgress',
    'event',
    'station',
    true,
    v1.OtaProgress,
    (m, f) => {
      checkId(m.rolloutId, `${f}.rolloutId`);
      checkReleaseVersion(m.releaseVersion, `${f}.releaseVersion`);
      checkEnum(m.stage, v1.OtaStage, `${f}.stage`);
      checkCount(m.receivedBytes, `${f}.receivedBytes`);
      checkCount(m.totalBytes, `${f}.totalBytes`);
      if (m.receivedBytes > m.totalBytes) badField(`${f}.receivedBytes`, 'must be <= totalBytes');
      const ended = m.stage === v1.OtaStage.OTA_STAGE_ROLLED_BACK || m.stage === v1.OtaStage.OTA_STAGE_FAILED;
      // A roll-back or a failure always says why; other stages carry no reason.
      checkCode(m.reasonCode, `${f}.reasonCode`, ended);
      if (!ended && m.reasonCode !== '') badField(`${f}.reasonCode`, 'only for ROLLED_BACK and FAILED');
      checkText(m.detail, `${f}.detail`);
      checkInstantMs(m.reportedAtMs, `${f}.reportedAtMs`);
    },
  ),
  [P.PAYLOAD_TYPE_AUTHORISATION_REQUEST]: spec(
    P.PAYLOAD_TYPE_AUTHORISATION_REQUEST,
    'AuthorisationRequest',
    'auth-req',
    'station',
    false,
    v1.AuthorisationRequest,
    (m, f) => {
      checkId(m.requestId, `${f}.requestId`);
      checkId(m.transactionId, `${f}.transactionId`);
      checkPan(m.pan, `${f}.pan`);
      checkBytes(m.pinBlock, `${f}.pinBlock`, pinBlockSizeBytes);
      if (m.pinBlockFormat !== 4) badField(`${f}.pinBlockFormat`, 'must be 4 (ISO 9564 format 4)');
      checkKeyId(m.tpkKeyId, `${f}.tpkKeyId`);
      checkCard(m.card, `${f}.card`);
      if (m.card?.maskedPan !== maskPan(m.pan)) badField(`${f}.card.maskedPan`, 'does not match pan');
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkCount(m.feeScheduleVersion, `${f}.feeScheduleVersion`, 1);
      checkInstantMs(m.expiresAtMs, `${f}.expiresAtMs`);
    },
  ),
  [P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE]: spec(
    P.PAYLOAD_TYPE_AUTHORISATION_RESPONSE,
    'AuthorisationResponse',
    'auth-resp',
    'hq',
    false,
    v1.AuthorisationResponse,
    (m, f) => {
      checkId(m.requestId, `${f}.requestId`);
      checkId(m.transactionId, `${f}.transactionId`);
      checkEnum(m.decision, v1.AuthorisationDecision, `${f}.decision`);
      const approved = m.decision === v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED;
      checkEnum(m.declineReason, v1.DeclineReason, `${f}.declineReason`, approved);
      if (approved && m.declineReason !== 0)
        badField(`${f}.declineReason`, 'must be UNSPECIFIED when approved');
      checkCode(m.bankResponseCode, `${f}.bankResponseCode`, false);
      checkId(m.bankReference, `${f}.bankReference`, approved);
      checkFen(m.amountFen, `${f}.amountFen`, 1);
      checkFen(m.feeFen, `${f}.feeFen`);
      checkInstantMs(m.respondedAtMs, `${f}.respondedAtMs`);
    },
  ),
  [P.PAYLOAD_TYPE_ACK]: spec(P.PAYLOAD_TYPE_ACK, 'Ack', 'ack', 'hq', false, v1.Ack, (m, f) => {
    checkCount(m.handledThroughSeq, `${f}.handledThroughSeq`);
    checkCount(m.highestSeqReceived, `${f}.highestSeqReceived`);
    checkRepeated(m.refusals, `${f}.refusals`);
    m.refusals.forEach((r, index) => {
      const at = `${f}.refusals[${index}]`;
      checkCount(r.seq ?? 0, `${at}.seq`, 1);
      checkId(r.eventId ?? '', `${at}.eventId`, false);
      checkEnum(r.reason ?? 0, v1.RefusalReason, `${at}.reason`);
      checkCode(r.code ?? '', `${at}.code`, false);
      checkText(r.detail ?? '', `${at}.detail`);
    });
    checkInstantMs(m.ackedAtMs, `${f}.ackedAtMs`);
  }),
  [P.PAYLOAD_TYPE_STATION_CONFIG]: spec(
    P.PAYLOAD_TYPE_STATION_CONFIG,
    'StationConfig',
    'config',
    'hq',
    false,
    v1.StationConfig,
    checkStationConfig,
  ),
  [P.PAYLOAD_TYPE_COMMAND]: spec(
    P.PAYLOAD_TYPE_COMMAND,
    'Command',
    'cmd',
    'hq',
    false,
    v1.Command,
    (m, f) => {
      checkId(m.commandId, `${f}.commandId`);
      checkInstantMs(m.notAfterMs, `${f}.notAfterMs`);
      if (m.action === undefined) badField(`${f}.action`, 'is required');
      if (m.resendFrom) checkCount(m.resendFrom.fromSeq ?? 0, `${f}.resendFrom.fromSeq`, 1);
      if (m.requestDailyClose)
        checkBusinessDate(m.requestDailyClose.businessDate ?? '', `${f}.requestDailyClose.businessDate`);
      if (m.loadWorkingKey) {
        // R24: a wrapped key of one AES block, its id as PIN blocks will name it, its check value.
        const key = m.loadWorkingKey;
        if (!/^[A-Za-z0-9_-]{1,32}$/.test(key.tpkKeyId ?? ''))
          badField(`${f}.loadWorkingKey.tpkKeyId`, 'must be 1-32 of A-Z a-z 0-9 _ -');
        if ((key.tpkUnderTmk ?? new Uint8Array()).length !== 16)
          badField(`${f}.loadWorkingKey.tpkUnderTmk`, 'must be 16 bytes (one AES-128 block)');
        if (!/^[0-9A-F]{6}$/.test(key.kcv ?? ''))
          badField(`${f}.loadWorkingKey.kcv`, 'must be 6 upper-case hex digits');
      }
      if (m.otaOffer) checkOtaOffer(m.otaOffer, `${f}.otaOffer`);
    },
  ),
  [P.PAYLOAD_TYPE_BIRTH]: spec(P.PAYLOAD_TYPE_BIRTH, 'Birth', 'birth', 'station', false, v1.Birth, (m, f) => {
    checkCount(m.bdSeq, `${f}.bdSeq`);
    checkCode(m.agentVersion, `${f}.agentVersion`);
    checkCode(m.orgCode, `${f}.orgCode`, false);
    checkCount(m.configVersionApplied, `${f}.configVersionApplied`);
    checkCount(m.lastJournalSeq, `${f}.lastJournalSeq`);
    checkCount(m.oldestUnackedSeq, `${f}.oldestUnackedSeq`);
    checkCount(m.outboxDepth, `${f}.outboxDepth`);
    checkInstantMs(m.bootedAtMs, `${f}.bootedAtMs`);
    checkPeripherals(m.peripherals, `${f}.peripherals`);
    checkEnum(m.tokenState, v1.TokenState, `${f}.tokenState`);
  }),
  [P.PAYLOAD_TYPE_DEATH]: spec(P.PAYLOAD_TYPE_DEATH, 'Death', 'death', 'station', false, v1.Death, (m, f) => {
    checkCount(m.bdSeq, `${f}.bdSeq`);
  }),
  [P.PAYLOAD_TYPE_TELEMETRY]: spec(
    P.PAYLOAD_TYPE_TELEMETRY,
    'Telemetry',
    'telemetry',
    'station',
    false,
    v1.Telemetry,
    (m, f) => {
      checkCount(m.bdSeq, `${f}.bdSeq`);
      checkPeripherals(m.peripherals, `${f}.peripherals`);
      checkEnum(m.tokenState, v1.TokenState, `${f}.tokenState`);
      checkCount(m.outboxDepth, `${f}.outboxDepth`);
      checkCount(m.oldestUnackedSeq, `${f}.oldestUnackedSeq`);
      checkCount(m.lastJournalSeq, `${f}.lastJournalSeq`);
      checkCount(m.diskFreeBytes, `${f}.diskFreeBytes`);
      checkFen(m.quotaFenAvailable, `${f}.quotaFenAvailable`);
      checkCount(m.uptimeMs, `${f}.uptimeMs`);
      checkCode(m.agentVersion, `${f}.agentVersion`);
      checkCount(m.configVersionApplied, `${f}.configVersionApplied`);
      checkCount(m.memoryRssBytes, `${f}.memoryRssBytes`);
    },
  ),
  [P.PAYLOAD_TYPE_ENROLMENT_REQUEST]: spec(
    P.PAYLOAD_TYPE_ENROLMENT_REQUEST,
    'EnrolmentRequest',
    null,
    'station',
    false,
    v1.EnrolmentRequest,
    (m, f) => {
      if (!isValidStationId(m.stationId)) badField(`${f}.stationId`, 'must be 1..32 of [A-Za-z0-9_-]');
      checkCode(m.orgCode, `${f}.orgCode`);
      checkKeyId(m.keyId, `${f}.keyId`);
      checkBytes(m.publicKeySpkiDer, `${f}.publicKeySpkiDer`, 1, publicKeySpkiBytesMax);
      checkCode(m.tokenSerial, `${f}.tokenSerial`, false);
      checkCode(m.tokenLabel, `${f}.tokenLabel`, false);
      checkCode(m.agentVersion, `${f}.agentVersion`);
    },
  ),
};

/** A release slot name as `hq release publish` records it: "<semver>-linux-<arch>" or a bare semver. */
export const releaseVersionPattern = /^\d{1,9}\.\d{1,9}\.\d{1,9}(-[A-Za-z0-9.]{1,32})?(-linux-(arm64|x64))?$/;

function checkReleaseVersion(value: string, field: string): void {
  if (typeof value !== 'string' || !releaseVersionPattern.test(value))
    badField(field, 'must be <major>.<minor>.<patch>[-linux-<arch>]');
}

/** Issue 13: an update offer is refused at the edge unless every field is well formed. */
function checkOtaOffer(m: bianmin.v1.IOtaOffer, f: string): void {
  checkId(m.rolloutId ?? '', `${f}.rolloutId`);
  checkReleaseVersion(m.releaseVersion ?? '', `${f}.releaseVersion`);
  checkSha256Hex(m.manifestSha256 ?? '', `${f}.manifestSha256`);
  checkCount(Number(m.packBytes ?? 0), `${f}.packBytes`, 1);
  const url = m.fetchUrl ?? '';
  if (url.length > otaFetchUrlCharsMax || !/^https?:\/\/[\x21-\x7e]+$/.test(url))
    badField(`${f}.fetchUrl`, `must be an http(s) URL of at most ${otaFetchUrlCharsMax} characters`);
  checkCount(Number(m.offerSeq ?? 0), `${f}.offerSeq`, 1);
  const notBefore = Number(m.switchNotBeforeMs ?? 0);
  const notAfter = Number(m.switchNotAfterMs ?? 0);
  checkInstantMs(notBefore, `${f}.switchNotBeforeMs`, false);
  checkInstantMs(notAfter, `${f}.switchNotAfterMs`, false);
  if (notAfter !== 0 && notAfter <= notBefore)
    badField(`${f}.switchNotAfterMs`, 'must be after switchNotBeforeMs');
}

/** The spec of a payload type; throws WIRE_UNKNOWN_PAYLOAD_TYPE for UNSPECIFIED or unknown values. */
export function payloadSpec(type: number): PayloadSpec<KnownPayloadType> {
  const found = Object.hasOwn(payloadSpecs, type) ? payloadSpecs[type as KnownPayloadType] : undefined;
  if (found === undefined) {
    throw new WireError('WIRE_UNKNOWN_PAYLOAD_TYPE', 'unknown or unspecified payload type', { type });
  }
  return found as PayloadSpec<KnownPayloadType>;
}

/** Every payload type this version knows. */
export const knownPayloadTypes: readonly KnownPayloadType[] = Object.keys(payloadSpecs).map(
  (key) => Number(key) as KnownPayloadType,
);

/** Decodes and checks SignedHeader.body as the message `type` names. Throws WireError. */
export function decodePayload<T extends KnownPayloadType>(type: T, body: Uint8Array): PayloadMap[T] {
  const found = payloadSpec(type) as unknown as PayloadSpec<T>;
  if (body.length > bodyBytesMax) {
    throw new WireError('WIRE_TOO_LARGE', 'payload body too large', {
      size: body.length,
      sizeMax: bodyBytesMax,
    });
  }
  const message = decodeOrThrow(() => found.codec.decode(body), found.name);
  checkShape(message, 'body');
  found.check(message, 'body');
  return message;
}

/**
 * Encodes a payload of `type` and checks it exactly as a receiver would (encode, then decode and
 * check), so a sender cannot put on the wire what the other side will refuse.
 */
export function encodePayload<T extends KnownPayloadType>(type: T, message: PayloadInput<T>): Uint8Array {
  const found = payloadSpec(type) as unknown as PayloadSpec<T>;
  // Before encoding: protobufjs would silently truncate 12.5 fen to 12 (R1), or wrap 2^64.
  checkShape(message, 'body');
  let bytes: Uint8Array;
  try {
    bytes = found.codec.encode(message).finish();
  } catch (error) {
    throw new WireError('WIRE_BAD_FIELD', `${found.name}: cannot encode`, { field: 'body' }, error);
  }
  decodePayload(type, bytes);
  return bytes;
}
