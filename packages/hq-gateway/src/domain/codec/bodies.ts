// Decoded protobuf bodies -> HQ's records (domain/types.ts): journaled event bodies into the
// stored StationEvent, authorisation requests and status messages into plain fields. Pure
// translation: no I/O (hashing only). The business date of an event that names none is the
// Shanghai date of its creation (core-ledger's arithmetic, via domain/network/deadlines.ts).
import { hash } from 'node:crypto';
import { type bianmin, type OpenedEnvelope, v1 } from '@bianmin/wire';
import { assert } from '../assert.js';
import { shanghaiDate } from '../network/deadlines.js';
import type { BusinessType, EventKind, PeripheralHealth, StationEvent } from '../types.js';
import { CodecFailure, describe } from './envelope.js';

const P = v1.PayloadType;

export const eventKindByPayloadType: ReadonlyMap<number, EventKind> = new Map<number, EventKind>([
  [P.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED, 'WITHDRAWAL_AUTHORISED'],
  [P.PAYLOAD_TYPE_WITHDRAWAL_POSTED, 'WITHDRAWAL_POSTED'],
  [P.PAYLOAD_TYPE_WITHDRAWAL_VOIDED, 'WITHDRAWAL_VOIDED'],
  [P.PAYLOAD_TYPE_WITHDRAWAL_REVERSED, 'WITHDRAWAL_REVERSED'],
  [P.PAYLOAD_TYPE_WITHDRAWAL_DECLINED, 'WITHDRAWAL_DECLINED'],
  [P.PAYLOAD_TYPE_BILL_PAYMENT, 'BILL_PAYMENT'],
  [P.PAYLOAD_TYPE_MOBILE_TOPUP, 'MOBILE_TOPUP'],
  [P.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED, 'QUOTA_PURCHASE_APPLIED'],
  [P.PAYLOAD_TYPE_DAILY_CLOSE, 'DAILY_CLOSE'],
  [P.PAYLOAD_TYPE_KEY_ROTATED, 'KEY_ROTATED'],
  [P.PAYLOAD_TYPE_COMMAND_RESULT, 'COMMAND_RESULT'],
  [P.PAYLOAD_TYPE_CONFIG_APPLIED, 'CONFIG_APPLIED'],
  [P.PAYLOAD_TYPE_CASH_DECLARED, 'CASH_DECLARED'],
  [P.PAYLOAD_TYPE_OTA_PROGRESS, 'OTA_PROGRESS'],
]);

const businessTypeByEnum: ReadonlyMap<number, BusinessType> = new Map<number, BusinessType>([
  [v1.BusinessType.BUSINESS_TYPE_CASH_WITHDRAWAL, 'CASH_WITHDRAWAL'],
  [v1.BusinessType.BUSINESS_TYPE_BILL_PAYMENT, 'BILL_PAYMENT'],
  [v1.BusinessType.BUSINESS_TYPE_MOBILE_TOPUP, 'MOBILE_TOPUP'],
  [v1.BusinessType.BUSINESS_TYPE_INSURANCE, 'INSURANCE'],
  [v1.BusinessType.BUSINESS_TYPE_DISTRIBUTION, 'DISTRIBUTION'],
]);

export function businessTypeName(value: number): BusinessType | null {
  assert(typeof value === 'number', 'businessTypeName: a proto enum is a number');
  return businessTypeByEnum.get(value) ?? null;
}

export function businessTypeEnum(name: BusinessType): number {
  assert(businessTypeByEnum.size === 5, 'businessTypeEnum: the five business types of DOMAIN.md');
  for (const [value, known] of businessTypeByEnum) if (known === name) return value;
  throw new Error(`unknown business type ${name}`);
}

const totalsKinds = [
  null,
  'CASH_WITHDRAWAL',
  'BILL_PAYMENT',
  'MOBILE_TOPUP',
  'INSURANCE',
  'DISTRIBUTION',
  'REVERSAL',
  'QUOTA_PURCHASE',
] as const;

/** proto TotalsKind -> core-ledger's totals kind name (null when unspecified or unknown). */
export function totalsKindName(value: number): string | null {
  assert(typeof value === 'number', 'totalsKindName: a proto enum is a number');
  return totalsKinds[value] ?? null;
}

interface BodyFields {
  businessType: BusinessType | null;
  transactionId: string | null;
  amountFen: number;
  feeFen: number;
  quotaFenAfter: number | null;
  businessDate: string;
  detail: Record<string, unknown>;
}

/** Decode an event body into the stored record. Never copies a PAN or PIN block (R24). */
export function toStationEvent(
  opened: OpenedEnvelope,
  envelopeBytes: Uint8Array,
  envelopeSha256Hex?: string,
): StationEvent {
  const header = opened.header;
  const kind = eventKindByPayloadType.get(header.type);
  if (kind === undefined) throw new CodecFailure('HQ_PAYLOAD_TYPE_UNEXPECTED', `payload type ${header.type}`);
  let fields: BodyFields;
  try {
    fields = decodeEventBody(kind, opened.body, header.createdAtMs);
  } catch (error) {
    throw new CodecFailure('HQ_BODY_DECODE_FAILED', describe(error), { cause: error });
  }
  if (!(Number.isSafeInteger(fields.amountFen) && fields.amountFen >= 0))
    throw new CodecFailure('HQ_BODY_DECODE_FAILED', 'amountFen (R1)');
  if (!(Number.isSafeInteger(fields.feeFen) && fields.feeFen >= 0))
    throw new CodecFailure('HQ_BODY_DECODE_FAILED', 'feeFen (R1)');
  assert(fields.amountFen + fields.feeFen >= 0, 'toStationEvent: money is checked whole fen (R1)');
  // One plain literal (no spread) and the one-shot hash: this runs once per ingested event.
  return {
    eventId: header.eventId,
    stationId: header.stationId,
    seq: header.seq,
    kind,
    createdAtMs: header.createdAtMs,
    businessType: fields.businessType,
    transactionId: fields.transactionId,
    amountFen: fields.amountFen,
    feeFen: fields.feeFen,
    quotaFenAfter: fields.quotaFenAfter,
    businessDate: fields.businessDate,
    detail: fields.detail,
    envelope: envelopeBytes,
    envelopeSha256: envelopeSha256Hex ?? hash('sha256', envelopeBytes, 'hex'),
  };
}

function withdrawal(
  m: { transactionId?: string | null; amountFen?: number | null; businessDate?: string | null },
  feeFen: number,
  createdAtMs: number,
  detail: Record<string, unknown>,
): BodyFields {
  assert(Number.isSafeInteger(createdAtMs), 'withdrawal: createdAtMs was checked by wire');
  return {
    businessType: 'CASH_WITHDRAWAL',
    transactionId: m.transactionId ?? '',
    amountFen: Number(m.amountFen ?? 0),
    feeFen,
    quotaFenAfter: null,
    businessDate: businessDateOr(m.businessDate, createdAtMs),
    detail,
  };
}

/** A bill payment or top-up: consumes the station's quota (R2) and names the quota left. */
function quotaConsuming(
  businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP',
  m: {
    transactionId?: string | null;
    amountFen?: number | null;
    feeFen?: number | null;
    quotaFenAfter?: number | null;
    businessDate?: string | null;
  },
  createdAtMs: number,
  detail: Record<string, unknown>,
): BodyFields {
  assert(businessType === 'BILL_PAYMENT' || businessType === 'MOBILE_TOPUP', 'quotaConsuming: R2 kinds');
  return {
    businessType,
    transactionId: m.transactionId ?? '',
    amountFen: Number(m.amountFen ?? 0),
    feeFen: Number(m.feeFen ?? 0),
    quotaFenAfter: Number(m.quotaFenAfter ?? 0),
    businessDate: businessDateOr(m.businessDate, createdAtMs),
    detail,
  };
}

const businessDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/** The event's own business date, or the Shanghai date of its creation when it names none. */
function businessDateOr(value: string | null | undefined, createdAtMs: number): string {
  assert(Number.isSafeInteger(createdAtMs), 'businessDateOr: createdAtMs was checked by wire');
  return value !== undefined && value !== null && businessDatePattern.test(value)
    ? value
    : shanghaiDate(createdAtMs);
}

/** The fields of an event that moves no money. */
function moneyless(createdAtMs: number, detail: Record<string, unknown>, businessDate?: string): BodyFields {
  assert(Number.isSafeInteger(createdAtMs), 'moneyless: createdAtMs was checked by wire');
  return {
    businessType: null,
    transactionId: null,
    amountFen: 0,
    feeFen: 0,
    quotaFenAfter: null,
    businessDate: businessDate ?? shanghaiDate(createdAtMs),
    detail,
  };
}

// Runs once per ingested event: plain literals, no spread, no closure, no date formatting unless
// the event names no business date.
function decodeEventBody(kind: EventKind, message: unknown, createdAtMs: number): BodyFields {
  assert(typeof kind === 'string', 'decodeEventBody: the kind comes from the payload-type table');
  switch (kind) {
    case 'WITHDRAWAL_AUTHORISED': {
      const m = message as bianmin.v1.WithdrawalAuthorised;
      return withdrawal(m, Number(m.feeFen ?? 0), createdAtMs, {
        requestId: m.requestId,
        maskedPan: m.card?.maskedPan ?? '',
        cardToken: m.card?.cardToken ?? '',
        bankReference: m.bankReference,
        feeScheduleVersion: m.feeScheduleVersion,
      });
    }
    case 'WITHDRAWAL_POSTED': {
      const m = message as bianmin.v1.WithdrawalPosted;
      return withdrawal(m, Number(m.feeFen ?? 0), createdAtMs, {
        requestId: m.requestId,
        maskedPan: m.card?.maskedPan ?? '',
        cardToken: m.card?.cardToken ?? '',
        receiptNumber: m.receiptNumber,
        bankReference: m.bankReference,
      });
    }
    case 'WITHDRAWAL_VOIDED': {
      const m = message as bianmin.v1.WithdrawalVoided;
      return withdrawal(m, Number(m.feeFen ?? 0), createdAtMs, { requestId: m.requestId, reason: m.reason });
    }
    case 'WITHDRAWAL_REVERSED': {
      const m = message as bianmin.v1.WithdrawalReversed;
      return withdrawal(m, Number(m.feeFen ?? 0), createdAtMs, { requestId: m.requestId, reason: m.reason });
    }
    case 'WITHDRAWAL_DECLINED': {
      const m = message as bianmin.v1.WithdrawalDeclined;
      return withdrawal(m, 0, createdAtMs, {
        requestId: m.requestId,
        declineReason: m.declineReason,
        bankResponseCode: m.bankResponseCode,
      });
    }
    case 'BILL_PAYMENT': {
      const m = message as bianmin.v1.BillPayment;
      return quotaConsuming('BILL_PAYMENT', m, createdAtMs, {
        billerKind: m.billerKind,
        billerCode: m.billerCode,
        accountNumber: m.accountNumber,
        receiptNumber: m.receiptNumber,
      });
    }
    case 'MOBILE_TOPUP': {
      const m = message as bianmin.v1.MobileTopup;
      return quotaConsuming('MOBILE_TOPUP', m, createdAtMs, {
        carrier: m.carrier,
        phoneMasked: maskPhone(m.phoneNumber ?? ''),
        receiptNumber: m.receiptNumber,
      });
    }
    case 'QUOTA_PURCHASE_APPLIED': {
      const m = message as bianmin.v1.QuotaPurchaseApplied;
      return {
        businessType: null,
        transactionId: m.purchaseId ?? '',
        amountFen: Number(m.amountFen ?? 0),
        feeFen: 0,
        quotaFenAfter: Number(m.quotaFenAfter ?? 0),
        businessDate: businessDateOr(m.businessDate, createdAtMs),
        detail: { purchaseId: m.purchaseId, configVersion: Number(m.configVersion ?? 0) },
      };
    }
    case 'DAILY_CLOSE': {
      const m = message as bianmin.v1.DailyClose;
      return moneyless(
        createdAtMs,
        {
          businessDate: m.businessDate,
          totals: (m.totals ?? []).map((t) => ({
            kind: totalsKindName(Number(t.kind ?? 0)),
            count: Number(t.count ?? 0),
            amountFen: Number(t.amountFen ?? 0),
            feeFen: Number(t.feeFen ?? 0),
            quotaFenConsumed: Number(t.quotaFenConsumed ?? 0),
          })),
          closeSequence: Number(m.closeSequence ?? 0),
          holdsPendingCount: Number(m.holdsPendingCount ?? 0),
          closeHash: m.closeHash,
          previousCloseHash: m.previousCloseHash,
          firstSeq: Number(m.firstSeq ?? 0),
          lastSeq: Number(m.lastSeq ?? 0),
          quotaFenOpening: Number(m.quotaFenOpening ?? 0),
          quotaFenClosing: Number(m.quotaFenClosing ?? 0),
          closedAtMs: Number(m.closedAtMs ?? 0),
          // R8: absent = not declared (null), distinct from a count of 0.
          cashDeclared: cashDeclarationDetail(m.cashDeclared),
        },
        businessDateOr(m.businessDate, createdAtMs),
      );
    }
    case 'CASH_DECLARED': {
      const m = message as bianmin.v1.CashDeclared;
      return moneyless(
        createdAtMs,
        {
          businessDate: m.businessDate,
          closeHash: m.closeHash,
          cashDeclared: cashDeclarationDetail(m.declaration),
        },
        businessDateOr(m.businessDate, createdAtMs),
      );
    }
    case 'KEY_ROTATED': {
      const m = message as bianmin.v1.KeyRotated;
      return moneyless(createdAtMs, { newKeyId: m.newKeyId, commandId: m.commandId });
    }
    case 'COMMAND_RESULT': {
      const m = message as bianmin.v1.CommandResult;
      return moneyless(createdAtMs, { commandId: m.commandId, outcome: m.outcome, detail: m.detail });
    }
    case 'OTA_PROGRESS': {
      const m = message as bianmin.v1.OtaProgress;
      return moneyless(createdAtMs, {
        rolloutId: m.rolloutId,
        releaseVersion: m.releaseVersion,
        stage: m.stage,
        receivedBytes: Number(m.receivedBytes ?? 0),
        totalBytes: Number(m.totalBytes ?? 0),
        reasonCode: m.reasonCode,
        detail: m.detail,
      });
    }
    case 'CONFIG_APPLIED': {
      const m = message as bianmin.v1.ConfigApplied;
      return moneyless(createdAtMs, {
        configVersion: Number(m.configVersion ?? 0),
        accepted: m.accepted,
        detail: m.detail,
      });
    }
  }
}

/** A drawer count as HQ stores it in an event's detail (R8); null when not declared. */
function cashDeclarationDetail(
  m: bianmin.v1.ICashDeclaration | null | undefined,
): { cashFenCounted: number; floatFenOpening: number; declaredAtMs: number } | null {
  if (m === null || m === undefined) return null;
  assert(typeof m === 'object', 'cashDeclarationDetail: a decoded message');
  return {
    cashFenCounted: Number(m.cashFenCounted ?? 0),
    floatFenOpening: Number(m.floatFenOpening ?? 0),
    declaredAtMs: Number(m.declaredAtMs ?? 0),
  };
}

export interface AuthRequestFields {
  readonly requestId: string;
  readonly transactionId: string;
  readonly pan: string;
  readonly pinBlock: Uint8Array;
  readonly pinBlockFormat: number;
  /** Which TPK the pad enciphered under: one HQ loaded (load_working_key) or the configured one. */
  readonly tpkKeyId: string;
  readonly amountFen: number;
  readonly feeFen: number;
  readonly feeScheduleVersion: number;
  readonly expiresAtMs: number;
  /** The kiosk's CardRef: masked PAN (first 6, last 4) and opaque card token; never the PAN. */
  readonly maskedPan: string;
  readonly cardToken: string;
}

export function decodeAuthRequest(message: unknown): AuthRequestFields {
  try {
    const m = message as bianmin.v1.AuthorisationRequest;
    return {
      requestId: m.requestId ?? '',
      transactionId: m.transactionId ?? '',
      pan: m.pan ?? '',
      pinBlock: m.pinBlock ?? new Uint8Array(0),
      pinBlockFormat: Number(m.pinBlockFormat ?? 0),
      tpkKeyId: m.tpkKeyId ?? '',
      amountFen: Number(m.amountFen ?? 0),
      feeFen: Number(m.feeFen ?? 0),
      feeScheduleVersion: Number(m.feeScheduleVersion ?? 0),
      expiresAtMs: Number(m.expiresAtMs ?? 0),
      maskedPan: m.card?.maskedPan ?? '',
      cardToken: m.card?.cardToken ?? '',
    };
  } catch (error) {
    throw new CodecFailure('HQ_BODY_DECODE_FAILED', describe(error), { cause: error });
  }
}

const peripheralNames: Record<number, string> = { 1: 'card-reader', 2: 'pin-pad', 3: 'token', 4: 'printer' };

function peripherals(
  list: readonly bianmin.v1.PeripheralStatus.$Properties[] | null | undefined,
): PeripheralHealth[] {
  assert(list === null || list === undefined || Array.isArray(list), 'peripherals: a decoded list');
  return (list ?? []).map((p) => ({
    name: peripheralNames[Number(p.kind ?? 0)] ?? 'unknown',
    ok: Number(p.state ?? 0) === v1.PeripheralState.PERIPHERAL_STATE_OK,
    detail: p.detail ?? '',
  }));
}

export type StatusBody =
  | {
      readonly kind: 'birth';
      readonly bdSeq: number;
      readonly peripherals: PeripheralHealth[];
      readonly outboxDepth: number;
    }
  | { readonly kind: 'death'; readonly bdSeq: number }
  | {
      readonly kind: 'telemetry';
      readonly bdSeq: number;
      readonly peripherals: PeripheralHealth[];
      readonly outboxDepth: number;
      /** The codes the kiosk refuses new business with (untrusted; domain/kiosk-refusals.ts). */
      readonly refusingCodes: readonly string[];
    };

export function decodeStatus(payloadType: number, message: unknown): StatusBody {
  assert(typeof payloadType === 'number', 'decodeStatus: the header type is a number');
  try {
    if (payloadType === P.PAYLOAD_TYPE_BIRTH) {
      const m = message as bianmin.v1.Birth;
      return {
        kind: 'birth',
        bdSeq: Number(m.bdSeq ?? 0),
        peripherals: peripherals(m.peripherals),
        outboxDepth: Number(m.outboxDepth ?? 0),
      };
    }
    if (payloadType === P.PAYLOAD_TYPE_DEATH)
      return { kind: 'death', bdSeq: Number((message as bianmin.v1.Death).bdSeq ?? 0) };
    const m = message as bianmin.v1.Telemetry;
    return {
      kind: 'telemetry',
      bdSeq: Number(m.bdSeq ?? 0),
      peripherals: peripherals(m.peripherals),
      outboxDepth: Number(m.outboxDepth ?? 0),
      refusingCodes: (m.refusingCodes ?? []).slice(0, 16).map(String),
    };
  } catch (error) {
    throw new CodecFailure('HQ_BODY_DECODE_FAILED', describe(error), { cause: error });
  }
}

/** A phone number as HQ keeps it (R24): first 3 and last 4 digits. */
export function maskPhone(phone: string): string {
  assert(typeof phone === 'string', 'maskPhone: text');
  return phone.length <= 7
    ? '*'.repeat(phone.length)
    : `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}
