// PIN pad driver over the serial line protocol (docs/serial-protocol.md). Implements the PinPad
// port: nothing here can return a clear PIN. PIN_START answers with a format-4 block enciphered
// under the TPK inside the pad, which we wrap in PinBlock at once; PIN_PROGRESS says how many
// digits are in, never which. Key material goes out wrapped and comes back as check values only.

import type { Pan } from '../../domain/pin/pan.js';
import { PinBlock, type SecretKeyBytes } from '../../domain/pin/secret.js';
import { bytesToHex, hexToBytes } from '../../domain/serial/frame.js';
import { AgentError } from '../../errors.js';
import { pinKeyComponentCountMax, pinKeyComponentCountMin, serialDisplayTextBytesMax } from '../../limits.js';
import type { KeyComponentLoaded, PinPad, PinPadEvent } from '../../ports/pin-pad.js';
import { buildLink, type SerialDriverOptions } from './driver-options.js';
import { requireField } from './identity.js';
import { SerialDeviceDriver } from './serial-device-driver.js';

export interface PinPadCommandTimeouts {
  readonly identifyMs: number;
  readonly displayMs: number;
  readonly loadKeyMs: number;
  readonly cancelMs: number;
  /** How long the customer has to enter the PIN; the pad enforces it (ENTRY_TIMEOUT). */
  readonly pinEntryMs: number;
  /** Added to pinEntryMs for our own deadline, so the pad's answer normally comes first. */
  readonly pinEntryMarginMs: number;
}

export const defaultPinPadTimeouts: PinPadCommandTimeouts = {
  identifyMs: 2000,
  displayMs: 2000,
  loadKeyMs: 3000,
  cancelMs: 2000,
  pinEntryMs: 60_000,
  pinEntryMarginMs: 3000,
};

const pinPadDeviceErrors = {
  CANCELLED: 'AGENT_PINPAD_CANCELLED',
  ENTRY_TIMEOUT: 'AGENT_PINPAD_ENTRY_TIMEOUT',
  NO_KEY: 'AGENT_PINPAD_NO_KEY',
  KCV_MISMATCH: 'AGENT_PINPAD_KCV_MISMATCH',
  TAMPERED: 'AGENT_PINPAD_TAMPERED',
  BUSY: 'AGENT_PINPAD_BUSY',
  BAD_KEY: 'AGENT_PINPAD_BAD_KEY',
} as const;

const kcvPattern = /^[0-9A-F]{6}$/;

export class PinPadDriver extends SerialDeviceDriver<PinPadEvent> implements PinPad {
  readonly #timeouts: PinPadCommandTimeouts;

  constructor(options: SerialDriverOptions & { readonly timeouts?: Partial<PinPadCommandTimeouts> }) {
    const timeouts = { ...defaultPinPadTimeouts, ...options.timeouts };
    super(buildLink('pin-pad', options, pinPadDeviceErrors), timeouts.identifyMs);
    this.#timeouts = timeouts;
    this.link.onState((state) => this.emit({ kind: 'link', state }));
    this.link.onEvent((frame) => {
      if (frame.command === 'PIN_PROGRESS') {
        const digitCount = Number(frame.fields.get('count'));
        if (Number.isInteger(digitCount) && digitCount >= 0 && digitCount <= 12) {
          this.emit({ kind: 'pin-progress', digitCount });
        }
      } else if (frame.command === 'TAMPER') {
        this.emit({ kind: 'tamper' });
      }
    });
  }

  async display(text: string): Promise<void> {
    if (Buffer.byteLength(text, 'utf8') > serialDisplayTextBytesMax) {
      throw new RangeError(`display text above ${serialDisplayTextBytesMax} bytes`);
    }
    await this.link.send('DISPLAY', { text }, { timeoutMs: this.#timeouts.displayMs, exclusive: true });
  }

  async loadTmkComponent(
    index: number,
    count: number,
    component: SecretKeyBytes,
  ): Promise<KeyComponentLoaded> {
    if (count < pinKeyComponentCountMin || count > pinKeyComponentCountMax || index < 1 || index > count) {
      throw new AgentError('AGENT_PINPAD_BAD_KEY', `component ${index} of ${count}: out of range`, {
        details: { index, count },
      });
    }
    const frame = await this.link.send(
      'LOAD_KEY',
      {
        type: 'TMK_COMPONENT',
        index: String(index),
        count: String(count),
        key: bytesToHex(component.exposeBytes()),
      },
      { timeoutMs: this.#timeouts.loadKeyMs, exclusive: true },
    );
    const componentKcv = requireField(frame, 'kcv', kcvPattern);
    if (index < count) return { componentKcv };
    return { componentKcv, tmkKcv: requireField(frame, 'tmkKcv', kcvPattern) };
  }

  async loadTpk(tpkUnderTmk: Uint8Array, expectedKcv: string): Promise<{ readonly kcv: string }> {
    if (tpkUnderTmk.length !== 16 || !kcvPattern.test(expectedKcv.toUpperCase())) {
      throw new AgentError('AGENT_PINPAD_BAD_KEY', 'TPK must be 16 bytes with a 6-hex-digit KCV');
    }
    const frame = await this.link.send(
      'LOAD_KEY',
      { type: 'TPK', key: bytesToHex(tpkUnderTmk), kcv: expectedKcv.toUpperCase() },
      { timeoutMs: this.#timeouts.loadKeyMs, exclusive: true },
    );
    return { kcv: requireField(frame, 'kcv', kcvPattern) };
  }

  async startPinEntry(amountFen: number, panForBlock: Pan): Promise<PinBlock> {
    if (!Number.isSafeInteger(amountFen) || amountFen < 0)
      throw new RangeError('amountFen must be a safe integer >= 0');
    const frame = await this.link.send(
      'PIN_START',
      {
        amountFen: String(amountFen),
        pan: panForBlock.digits(),
        timeoutMs: String(this.#timeouts.pinEntryMs),
      },
      { timeoutMs: this.#timeouts.pinEntryMs + this.#timeouts.pinEntryMarginMs, exclusive: true },
    );
    const bytes = hexToBytes(frame.fields.get('block') ?? '', PinBlock.byteCount);
    if (bytes === undefined) {
      throw new AgentError('AGENT_SERIAL_BAD_RESPONSE', 'PIN_START: field block missing or invalid', {
        details: { command: 'PIN_START', field: 'block' },
      });
    }
    const block = PinBlock.fromBytes(bytes);
    bytes.fill(0);
    return block;
  }

  async cancelPinEntry(): Promise<void> {
    await this.link.send('PIN_CANCEL', {}, { timeoutMs: this.#timeouts.cancelMs, exclusive: false });
  }
}
