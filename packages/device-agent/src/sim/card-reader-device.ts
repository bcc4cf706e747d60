// The simulated card reader's behaviour: cards go in and out (by script or control command), WAIT_CARD
// waits for one (BUSY meanwhile), READ answers PAN, expiry and service code (no track data, as the
// real reader is configured), EJECT pushes the card out. Unsolicited CARD_INSERTED / CARD_REMOVED.
// A new host session (OPEN) ends a pending WAIT_CARD without an answer; the card stays where it is.

import type { ClockPort, TimerHandle } from '../ports/clock.js';
import type { RequestContext, SimEngine, SimNotify } from './sim-engine.js';
import type { SimScript } from './sim-script.js';

export class CardReaderDevice {
  readonly #engine: SimEngine;
  readonly #script: SimScript;
  readonly #clock: ClockPort;
  readonly #notify: SimNotify;
  #cardIndex: number | undefined;
  #nextAutoIndex = 0;
  #waiter: { request: RequestContext; timer: TimerHandle } | undefined;

  constructor(options: { engine: SimEngine; script: SimScript; clock: ClockPort; notify: SimNotify }) {
    this.#engine = options.engine;
    this.#script = options.script;
    this.#clock = options.clock;
    this.#notify = options.notify;
    this.#cardIndex = options.script.insertOnStart;
    this.#engine.setHandler((request) => this.#handle(request));
    this.#engine.onSessionStart(() => {
      this.#waiter?.timer.cancel();
      this.#waiter = undefined;
    });
  }

  get cardIndex(): number | undefined {
    return this.#cardIndex;
  }

  /** The customer inserts card `index` of the script. */
  insert(index: number): boolean {
    if (index < 0 || index >= this.#script.cards.length) return false;
    if (this.#cardIndex !== undefined) this.remove();
    this.#cardIndex = index;
    this.#notify({ status: 'card-inserted', index });
    this.#engine.emit('CARD_INSERTED');
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.timer.cancel();
      waiter.request.reply({ present: '1' });
    }
    return true;
  }

  /** The customer takes the card out. */
  remove(): void {
    if (this.#cardIndex === undefined) return;
    this.#cardIndex = undefined;
    this.#notify({ status: 'card-removed' });
    this.#engine.emit('CARD_REMOVED');
  }

  #handle(request: RequestContext): void {
    switch (request.frame.command) {
      case 'WAIT_CARD':
        this.#waitCard(request);
        return;
      case 'READ':
        this.#read(request);
        return;
      case 'EJECT':
        if (this.#cardIndex === undefined) {
          request.error('NO_CARD');
          return;
        }
        request.reply({});
        this.remove();
        return;
      default:
        request.error('UNKNOWN_COMMAND', request.frame.command);
    }
  }

  #waitCard(request: RequestContext): void {
    if (this.#cardIndex !== undefined) {
      request.reply({ present: '1' });
      return;
    }
    const waitMs = Number(request.frame.fields.get('waitMs'));
    if (!Number.isSafeInteger(waitMs) || waitMs <= 0) {
      request.error('BAD_REQUEST', 'waitMs');
      return;
    }
    if (this.#waiter !== undefined) {
      this.#waiter.timer.cancel();
      this.#waiter.request.error('TIMEOUT', 'superseded');
    }
    request.busy();
    const timer = this.#clock.setTimer(waitMs, () => {
      if (this.#waiter?.request !== request) return;
      this.#waiter = undefined;
      request.error('TIMEOUT');
    });
    this.#waiter = { request, timer };
    if (this.#script.autoInsertOnWait && this.#script.cards.length > 0) {
      const index = this.#nextAutoIndex;
      this.#nextAutoIndex = (index + 1) % this.#script.cards.length;
      this.#clock.setTimer(this.#script.insertDelayMs, () => this.insert(index));
    }
  }

  #read(request: RequestContext): void {
    const index = this.#cardIndex;
    if (index === undefined) {
      request.error('NO_CARD');
      return;
    }
    const card = this.#script.cards[index]!;
    this.#clock.setTimer(this.#script.readDelayMs, () => {
      if (card.readFails) request.error('READ_FAILED');
      else request.reply({ pan: card.pan, expiry: card.expiry, serviceCode: card.serviceCode });
    });
  }
}
