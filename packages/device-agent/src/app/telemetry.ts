// What the kiosk tells HQ about itself: the signed Birth (on connect), Death (the broker's will)
// and Telemetry messages — peripherals, token state, outbox depth, quota, memory and disk — and
// the bdSeq counter that orders a station's sessions. The link publishes them (LinkStatusMessages).
import { PayloadType } from '@bianmin/wire';
import { serialPeripheralStatus, tokenPeripheralStatus, tokenStateOf } from '../domain/tx/peripherals.js';
import type { CardReader } from '../ports/card-reader.js';
import type { PinPad } from '../ports/pin-pad.js';
import type { LinkStatusMessages } from '../ports/publisher.js';
import type { Signer } from '../ports/signer.js';
import type { AppContext } from './context.js';

export interface TelemetryOptions {
  readonly signer: Signer;
  readonly cardReader: CardReader;
  readonly pinPad: PinPad;
  readonly agentVersion?: string;
  /** Free bytes on the journal's file system; not reported (0) when absent. */
  readonly diskFreeBytes?: () => number;
}

/** The part of the context telemetry reads (it is built before the link exists). */
export type TelemetryContext = Omit<AppContext, 'link'>;

export class Telemetry {
  readonly #c: TelemetryContext;
  readonly #o: TelemetryOptions;
  readonly #bootedAtMs: number;

  constructor(context: TelemetryContext, options: TelemetryOptions) {
    this.#c = context;
    this.#o = options;
    this.#bootedAtMs = context.clock.nowMs();
  }

  /** The signed status messages the link sends on its own. */
  statusMessages(): LinkStatusMessages {
    const sign = this.#c.writer;
    return {
      // Stored before use; on a full disk taken from memory, never thrown into the link (issue 9).
      nextBdSeq: () => this.#c.health.nextBdSeq(),
      death: (bdSeq) => sign.signUnjournaled({ type: PayloadType.PAYLOAD_TYPE_DEATH, body: { bdSeq } }),
      birth: (bdSeq) =>
        sign.signUnjournaled({ type: PayloadType.PAYLOAD_TYPE_BIRTH, body: this.#birthBody(bdSeq) }),
      telemetry: (bdSeq) => this.signedTelemetry(bdSeq),
    };
  }

  /** A signed Telemetry message for session `bdSeq`. */
  signedTelemetry(bdSeq: number): Promise<Uint8Array> {
    return this.#c.writer.signUnjournaled({
      type: PayloadType.PAYLOAD_TYPE_TELEMETRY,
      body: this.#telemetryBody(bdSeq),
    });
  }

  #birthBody(bdSeq: number) {
    const journal = this.#c.journal;
    return {
      bdSeq,
      agentVersion: this.#o.agentVersion ?? '0.1.0',
      orgCode: this.#c.rules.config()?.orgCode ?? '',
      configVersionApplied: this.#c.rules.configVersion(),
      lastJournalSeq: journal.headSeq(),
      oldestUnackedSeq: journal.depth() === 0 ? 0 : journal.ackedThroughSeq() + 1,
      outboxDepth: journal.depth(),
      bootedAtMs: this.#bootedAtMs,
      peripherals: this.#peripherals(),
      tokenState: tokenStateOf(this.#o.signer.state()),
    };
  }

  #telemetryBody(bdSeq: number) {
    const journal = this.#c.journal;
    return {
      bdSeq,
      peripherals: this.#peripherals(),
      tokenState: tokenStateOf(this.#o.signer.state()),
      outboxDepth: journal.depth(),
      oldestUnackedSeq: journal.depth() === 0 ? 0 : journal.ackedThroughSeq() + 1,
      lastJournalSeq: journal.headSeq(),
      quotaFenAvailable: this.#c.rules.quotaFenAvailable() ?? 0,
      uptimeMs: this.#c.clock.nowMs() - this.#bootedAtMs,
      agentVersion: this.#o.agentVersion ?? '0.1.0',
      configVersionApplied: this.#c.rules.configVersion(),
      memoryRssBytes: process.memoryUsage.rss(),
      diskFreeBytes: this.#diskFreeBytes(),
      ...this.#c.health.telemetry(), // refusing codes, disk reserve, clock offset (issue 9)
    };
  }

  #peripherals() {
    return [
      serialPeripheralStatus('card-reader', this.#o.cardReader.linkState),
      serialPeripheralStatus('pin-pad', this.#o.pinPad.linkState),
      tokenPeripheralStatus(this.#o.signer.state()),
    ];
  }

  #diskFreeBytes(): number {
    if (this.#o.diskFreeBytes === undefined) return 0;
    try {
      return Math.max(0, Math.floor(this.#o.diskFreeBytes()));
    } catch (error) {
      this.#c.log.warn({ err: String(error) }, 'disk free space unknown');
      return 0;
    }
  }
}
