// HQ -> station messages the pipeline sends: acks, authorisation responses and resend commands,
// each sealed with HQ's key and published on the station's down-topic (docs/protocol.md).
import {
  channelPublishOptions,
  type DownChannel,
  downTopic,
  type KnownPayloadType,
  type PayloadInput,
  PayloadType,
} from '@bianmin/wire';
import { resendCommandValidityMs } from '../../limits.js';
import type { Clock } from '../../ports/clock.js';
import type { Publisher } from '../../ports/publisher.js';
import { type HqKey, sealHq } from '../seal-hq.js';

export class Downlink {
  readonly #hqKey: HqKey;
  readonly #publisher: Publisher;
  readonly #clock: Clock;

  constructor(hqKey: HqKey, publisher: Publisher, clock: Clock) {
    this.#hqKey = hqKey;
    this.#publisher = publisher;
    this.#clock = clock;
  }

  /** Seal `body` for `stationId` and publish it; resolves when the broker took it. */
  async send<T extends KnownPayloadType>(
    stationId: string,
    channel: DownChannel,
    type: T,
    body: PayloadInput<T>,
  ): Promise<void> {
    const bytes = sealHq(this.#hqKey, stationId, type, body, this.#clock.nowMs());
    await this.#publisher.publish(downTopic(stationId, channel), bytes, channelPublishOptions[channel]);
  }

  /** Ask a station to resend its journal from `fromSeq` (a gap, a dropped batch, an HQ restart). */
  async sendResend(stationId: string, fromSeq: number): Promise<void> {
    if (!(Number.isSafeInteger(fromSeq) && fromSeq >= 1)) throw new Error(`resend from seq ${fromSeq}`);
    const nowMs = this.#clock.nowMs();
    await this.send(stationId, 'cmd', PayloadType.PAYLOAD_TYPE_COMMAND, {
      commandId: `resend-${stationId}-${fromSeq}-${nowMs}`,
      notAfterMs: nowMs + resendCommandValidityMs,
      resendFrom: { fromSeq },
    });
  }
}
