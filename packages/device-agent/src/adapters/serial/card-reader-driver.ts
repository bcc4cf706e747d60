// Card reader driver over the serial line protocol (docs/serial-protocol.md). Implements the
// CardReader port. The PAN is wrapped in Pan at once (masked when printed); track data is never
// asked for, so it is never held.

import { Pan } from '../../domain/pin/pan.js';
import { AgentError } from '../../errors.js';
import type { CardData, CardReader, CardReaderEvent } from '../../ports/card-reader.js';
import { buildLink, type SerialDriverOptions } from './driver-options.js';
import { SerialDeviceDriver } from './serial-device-driver.js';

export interface CardReaderCommandTimeouts {
  readonly identifyMs: number;
  readonly readMs: number;
  readonly ejectMs: number;
  /** Added to waitMs for WAIT_CARD: the device answers TIMEOUT itself at waitMs. */
  readonly waitMarginMs: number;
}

export const defaultCardReaderTimeouts: CardReaderCommandTimeouts = {
  identifyMs: 2000,
  readMs: 3000,
  ejectMs: 3000,
  waitMarginMs: 2000,
};

const cardReaderDeviceErrors = {
  NO_CARD: 'AGENT_CARD_NO_CARD',
  TIMEOUT: 'AGENT_CARD_WAIT_TIMEOUT',
  READ_FAILED: 'AGENT_CARD_READ_FAILED',
} as const;

export class CardReaderDriver extends SerialDeviceDriver<CardReaderEvent> implements CardReader {
  readonly #timeouts: CardReaderCommandTimeouts;

  constructor(options: SerialDriverOptions & { readonly timeouts?: Partial<CardReaderCommandTimeouts> }) {
    const timeouts = { ...defaultCardReaderTimeouts, ...options.timeouts };
    super(buildLink('card-reader', options, cardReaderDeviceErrors), timeouts.identifyMs);
    this.#timeouts = timeouts;
    this.link.onState((state) => this.emit({ kind: 'link', state }));
    this.link.onEvent((frame) => {
      if (frame.command === 'CARD_INSERTED') this.emit({ kind: 'card-inserted' });
      else if (frame.command === 'CARD_REMOVED') this.emit({ kind: 'card-removed' });
    });
  }

  async waitForCard(waitMs: number): Promise<void> {
    if (!Number.isSafeInteger(waitMs) || waitMs <= 0)
      throw new RangeError('waitMs must be a positive integer');
    await this.link.send(
      'WAIT_CARD',
      { waitMs: String(waitMs) },
      { timeoutMs: waitMs + this.#timeouts.waitMarginMs, exclusive: true },
    );
  }

  async readCard(): Promise<CardData> {
    const frame = await this.link.send('READ', {}, { timeoutMs: this.#timeouts.readMs, exclusive: true });
    const pan = Pan.parse(frame.fields.get('pan') ?? '');
    const expiryYymm = frame.fields.get('expiry') ?? '';
    const serviceCode = frame.fields.get('serviceCode') ?? '';
    const problems: string[] = [];
    if (pan === undefined) problems.push('pan');
    if (!/^[0-9]{2}(0[1-9]|1[0-2])$/.test(expiryYymm)) problems.push('expiry');
    if (!/^[0-9]{3}$/.test(serviceCode)) problems.push('serviceCode');
    if (pan === undefined || problems.length > 0) {
      throw new AgentError('AGENT_CARD_BAD_DATA', `READ: invalid ${problems.join(', ')}`, {
        details: { fields: problems },
      });
    }
    return { pan, expiryYymm, serviceCode };
  }

  async eject(): Promise<void> {
    await this.link.send('EJECT', {}, { timeoutMs: this.#timeouts.ejectMs, exclusive: false });
  }
}
