// Two byte channels joined in memory: the host end is a ChannelOpener for the link engine, the
// device end feeds a simulated device in the same process. Used by unit tests (with a fake clock)
// and as the bench baseline. `unplug()` makes the host's next write fail like EIO on a dead PTY and
// reports nothing until then (the PTY trap of TOOLCHAIN.md); `replug()` lets it open again.

import { AgentError } from '../../errors.js';
import type { ByteChannel, ChannelHandlers, ChannelOpener } from './channel.js';

export interface DeviceEnd {
  /** Bytes from the device to the host (dropped while unplugged or closed). */
  write(bytes: Uint8Array): void;
  /** Set by the device: bytes from the host. */
  onData: (chunk: Uint8Array) => void;
}

export class InProcessPair {
  readonly device: DeviceEnd;
  readonly host: ChannelOpener;
  #plugged = true;
  #hostHandlers: ChannelHandlers | undefined;
  /** Deliver asynchronously (like real I/O) so re-entrancy bugs show up in tests. */
  readonly #deliver: (callback: () => void) => void;

  constructor(deliver: (callback: () => void) => void = queueMicrotask) {
    this.#deliver = deliver;
    const pair = this;
    this.device = {
      write(bytes) {
        const handlers = pair.#hostHandlers;
        if (!pair.#plugged || handlers === undefined) return;
        const copy = Uint8Array.from(bytes);
        pair.#deliver(() => handlers.onData(copy));
      },
      onData: () => {},
    };
    this.host = { description: 'in-process', open: (handlers) => this.#open(handlers) };
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  unplug(): void {
    this.#plugged = false;
  }

  replug(): void {
    this.#plugged = true;
  }

  async #open(handlers: ChannelHandlers): Promise<ByteChannel> {
    if (!this.#plugged) throw new AgentError('AGENT_SERIAL_OPEN_FAILED', 'in-process device unplugged');
    this.#hostHandlers = handlers;
    let open = true;
    return {
      write: async (bytes) => {
        if (!open || !this.#plugged) {
          open = false;
          this.#hostHandlers = undefined;
          throw new Error('EIO: device unplugged');
        }
        const copy = Uint8Array.from(bytes);
        this.#deliver(() => this.device.onData(copy));
      },
      close: async () => {
        open = false;
        if (this.#hostHandlers === handlers) this.#hostHandlers = undefined;
      },
    };
  }
}
