// A simulated kiosk's signing side: its own P-256 key (standing in for the UK key), its journal
// sequence, the chain link to the envelope it sealed before (SignedHeader.prev_envelope_sha256, as
// today's kiosks send), and one function per envelope it sends. Sealing is done ahead of time for
// the whole planned day (kiosk.ts); when the day leaves the plan (an authorisation declined or
// never answered) the kiosk re-seals the rest from that point with the same key.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { WITHDRAWAL_FEE_FEN_STANDARD } from '@bianmin/core-ledger';
import {
  encodePinBlockFormat4,
  fingerprint,
  type KnownPayloadType,
  maskPan,
  newEventId,
  type PayloadInput,
  PayloadType,
  publicKeySpkiDer,
  sealEnvelope,
} from '@bianmin/wire';
import { cardToken } from '../../packages/hq-gateway/test/helpers/station-sim.js';

/** The Shanghai business date (YYYY-MM-DD) of an instant: R7 days run on Beijing time. */
export function shanghaiDate(atMs: number): string {
  return new Date(atMs + 8 * 3_600_000).toISOString().slice(0, 10);
}

export interface SealedEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly bytes: Uint8Array;
  /** Hex SHA-256 of the bytes: what HQ stores as envelope_sha256. */
  readonly sha256Hex: string;
}

export class StationSealer {
  readonly stationId: string;
  readonly orgCode: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
  /** The next journal seq. */
  nextSeq = 1;
  #prevSha256: Uint8Array | undefined;

  constructor(stationId: string) {
    this.stationId = stationId;
    this.orgCode = `ORG${stationId}`;
    this.privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    this.publicKeyPem = String(createPublicKey(this.privateKey).export({ format: 'pem', type: 'spki' }));
    this.keyId = fingerprint(publicKeySpkiDer(this.publicKeyPem));
  }

  /** Rewind to `seq` with `prevSha256` as the chain link (re-sealing after the day left the plan). */
  rewind(seq: number, prevSha256: Uint8Array | undefined): void {
    if (!(Number.isSafeInteger(seq) && seq >= 1)) throw new Error('assert: rewind to seq >= 1');
    this.nextSeq = seq;
    this.#prevSha256 = prevSha256;
  }

  /** A journaled event: the next seq, chained to the one before. */
  journaled<T extends KnownPayloadType>(type: T, body: PayloadInput<T>, createdAtMs: number): SealedEvent {
    if (!(type < 20)) throw new Error('assert: journaled types are below 20');
    const seq = this.nextSeq;
    const eventId = newEventId();
    const bytes = sealEnvelope(
      {
        stationId: this.stationId,
        keyId: this.keyId,
        seq,
        eventId,
        createdAtMs,
        type,
        body,
        ...(this.#prevSha256 === undefined ? {} : { prevEnvelopeSha256: this.#prevSha256 }),
      },
      this.privateKey,
    );
    const digest = new Uint8Array(createHash('sha256').update(bytes).digest());
    this.#prevSha256 = digest;
    this.nextSeq += 1;
    return { seq, eventId, bytes, sha256Hex: Buffer.from(digest).toString('hex') };
  }

  /** A message outside the journal (seq 0): authorisation request, birth, death, telemetry. */
  unjournaled<T extends KnownPayloadType>(type: T, body: PayloadInput<T>, createdAtMs: number): Uint8Array {
    if (!(type >= 20)) throw new Error('assert: unjournaled types are 20 and above');
    return sealEnvelope(
      {
        stationId: this.stationId,
        keyId: this.keyId,
        seq: 0,
        eventId: newEventId(),
        createdAtMs,
        type,
        body,
      },
      this.privateKey,
    );
  }

  quotaApplied(purchaseId: string, amountFen: number, quotaFenAfter: number, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED,
      {
        purchaseId,
        amountFen,
        quotaFenAfter,
        configVersion: 1,
        appliedAtMs: atMs,
        businessDate: shanghaiDate(atMs),
      },
      atMs,
    );
  }

  billPayment(amountFen: number, quotaFenAfter: number, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
      {
        transactionId: `bp-${randomUUID()}`,
        billerKind: 2,
        billerCode: 'SGCC',
        accountNumber: '0012345678',
        amountFen,
        quotaFenAfter,
        receiptNumber: `R-${randomUUID().slice(0, 18)}`,
        paidAtMs: atMs,
        businessDate: shanghaiDate(atMs),
        feeFen: 0,
        feeScheduleVersion: 1,
      },
      atMs,
    );
  }

  mobileTopUp(amountFen: number, quotaFenAfter: number, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP,
      {
        transactionId: `tu-${randomUUID()}`,
        phoneNumber: '13900000000',
        carrier: 'CMCC',
        amountFen,
        quotaFenAfter,
        receiptNumber: `R-${randomUUID().slice(0, 18)}`,
        toppedUpAtMs: atMs,
        businessDate: shanghaiDate(atMs),
        feeFen: 0,
        feeScheduleVersion: 1,
      },
      atMs,
    );
  }

  authRequest(
    input: WithdrawalIds & { pin: string; tpk: Uint8Array; expiresAtMs: number },
    atMs: number,
  ): Uint8Array {
    return this.unjournaled(
      PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST,
      {
        requestId: input.requestId,
        transactionId: input.transactionId,
        pan: input.pan,
        pinBlock: encodePinBlockFormat4({ pin: input.pin, pan: input.pan, key: input.tpk }),
        pinBlockFormat: 4,
        tpkKeyId: 'tpk-test',
        card: { maskedPan: maskPan(input.pan), cardToken: cardToken(input.pan) },
        amountFen: input.amountFen,
        feeFen: WITHDRAWAL_FEE_FEN_STANDARD,
        feeScheduleVersion: 1,
        expiresAtMs: input.expiresAtMs,
      },
      atMs,
    );
  }

  withdrawalAuthorised(ids: WithdrawalIds, bankReference: string, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED,
      {
        ...common(ids, atMs),
        card: card(ids.pan),
        bankReference,
        feeScheduleVersion: 1,
        authorisedAtMs: atMs,
        holdExpiresAtMs: 0,
      },
      atMs,
    );
  }

  withdrawalPosted(ids: WithdrawalIds, bankReference: string, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED,
      {
        ...common(ids, atMs),
        card: card(ids.pan),
        bankReference,
        receiptNumber: `R-${randomUUID().slice(0, 18)}`,
        postedAtMs: atMs,
      },
      atMs,
    );
  }

  /** No answer in time (R5): reverse whatever the bank may hold; reason 1 = timeout. */
  withdrawalReversed(ids: WithdrawalIds, atMs: number): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED,
      { ...common(ids, atMs), card: card(ids.pan), bankReference: '', reason: 1, reversedAtMs: atMs },
      atMs,
    );
  }

  withdrawalDeclined(
    ids: WithdrawalIds,
    declineReason: number,
    bankResponseCode: string,
    atMs: number,
  ): SealedEvent {
    return this.journaled(
      PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED,
      {
        transactionId: ids.transactionId,
        requestId: ids.requestId,
        card: card(ids.pan),
        amountFen: ids.amountFen,
        declineReason,
        bankResponseCode,
        declinedAtMs: atMs,
        businessDate: shanghaiDate(atMs),
      },
      atMs,
    );
  }

  birth(bdSeq: number, lastJournalSeq: number, atMs: number): Uint8Array {
    return this.unjournaled(
      PayloadType.PAYLOAD_TYPE_BIRTH,
      {
        bdSeq,
        agentVersion: 'fleet-sim',
        orgCode: this.orgCode,
        configVersionApplied: 1,
        lastJournalSeq,
        oldestUnackedSeq: 0,
        outboxDepth: 0,
        bootedAtMs: atMs,
        peripherals: [],
        tokenState: 1,
      },
      atMs,
    );
  }

  death(bdSeq: number, atMs: number): Uint8Array {
    return this.unjournaled(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq }, atMs);
  }

  telemetry(bdSeq: number, lastJournalSeq: number, quotaFenAvailable: number, atMs: number): Uint8Array {
    return this.unjournaled(
      PayloadType.PAYLOAD_TYPE_TELEMETRY,
      {
        bdSeq,
        peripherals: [],
        tokenState: 1,
        outboxDepth: 0,
        oldestUnackedSeq: 0,
        lastJournalSeq,
        diskFreeBytes: 8_000_000_000,
        quotaFenAvailable,
        uptimeMs: 1,
        agentVersion: 'fleet-sim',
        configVersionApplied: 1,
        memoryRssBytes: 50_000_000,
        refusingCodes: [],
        diskReserveBytes: 100_000_000,
      },
      atMs,
    );
  }
}

export interface WithdrawalIds {
  readonly requestId: string;
  readonly transactionId: string;
  readonly pan: string;
  readonly amountFen: number;
}

function card(pan: string): { maskedPan: string; cardToken: string } {
  return { maskedPan: maskPan(pan), cardToken: cardToken(pan) };
}

function common(ids: WithdrawalIds, atMs: number) {
  return {
    transactionId: ids.transactionId,
    requestId: ids.requestId,
    amountFen: ids.amountFen,
    feeFen: WITHDRAWAL_FEE_FEN_STANDARD,
    businessDate: shanghaiDate(atMs),
  };
}
