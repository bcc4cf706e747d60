// A simulated station for HQ tests and the ingest bench: a node-generated P-256 key standing in
// for the kiosk's UK key, events sealed with the wire package exactly as a kiosk seals them, an
// MQTT 3.1.1 connection as the station's own broker user, and the HQ -> kiosk messages it
// receives (acks, authorisation responses, configs, commands) decoded after checking HQ's
// signature. Waiting is event-driven: promises resolve when the awaited message arrives.

import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { WITHDRAWAL_FEE_FEN_STANDARD } from '@bianmin/core-ledger';
import {
  type bianmin,
  channelPublishOptions,
  encodePinBlockFormat4,
  fingerprint,
  type KnownPayloadType,
  kioskSubscription,
  luhnCheckDigit,
  maskPan,
  newEventId,
  openVerifiedEnvelope,
  type PayloadInput,
  PayloadType,
  parseTopic,
  publicKeySpkiDer,
  sealEnvelope,
  type UpChannel,
  upTopic,
} from '@bianmin/wire';
import type { IClientOptions } from 'mqtt';
import { shanghaiDate } from '../../src/domain/network/deadlines.js';
import type { MemoryBroker } from './memory-broker.js';

export { shanghaiDate };

/** The MQTT client is loaded only when a station connects: sealing alone needs no broker. */
type MqttClient = Awaited<ReturnType<typeof import('mqtt')['connectAsync']>>;

export interface SealOptions {
  readonly seq?: number;
  readonly eventId?: string;
  readonly headerStationId?: string;
  readonly key?: KeyObject;
  readonly keyId?: string;
  readonly createdAtMs?: number;
  /**
   * The chain link (SignedHeader.prev_envelope_sha256): default the SHA-256 of the envelope this
   * station sealed for seq - 1 (none for seq 1, or when it sealed none); `null` for no link.
   */
  readonly prevEnvelopeSha256?: Uint8Array | null;
}

export interface Sealed {
  readonly bytes: Uint8Array;
  readonly seq: number;
  readonly eventId: string;
}

export class SimStation extends EventEmitter {
  readonly stationId: string;
  readonly orgCode: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
  nextSeq = 1;
  quotaFen = 0;
  ackedSeq = 0;
  readonly acks: Array<{ handledThroughSeq: number; refusals: number }> = [];
  readonly authResponses = new Map<string, { decision: number; declineReason: number; feeFen: number }>();
  readonly configs: Array<{ configVersion: number; quotaFenBalance: number; purchases: string[] }> = [];
  readonly resendRequests: number[] = [];
  #client: MqttClient | undefined;
  #memory: MemoryBroker | undefined;
  #hqPublicKeyPem: string | undefined;
  /** SHA-256 of the last envelope sealed for each journaled seq (the next seq's chain link). */
  readonly #envelopeSha256BySeq = new Map<number, Uint8Array>();

  constructor(stationId: string, orgCode = `ORG${stationId}`) {
    super();
    this.setMaxListeners(0);
    this.stationId = stationId;
    this.orgCode = orgCode;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const publicKey = createPublicKey(privateKey);
    this.publicKeyPem = String(publicKey.export({ format: 'pem', type: 'spki' }));
    this.keyId = fingerprint(publicKeySpkiDer(publicKey));
  }

  /** The JSON `kiosk provision` prints for `hq station enrol`. */
  enrolmentRequest(): Record<string, unknown> {
    const spki = publicKeySpkiDer(this.publicKeyPem);
    return {
      kind: 'bianmin.kiosk.enrolment-request',
      version: 1,
      createdAt: new Date().toISOString(),
      station: { id: this.stationId, orgCode: this.orgCode },
      devices: {
        cardReader: { model: 'SIM-CR', serialNumber: `CR-${this.stationId}`, firmwareVersion: '1.0' },
        pinPad: { model: 'SIM-PP', serialNumber: `PP-${this.stationId}`, firmwareVersion: '1.0' },
        token: {
          label: 'kiosk',
          serialNumber: `TK-${this.stationId}`,
          model: 'simulated token',
          manufacturer: 'test',
        },
      },
      signingKey: {
        algorithm: 'ECDSA-P256-SHA256',
        keyLabel: 'station-signing',
        publicKeyPem: this.publicKeyPem,
        spkiDerBase64: Buffer.from(spki).toString('base64'),
        fingerprintSha256Hex: this.keyId,
      },
      proof: Buffer.from(this.enrolmentProof()).toString('base64'),
    };
  }

  /**
   * The proof of possession `hq station enrol` requires: an EnrolmentRequest envelope signed by the
   * key it enrols (or by `key`, to forge one), naming `stationId` (default this station's).
   */
  enrolmentProof(options: { key?: KeyObject; stationId?: string; orgCode?: string } = {}): Uint8Array {
    const stationId = options.stationId ?? this.stationId;
    return sealEnvelope(
      {
        stationId,
        keyId: this.keyId,
        seq: 0,
        eventId: newEventId(),
        createdAtMs: Date.now(),
        type: PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST,
        body: {
          stationId,
          orgCode: options.orgCode ?? this.orgCode,
          keyId: this.keyId,
          publicKeySpkiDer: publicKeySpkiDer(this.publicKeyPem),
          tokenSerial: `TK-${this.stationId}`,
          tokenLabel: 'kiosk',
          agentVersion: 'sim',
        },
      },
      options.key ?? this.privateKey,
    );
  }

  seal<T extends KnownPayloadType>(type: T, body: PayloadInput<T>, options: SealOptions = {}): Sealed {
    const journaled = type < 20;
    const seq = options.seq ?? (journaled ? this.nextSeq : 0);
    if (journaled && options.seq === undefined) this.nextSeq += 1;
    const eventId = options.eventId ?? newEventId();
    const prev =
      options.prevEnvelopeSha256 === undefined
        ? journaled && seq > 1
          ? this.#envelopeSha256BySeq.get(seq - 1)
          : undefined
        : (options.prevEnvelopeSha256 ?? undefined);
    const bytes = sealEnvelope(
      {
        stationId: options.headerStationId ?? this.stationId,
        keyId: options.keyId ?? this.keyId,
        seq,
        eventId,
        createdAtMs: options.createdAtMs ?? Date.now(),
        type,
        body,
        ...(prev === undefined ? {} : { prevEnvelopeSha256: prev }),
      },
      options.key ?? this.privateKey,
    );
    // Only what this station itself signs becomes a link (a forgery made with another key is not).
    if (journaled && options.key === undefined)
      this.#envelopeSha256BySeq.set(seq, new Uint8Array(createHash('sha256').update(bytes).digest()));
    return { bytes, seq, eventId };
  }

  billPayment(amountFen: number, options: SealOptions & { quotaFenAfter?: number } = {}): Sealed {
    const quotaFenAfter = options.quotaFenAfter ?? this.quotaFen - amountFen;
    if (options.quotaFenAfter === undefined) this.quotaFen = quotaFenAfter;
    const atMs = options.createdAtMs ?? Date.now();
    return this.seal(
      PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
      {
        transactionId: `bp-${randomUUID()}`,
        billerKind: 2,
        billerCode: 'SGCC',
        accountNumber: '0012345678',
        amountFen,
        quotaFenAfter: Math.max(0, quotaFenAfter),
        receiptNumber: `R-${randomUUID().slice(0, 18)}`,
        paidAtMs: atMs,
        businessDate: shanghaiDate(atMs),
        feeFen: 0,
        feeScheduleVersion: 1,
      },
      { ...options, createdAtMs: atMs },
    );
  }

  quotaApplied(purchaseId: string, amountFen: number, configVersion = 1, options: SealOptions = {}): Sealed {
    this.quotaFen += amountFen;
    const atMs = Date.now();
    return this.seal(
      PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED,
      {
        purchaseId,
        amountFen,
        quotaFenAfter: this.quotaFen,
        configVersion,
        appliedAtMs: atMs,
        businessDate: shanghaiDate(atMs),
      },
      options,
    );
  }

  authRequest(input: {
    requestId: string;
    transactionId: string;
    pan: string;
    pin: string;
    tpk: Uint8Array;
    amountFen: number;
    feeFen?: number;
    expiresAtMs?: number;
    /** The kiosk's clock when it signs (default now): a kiosk whose clock is off. */
    createdAtMs?: number;
  }): Sealed {
    return this.seal(
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
        feeFen: input.feeFen ?? WITHDRAWAL_FEE_FEN_STANDARD,
        feeScheduleVersion: 1,
        expiresAtMs: input.expiresAtMs ?? Date.now() + 60_000,
      },
      input.createdAtMs === undefined ? {} : { createdAtMs: input.createdAtMs },
    );
  }

  withdrawalEvent(
    kind: 'authorised' | 'posted' | 'reversed' | 'voided',
    input: {
      requestId: string;
      transactionId: string;
      pan: string;
      amountFen: number;
      feeFen?: number;
      bankReference?: string;
    },
  ): Sealed {
    const atMs = Date.now();
    const card = { maskedPan: maskPan(input.pan), cardToken: cardToken(input.pan) };
    const common = {
      transactionId: input.transactionId,
      requestId: input.requestId,
      amountFen: input.amountFen,
      feeFen: input.feeFen ?? WITHDRAWAL_FEE_FEN_STANDARD,
      businessDate: shanghaiDate(atMs),
    };
    switch (kind) {
      case 'authorised':
        return this.seal(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED, {
          ...common,
          card,
          bankReference: input.bankReference ?? 'ref',
          feeScheduleVersion: 1,
          authorisedAtMs: atMs,
          holdExpiresAtMs: 0,
        });
      case 'posted':
        return this.seal(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, {
          ...common,
          card,
          bankReference: input.bankReference ?? 'ref',
          receiptNumber: `R-${randomUUID().slice(0, 18)}`,
          postedAtMs: atMs,
        });
      case 'voided':
        return this.seal(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED, {
          ...common,
          bankReference: input.bankReference ?? '',
          reason: 1,
          voidedAtMs: atMs,
        });
      case 'reversed':
        return this.seal(PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED, {
          ...common,
          card,
          bankReference: input.bankReference ?? '',
          reason: 1,
          reversedAtMs: atMs,
        });
    }
  }

  /** `tls`: more connect options for the broker's TLS listener (CA, client certificate). */
  async connect(
    url: string,
    password: string,
    hqPublicKeyPem: string,
    tls: IClientOptions = {},
  ): Promise<void> {
    this.#hqPublicKeyPem = hqPublicKeyPem;
    const mqtt = await import('mqtt');
    const client = await mqtt.connectAsync(url, {
      ...tls,
      protocolVersion: 4,
      clientId: this.stationId,
      username: this.stationId,
      password,
      // A persistent session, like the kiosk: the broker keeps the subscription across restarts.
      clean: false,
      reconnectPeriod: 200,
    });
    this.#client = client;
    client.on('connect', () => this.emit('connected'));
    client.on('message', (topic, payload) => this.#onMessage(topic, new Uint8Array(payload)));
    await client.subscribeAsync(kioskSubscription(this.stationId), { qos: 1 });
  }

  /** Connect through an in-process broker (helpers/memory-broker.ts) instead of MQTT. */
  attach(broker: MemoryBroker, hqPublicKeyPem: string): void {
    this.#hqPublicKeyPem = hqPublicKeyPem;
    this.#memory = broker;
    broker.attachStation(this.stationId, (topic, payload) => this.#onMessage(topic, payload));
    this.emit('connected');
  }

  async publish(channel: UpChannel, bytes: Uint8Array, topicStationId = this.stationId): Promise<void> {
    if (this.#memory !== undefined) {
      await this.#memory.publishUp(upTopic(topicStationId, channel), bytes);
      return;
    }
    const client = this.#client;
    if (client === undefined) throw new Error('not connected');
    await client.publishAsync(
      upTopic(topicStationId, channel),
      Buffer.from(bytes),
      channelPublishOptions[channel],
    );
  }

  /** Resolves once HQ acknowledged everything up to `seq`. */
  async waitForAck(seq: number): Promise<void> {
    while (this.ackedSeq < seq) await new Promise((resolve) => this.once('ack', resolve));
  }

  async waitForAuth(requestId: string): Promise<{ decision: number; declineReason: number; feeFen: number }> {
    for (;;) {
      const response = this.authResponses.get(requestId);
      if (response !== undefined) return response;
      await new Promise((resolve) => this.once('auth', resolve));
    }
  }

  /** R24: the working keys HQ sent (wrapped under the TMK), as a PIN pad would receive them. */
  readonly workingKeys: { tpkKeyId: string; tpkUnderTmk: Uint8Array; kcv: string; commandId: string }[] = [];

  /** Issue 13: the release offers HQ sent (verified under HQ's key like every command). */
  readonly otaOffers: { commandId: string; offer: bianmin.v1.IOtaOffer }[] = [];

  async waitForOtaOffers(count: number): Promise<void> {
    while (this.otaOffers.length < count) await new Promise((resolve) => this.once('ota-offer', resolve));
  }

  async waitForWorkingKey(count: number): Promise<void> {
    while (this.workingKeys.length < count) await new Promise((resolve) => this.once('working-key', resolve));
  }

  async waitForConfig(count: number): Promise<void> {
    while (this.configs.length < count) await new Promise((resolve) => this.once('config', resolve));
  }

  async waitForAckCount(count: number): Promise<void> {
    while (this.acks.length < count) await new Promise((resolve) => this.once('ack', resolve));
  }

  #onMessage(topic: string, payload: Uint8Array): void {
    const hqKey = this.#hqPublicKeyPem;
    if (hqKey === undefined) return;
    const channel = parseTopic(topic).channel;
    const opened = openVerifiedEnvelope(payload, () => hqKey);
    if (opened.type === PayloadType.PAYLOAD_TYPE_ACK) {
      const ack = opened.body;
      this.acks.push({ handledThroughSeq: ack.handledThroughSeq, refusals: ack.refusals.length });
      this.ackedSeq = Math.max(this.ackedSeq, ack.handledThroughSeq);
      this.emit('ack', ack.handledThroughSeq);
    } else if (opened.type === PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE) {
      const r = opened.body;
      this.authResponses.set(r.requestId, {
        decision: r.decision,
        declineReason: r.declineReason,
        feeFen: r.feeFen,
      });
      this.emit('auth', r.requestId);
    } else if (opened.type === PayloadType.PAYLOAD_TYPE_STATION_CONFIG) {
      const c = opened.body;
      this.configs.push({
        configVersion: c.configVersion,
        quotaFenBalance: c.quotaFenBalance,
        purchases: c.quotaPurchases.map((p) => p.purchaseId ?? ''),
      });
      this.emit('config', c.configVersion);
    } else if (opened.type === PayloadType.PAYLOAD_TYPE_COMMAND) {
      const fromSeq = opened.body.resendFrom?.fromSeq;
      if (fromSeq !== undefined && fromSeq !== null) {
        this.resendRequests.push(fromSeq);
        this.emit('resend', fromSeq);
      }
      const offer = opened.body.otaOffer;
      if (offer !== undefined && offer !== null) {
        this.otaOffers.push({ commandId: opened.body.commandId, offer });
        this.emit('ota-offer', offer.rolloutId);
      }
      const key = opened.body.loadWorkingKey;
      if (key !== undefined && key !== null) {
        this.workingKeys.push({
          tpkKeyId: key.tpkKeyId ?? '',
          tpkUnderTmk: key.tpkUnderTmk ?? new Uint8Array(),
          kcv: key.kcv ?? '',
          commandId: opened.body.commandId ?? '',
        });
        this.emit('working-key', key.tpkKeyId);
      }
    }
    void channel;
  }

  get connected(): boolean {
    return this.#memory !== undefined || (this.#client?.connected ?? false);
  }

  async close(): Promise<void> {
    this.#memory?.detachStation(this.stationId);
    this.#memory = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await client.endAsync(true);
  }
}

/** An opaque per-card token (never the PAN, R24). */
export function cardToken(pan: string): string {
  return `tok-${createHash('sha256').update(pan).digest('hex').slice(0, 24)}`;
}

/** A test PAN of `length` digits starting with `prefix`, with a valid Luhn check digit. */
export function luhnPan(prefix: string, length = 16): string {
  let body = prefix;
  while (body.length < length - 1) body += String(body.length % 10);
  return body + luhnCheckDigit(body);
}
