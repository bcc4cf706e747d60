// What every serial peripheral driver shares: the link's life cycle (start, stop, whenOpen, its
// state), the two commands every device answers (IDENTIFY, HEARTBEAT) and the listener set for
// unsolicited events. The card reader and PIN pad drivers extend it with their own commands.

import type { LinkState } from '../../domain/serial/link-state.js';
import type { DeviceIdentity } from '../../ports/card-reader.js';
import { parseIdentity } from './identity.js';
import type { SerialLink } from './serial-link.js';

export abstract class SerialDeviceDriver<Event> {
  readonly link: SerialLink;
  readonly #identifyTimeoutMs: number;
  readonly #listeners = new Set<(event: Event) => void>();

  protected constructor(link: SerialLink, identifyTimeoutMs: number) {
    this.link = link;
    this.#identifyTimeoutMs = identifyTimeoutMs;
  }

  get linkState(): LinkState {
    return this.link.state;
  }

  start(): void {
    this.link.start();
  }

  stop(): Promise<void> {
    return this.link.stop();
  }

  whenOpen(timeoutMs: number): Promise<void> {
    return this.link.whenOpen(timeoutMs);
  }

  async identify(): Promise<DeviceIdentity> {
    return parseIdentity(
      await this.link.send('IDENTIFY', {}, { timeoutMs: this.#identifyTimeoutMs, exclusive: true }),
    );
  }

  async heartbeat(): Promise<void> {
    await this.link.send('HEARTBEAT', {}, { timeoutMs: this.#identifyTimeoutMs, exclusive: false });
  }

  subscribe(listener: (event: Event) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  protected emit(event: Event): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}
