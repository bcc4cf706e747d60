// A minimal HQ for the kiosk's integration tests: subscribes to every station's up topics on a
// real broker, verifies each event with the station's key, stores it once by event id, acks
// cumulatively (highest contiguous seq) with an HQ-signed Ack, approves authorisation requests
// (or stays silent when told), publishes HQ-signed configs retained and HQ-signed commands (an OTA
// offer), and hands every stored OtaProgress to `onOtaProgress` (HQ's rollout ingest in a test).

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  downTopic,
  hqSubscription,
  openVerifiedEnvelope,
  type PayloadInput,
  PayloadType,
  parseTopic,
} from '@bianmin/wire';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { HqKey } from './helpers.js';

export interface StoredEvent {
  readonly seq: number;
  /** SHA-256 hex of the envelope bytes as received. */
  readonly envelopeSha256: string;
  /** The header's prev_envelope_sha256, hex ('' when absent). */
  readonly prevEnvelopeSha256: string;
  readonly eventId: string;
  readonly type: number;
  readonly amountFen: number;
  readonly transactionId: string;
}

/** A stored OtaProgress event, as HQ's ingest hands it to the rollout. */
export interface OtaProgressSeen {
  readonly stationId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly body: {
    rolloutId: string;
    releaseVersion: string;
    stage: number;
    reasonCode: string;
    detail: string;
  };
}

export class FakeHq {
  readonly stored = new Map<number, StoredEvent>();
  readonly arrivalSeqs: number[] = [];
  /** Withdrawals HQ approved (by transaction id). */
  readonly approved = new Set<string>();
  duplicates = 0;
  births = 0;
  deaths = 0;
  answerAuth = true;
  /** Every OtaProgress stored (once per event id), in arrival order. */
  readonly otaProgress: OtaProgressSeen[] = [];
  /** Called for each OtaProgress stored (first arrival only). */
  onOtaProgress: ((seen: OtaProgressSeen) => void) | undefined;
  #client: MqttClient | null = null;
  #contiguous = 0;
  #highest = 0;
  #ackScheduled = false;
  readonly #stationKey: KeyObject;
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(
    private readonly url: string,
    private readonly password: string,
    private readonly hq: HqKey,
    stationKeyPem: string,
    /** More connect options (TLS: broker.tlsOptions('hq')). */
    private readonly connectOptions: IClientOptions = {},
  ) {
    this.#stationKey = createPublicKey(stationKeyPem);
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: `hq-${process.pid}`,
      username: 'hq',
      password: this.password,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 100,
      ...this.connectOptions,
    });
    this.#client = client;
    client.on('message', (topic, payload) => this.#onMessage(topic, new Uint8Array(payload)));
    await client.subscribeAsync(hqSubscription, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync(true);
  }

  /**
   * Stored events whose prev_envelope_sha256 is not the hash of the stored event before them
   * (events without a link, and links to an event not stored, are listed separately).
   */
  chainReport(): { linked: number; unlinked: number; broken: number[] } {
    let linked = 0;
    let unlinked = 0;
    const broken: number[] = [];
    for (const event of this.stored.values()) {
      const before = this.stored.get(event.seq - 1);
      if (event.prevEnvelopeSha256 === '' || before === undefined) unlinked += 1;
      else if (event.prevEnvelopeSha256 === before.envelopeSha256) linked += 1;
      else broken.push(event.seq);
    }
    return { linked, unlinked, broken };
  }

  contiguousSeq(): number {
    return this.#contiguous;
  }

  /** Resolves when `check` holds (re-checked on every message). */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ check, resolve }));
  }

  async publishConfig(stationId: string, bytes: Uint8Array): Promise<void> {
    await this.#client!.publishAsync(downTopic(stationId, 'config'), Buffer.from(bytes), {
      qos: 1,
      retain: true,
    });
  }

  /** Publishes an HQ-signed Command (e.g. an OTA offer) to the station's down/cmd. */
  async publishCommand(
    stationId: string,
    command: PayloadInput<typeof PayloadType.PAYLOAD_TYPE_COMMAND>,
  ): Promise<void> {
    const bytes = this.hq.seal(stationId, PayloadType.PAYLOAD_TYPE_COMMAND, command, Date.now());
    await this.#client!.publishAsync(downTopic(stationId, 'cmd'), Buffer.from(bytes), { qos: 1 });
  }

  quarantined = 0;

  #onMessage(topic: string, payload: Uint8Array): void {
    try {
      this.#handle(topic, payload);
    } catch {
      this.quarantined += 1;
    }
  }

  #handle(topic: string, payload: Uint8Array): void {
    const parsed = parseTopic(topic);
    const opened = openVerifiedEnvelope(payload, () => this.#stationKey);
    const stationId = parsed.stationId;
    if (opened.type === PayloadType.PAYLOAD_TYPE_BIRTH) this.births += 1;
    if (opened.type === PayloadType.PAYLOAD_TYPE_DEATH) this.deaths += 1;
    if (parsed.channel === 'event') {
      const seq = opened.header.seq;
      this.arrivalSeqs.push(seq);
      if (this.stored.has(seq)) this.duplicates += 1;
      else {
        const body = opened.body as { amountFen?: number; transactionId?: string };
        this.stored.set(seq, {
          seq,
          envelopeSha256: createHash('sha256').update(payload).digest('hex'),
          prevEnvelopeSha256: Buffer.from(opened.header.prevEnvelopeSha256).toString('hex'),
          eventId: opened.header.eventId,
          type: opened.type,
          amountFen: Number(body.amountFen ?? 0),
          transactionId: body.transactionId ?? '',
        });
        if (opened.type === PayloadType.PAYLOAD_TYPE_OTA_PROGRESS) {
          const seen = {
            stationId,
            eventId: opened.header.eventId,
            seq,
            body: opened.body as OtaProgressSeen['body'],
          };
          this.otaProgress.push(seen);
          this.onOtaProgress?.(seen);
        }
      }
      this.#highest = Math.max(this.#highest, seq);
      while (this.stored.has(this.#contiguous + 1)) this.#contiguous += 1;
      // Acks are cumulative: one per burst of events (like a real HQ batching its commits).
      if (!this.#ackScheduled) {
        this.#ackScheduled = true;
        setImmediate(() => {
          this.#ackScheduled = false;
          const ack = this.hq.seal(
            stationId,
            PayloadType.PAYLOAD_TYPE_ACK,
            {
              handledThroughSeq: this.#contiguous,
              highestSeqReceived: this.#highest,
              ackedAtMs: Date.now(),
            },
            Date.now(), // HQ's clock (the kiosk measures its drift against it, issue 9)
          );
          void this.#client
            ?.publishAsync(downTopic(stationId, 'ack'), Buffer.from(ack), { qos: 1 })
            .catch(() => undefined);
        });
      }
    }
    if (opened.type === PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST && this.answerAuth) {
      const request = opened.body;
      this.approved.add(request.transactionId);
      const response = this.hq.seal(
        stationId,
        PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE,
        {
          requestId: request.requestId,
          transactionId: request.transactionId,
          decision: 1,
          declineReason: 0,
          bankResponseCode: '00',
          bankReference: `BANK-${request.requestId.slice(0, 8)}`,
          amountFen: Number(request.amountFen),
          feeFen: 100,
          respondedAtMs: Date.now(),
        },
        Date.now(),
      );
      void this.#client
        ?.publishAsync(downTopic(stationId, 'auth-resp'), Buffer.from(response), { qos: 1 })
        .catch(() => undefined);
    }
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }
}
