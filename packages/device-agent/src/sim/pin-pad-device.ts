// The simulated PIN pad's behaviour. It plays the secure device, so it alone sees PIN digits: it
// builds the ISO 9564 format-4 block under its TPK (@bianmin/wire encodePinBlockFormat4) and sends
// only that. Keys: TMK components are XORed inside, the TPK arrives enciphered under the TMK and is
// checked against its KCV. Tamper erases every key, as a real pad does. A new host session (OPEN)
// ends a running PIN entry without an answer and drops TMK components of an unfinished load, so a
// half-loaded key is never combined with components sent in a later session.

import { encodePinBlockFormat4, keyCheckValue, keyCheckValueMatches, unwrapKeyAesEcb } from '@bianmin/wire';
import { combineKeyComponents } from '../domain/pin/key-components.js';
import { bytesToHex, hexToBytes } from '../domain/serial/frame.js';
import { pinKeyComponentCountMax, pinKeyComponentCountMin } from '../limits.js';
import type { ClockPort, TimerHandle } from '../ports/clock.js';
import type { RequestContext, SimEngine, SimNotify } from './sim-engine.js';
import type { SimPin, SimScript } from './sim-script.js';

interface Entry {
  readonly request: RequestContext;
  readonly timers: TimerHandle[];
}

export class PinPadDevice {
  readonly #engine: SimEngine;
  readonly #script: SimScript;
  readonly #clock: ClockPort;
  readonly #notify: SimNotify;
  #components: (Uint8Array | undefined)[] = [];
  #tmk: Uint8Array | undefined;
  #tpk: Uint8Array | undefined;
  #tampered = false;
  #entry: Entry | undefined;
  #displayText = '';

  constructor(options: { engine: SimEngine; script: SimScript; clock: ClockPort; notify: SimNotify }) {
    this.#engine = options.engine;
    this.#script = options.script;
    this.#clock = options.clock;
    this.#notify = options.notify;
    const { tmk, tpk } = options.script.keys;
    if (tmk !== undefined) this.#tmk = hexToBytes(tmk, 16);
    if (tpk !== undefined) this.#tpk = hexToBytes(tpk, 16);
    this.#engine.setHandler((request) => this.#handle(request));
    this.#engine.onSessionStart(() => {
      this.#components = [];
      this.#finishEntry(() => undefined);
    });
  }

  get displayText(): string {
    return this.#displayText;
  }

  /** Someone opened the case: erase keys, alarm, abort any entry. */
  tamper(): void {
    this.#tampered = true;
    this.#tmk = undefined;
    this.#tpk = undefined;
    this.#components = [];
    this.#notify({ status: 'tamper' });
    this.#engine.emit('TAMPER');
    this.#finishEntry((request) => request.error('TAMPERED'));
  }

  /** The customer presses the cancel key. */
  pressCancel(): void {
    this.#finishEntry((request) => request.error('CANCELLED'));
  }

  #handle(request: RequestContext): void {
    switch (request.frame.command) {
      case 'DISPLAY':
        this.#displayText = request.frame.fields.get('text') ?? '';
        this.#notify({ status: 'display', text: this.#displayText });
        request.reply({});
        return;
      case 'LOAD_KEY':
        this.#loadKey(request);
        return;
      case 'PIN_START':
        this.#pinStart(request);
        return;
      case 'PIN_CANCEL':
        this.#finishEntry((entryRequest) => entryRequest.error('CANCELLED'));
        request.reply({});
        return;
      default:
        request.error('UNKNOWN_COMMAND', request.frame.command);
    }
  }

  #loadKey(request: RequestContext): void {
    const fields = request.frame.fields;
    const key = hexToBytes(fields.get('key') ?? '', 16);
    if (key === undefined) {
      request.error('BAD_KEY', 'key');
      return;
    }
    if (fields.get('type') === 'TMK_COMPONENT') {
      const index = Number(fields.get('index'));
      const count = Number(fields.get('count'));
      if (
        !Number.isInteger(count) ||
        count < pinKeyComponentCountMin ||
        count > pinKeyComponentCountMax ||
        !Number.isInteger(index) ||
        index < 1 ||
        index > count
      ) {
        request.error('BAD_KEY', 'index/count');
        return;
      }
      if (index === 1) this.#components = [];
      this.#components[index - 1] = key;
      const reply: Record<string, string> = { kcv: keyCheckValue(key) };
      if (index === count) {
        const parts = this.#components.slice(0, count);
        if (parts.some((part) => part === undefined)) {
          request.error('BAD_KEY', 'missing component');
          return;
        }
        try {
          this.#tmk = combineKeyComponents(parts as Uint8Array[]);
        } catch {
          request.error('BAD_KEY', 'component set');
          return;
        }
        this.#tampered = false;
        this.#components = [];
        reply.tmkKcv = keyCheckValue(this.#tmk);
      }
      request.reply(reply);
      return;
    }
    if (fields.get('type') === 'TPK') {
      if (this.#tmk === undefined) {
        request.error('NO_KEY', 'no TMK');
        return;
      }
      const tpk = unwrapKeyAesEcb(this.#tmk, key);
      if (!keyCheckValueMatches(tpk, fields.get('kcv') ?? '')) {
        request.error('KCV_MISMATCH');
        return;
      }
      this.#tpk = tpk;
      request.reply({ kcv: keyCheckValue(tpk) });
      return;
    }
    request.error('BAD_KEY', 'type');
  }

  #pinStart(request: RequestContext): void {
    const pan = request.frame.fields.get('pan') ?? '';
    const timeoutMs = Number(request.frame.fields.get('timeoutMs') ?? '60000');
    if (this.#tampered) {
      request.error('TAMPERED');
      return;
    }
    if (this.#tpk === undefined) {
      request.error('NO_KEY', 'no TPK');
      return;
    }
    if (this.#entry !== undefined) {
      request.error('BUSY');
      return;
    }
    if (!/^[0-9]{12,19}$/.test(pan) || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
      request.error('BAD_REQUEST', 'pan/timeoutMs');
      return;
    }
    const plan: SimPin = this.#script.pins.find((pin) => pin.pan === pan) ?? {
      pan,
      pin: this.#script.defaultPin,
      action: 'type',
    };
    request.busy();
    const entry: Entry = { request, timers: [] };
    this.#entry = entry;
    this.#notify({ status: 'pin-entry', amountFen: request.frame.fields.get('amountFen') });
    entry.timers.push(
      this.#clock.setTimer(timeoutMs, () => this.#finishEntry((r) => r.error('ENTRY_TIMEOUT'))),
    );
    if (plan.action === 'timeout') return;
    const digitCount = plan.action === 'cancel' ? 1 : plan.pin.length;
    for (let index = 1; index <= digitCount; index += 1) {
      entry.timers.push(
        this.#clock.setTimer(index * this.#script.keyDelayMs, () =>
          this.#engine.emit('PIN_PROGRESS', { count: String(index) }),
        ),
      );
    }
    entry.timers.push(
      this.#clock.setTimer((digitCount + 1) * this.#script.keyDelayMs, () => {
        if (plan.action === 'cancel') {
          this.pressCancel();
          return;
        }
        const tpk = this.#tpk;
        if (tpk === undefined) {
          this.#finishEntry((r) => r.error('NO_KEY'));
          return;
        }
        const block = encodePinBlockFormat4({ pin: plan.pin, pan, key: tpk });
        this.#finishEntry((r) => r.reply({ block: bytesToHex(block) }));
      }),
    );
  }

  #finishEntry(finish: (request: RequestContext) => void): void {
    const entry = this.#entry;
    if (entry === undefined) return;
    this.#entry = undefined;
    for (const timer of entry.timers) timer.cancel();
    finish(entry.request);
  }
}
