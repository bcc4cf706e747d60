// Shared test data: one valid payload of every known type, and keys. Not a test file itself.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  fingerprint,
  type KnownPayloadType,
  type PayloadInputMap,
  PayloadType,
  payloadSpec,
  publicKeySpkiDer,
  type SignedInput,
  v1,
} from '../src/index.js';

const at = 1_764_300_000_000; // 2025-11-28T03:20:00Z
const card = { maskedPan: '622848******5678', cardToken: 'ct-9f2c61d0a4' };
const hash = (char: string): string => char.repeat(64);

export const samplePayloads: { [T in KnownPayloadType]: PayloadInputMap[T] } = {
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED]: {
    transactionId: 'tx-1',
    requestId: 'rq-1',
    card,
    amountFen: 50_000,
    feeFen: 100,
    bankReference: 'BR-0001',
    feeScheduleVersion: 1,
    authorisedAtMs: at,
    holdExpiresAtMs: at + 600_000,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED]: {
    transactionId: 'tx-1',
    requestId: 'rq-1',
    card,
    amountFen: 50_000,
    feeFen: 100,
    bankReference: 'BR-0001',
    receiptNumber: 'RC-ST0001-000001',
    postedAtMs: at + 30_000,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED]: {
    transactionId: 'tx-2',
    requestId: 'rq-2',
    amountFen: 20_000,
    feeFen: 100,
    bankReference: 'BR-0002',
    reason: v1.VoidReason.VOID_REASON_CUSTOMER_CANCELLED,
    voidedAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED]: {
    transactionId: 'tx-3',
    requestId: 'rq-3',
    card,
    amountFen: 10_000,
    feeFen: 100,
    bankReference: '',
    reason: v1.ReversalReason.REVERSAL_REASON_TIMEOUT,
    reversedAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_BILL_PAYMENT]: {
    transactionId: 'tx-4',
    billerKind: v1.BillerKind.BILLER_KIND_ELECTRICITY,
    billerCode: 'SGCC-SH',
    accountNumber: '0012345678',
    amountFen: 12_345,
    quotaFenAfter: 987_655,
    receiptNumber: 'RC-ST0001-000002',
    feeFen: 0,
    feeScheduleVersion: 1,
    paidAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP]: {
    transactionId: 'tx-5',
    phoneNumber: '13800138000',
    carrier: 'CMCC',
    amountFen: 5_000,
    quotaFenAfter: 982_655,
    receiptNumber: 'RC-ST0001-000003',
    feeFen: 0,
    feeScheduleVersion: 1,
    toppedUpAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED]: {
    purchaseId: 'qp-1',
    amountFen: 50_000,
    quotaFenAfter: 1_032_655,
    configVersion: 7,
    appliedAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_DAILY_CLOSE]: {
    businessDate: '2026-11-28',
    totals: [
      {
        kind: v1.TotalsKind.TOTALS_KIND_CASH_WITHDRAWAL,
        count: 1,
        amountFen: 50_000,
        feeFen: 100,
        quotaFenConsumed: 0,
      },
      {
        kind: v1.TotalsKind.TOTALS_KIND_BILL_PAYMENT,
        count: 1,
        amountFen: 12_345,
        feeFen: 0,
        quotaFenConsumed: 12_345,
      },
    ],
    closeHash: hash('a'),
    previousCloseHash: hash('b'),
    firstSeq: 1,
    lastSeq: 9,
    quotaFenOpening: 1_000_000,
    quotaFenClosing: 1_032_655,
    closedAtMs: at,
    closeSequence: 12,
    holdsPendingCount: 0,
  },
  [PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED]: {
    transactionId: 'tx-6',
    requestId: 'rq-6',
    card,
    amountFen: 30_000,
    declineReason: v1.DeclineReason.DECLINE_REASON_WRONG_PIN,
    bankResponseCode: '55',
    declinedAtMs: at,
    businessDate: '2026-11-28',
  },
  [PayloadType.PAYLOAD_TYPE_KEY_ROTATED]: {
    newKeyId: hash('c'),
    newPublicKeySpkiDer: new Uint8Array(91).fill(7),
    rotatedAtMs: at,
    commandId: 'cmd-2',
  },
  [PayloadType.PAYLOAD_TYPE_COMMAND_RESULT]: {
    commandId: 'cmd-1',
    outcome: v1.CommandOutcome.COMMAND_OUTCOME_DONE,
    detail: 'resent 12 events',
    finishedAtMs: at,
  },
  [PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED]: {
    configVersion: 7,
    accepted: true,
    detail: '',
    appliedAtMs: at,
  },
  [PayloadType.PAYLOAD_TYPE_CASH_DECLARED]: {
    businessDate: '2026-11-28',
    closeHash: hash('a'),
    declaration: { cashFenCounted: 123_450, floatFenOpening: 50_000, declaredAtMs: at },
  },
  [PayloadType.PAYLOAD_TYPE_OTA_PROGRESS]: {
    rolloutId: 'R-2026-12',
    releaseVersion: '1.4.0-linux-arm64',
    stage: v1.OtaStage.OTA_STAGE_ROLLED_BACK,
    receivedBytes: 4096,
    totalBytes: 4096,
    reasonCode: 'AGENT_OTA_HEALTH_FAILED',
    detail: 'doctor: broker session refused',
    reportedAtMs: at,
  },
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST]: {
    requestId: 'rq-1',
    transactionId: 'tx-1',
    pan: '6228480012345678',
    pinBlock: new Uint8Array(16).fill(0x5a),
    pinBlockFormat: 4,
    tpkKeyId: 'tpk-2026-01',
    card,
    amountFen: 50_000,
    feeFen: 100,
    feeScheduleVersion: 1,
    expiresAtMs: at + 30_000,
  },
  [PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE]: {
    requestId: 'rq-1',
    transactionId: 'tx-1',
    decision: v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
    declineReason: v1.DeclineReason.DECLINE_REASON_UNSPECIFIED,
    bankResponseCode: '00',
    bankReference: 'BR-0001',
    amountFen: 50_000,
    feeFen: 100,
    respondedAtMs: at + 800,
  },
  [PayloadType.PAYLOAD_TYPE_ACK]: {
    handledThroughSeq: 41,
    refusals: [
      {
        seq: 40,
        eventId: 'ev-40',
        reason: v1.RefusalReason.REFUSAL_REASON_RULE_VIOLATION,
        code: 'R2',
        detail: 'quota would go below zero',
      },
    ],
    highestSeqReceived: 43,
    ackedAtMs: at,
  },
  [PayloadType.PAYLOAD_TYPE_STATION_CONFIG]: {
    configVersion: 7,
    orgCode: '31000123',
    quotaAccountId: 'QA-31000123',
    feeSchedules: [
      {
        version: 1,
        effectiveDate: '2026-01-01',
        announcedAtMs: 0,
        withdrawalFeeFen: 100,
        billPaymentFeeFen: 0,
        mobileTopupFeeFen: 0,
      },
      {
        version: 2,
        effectiveDate: '2027-01-04',
        announcedAtMs: at,
        withdrawalFeeFen: 100,
        billPaymentFeeFen: 0,
        mobileTopupFeeFen: 0,
      },
    ],
    quotaFenBalance: 1_000_000,
    quotaBalanceThroughSeq: 40,
    quotaPurchases: [{ purchaseId: 'qp-1', amountFen: 50_000, purchasedAtMs: at }],
    serviceHours: {
      timeZone: 'Asia/Shanghai',
      opensAtMinute: 480,
      closesAtMinute: 1200,
      maintenanceWindows: [{ startMinute: 840, endMinute: 960 }],
      closedOnHolidays: false,
    },
    limits: {
      withdrawalFenMaxPerTransaction: 300_000,
      withdrawalFenMaxPerCardPerDay: 500_000,
      withdrawalFenMaxPerStationPerDay: 5_000_000,
      withdrawalCountMaxPerCardPerDay: 5,
      billPaymentFenMaxPerTransaction: 500_000,
      topupFenMaxPerTransaction: 50_000,
      authorisationTimeoutMs: 30_000,
      holdExpiryMs: 600_000,
    },
    issuedAtMs: at,
  },
  [PayloadType.PAYLOAD_TYPE_COMMAND]: {
    commandId: 'cmd-1',
    notAfterMs: at + 3_600_000,
    resendFrom: { fromSeq: 12 },
  },
  [PayloadType.PAYLOAD_TYPE_BIRTH]: {
    bdSeq: 3,
    agentVersion: '0.1.0',
    orgCode: '31000123',
    configVersionApplied: 7,
    lastJournalSeq: 43,
    oldestUnackedSeq: 42,
    outboxDepth: 2,
    bootedAtMs: at,
    peripherals: [
      { kind: v1.PeripheralKind.PERIPHERAL_KIND_CARD_READER, state: v1.PeripheralState.PERIPHERAL_STATE_OK },
      {
        kind: v1.PeripheralKind.PERIPHERAL_KIND_PIN_PAD,
        state: v1.PeripheralState.PERIPHERAL_STATE_DISCONNECTED,
        detail: 'EIO on /dev/ttyUSB1',
        sinceMs: at - 1_000,
      },
    ],
    tokenState: v1.TokenState.TOKEN_STATE_READY,
  },
  [PayloadType.PAYLOAD_TYPE_DEATH]: { bdSeq: 3 },
  [PayloadType.PAYLOAD_TYPE_TELEMETRY]: {
    bdSeq: 3,
    peripherals: [
      { kind: v1.PeripheralKind.PERIPHERAL_KIND_TOKEN, state: v1.PeripheralState.PERIPHERAL_STATE_OK },
    ],
    tokenState: v1.TokenState.TOKEN_STATE_READY,
    outboxDepth: 2,
    oldestUnackedSeq: 42,
    lastJournalSeq: 43,
    diskFreeBytes: 12_884_901_888,
    quotaFenAvailable: 982_655,
    uptimeMs: 86_400_000,
    agentVersion: '0.1.0',
    configVersionApplied: 7,
    memoryRssBytes: 73_400_320,
  },
  [PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST]: {
    stationId: 'ST0001',
    orgCode: '31000123',
    keyId: hash('d'),
    publicKeySpkiDer: new Uint8Array(91).fill(9),
    tokenSerial: 'SN0042',
    tokenLabel: 'ST0001',
    agentVersion: '0.1.0',
  },
};

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, keyId: fingerprint(publicKeySpkiDer(publicKey)) };
}

/** A valid SignedInput of `type` for station ST0001, with seq 1 for journaled events and 0 otherwise. */
export function sampleInput<T extends KnownPayloadType>(type: T, keyId: string, seq = 1): SignedInput<T> {
  return {
    stationId: 'ST0001',
    keyId,
    seq: payloadSpec(type).journaled ? seq : 0,
    eventId: `ev-${type}-${seq}`,
    createdAtMs: at,
    type,
    body: samplePayloads[type],
  };
}

/** Replaces Uint8Arrays by hex and drops prototypes, for deep comparison. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}
