// An in-process stand-in for the broker, for HQ tests that are about HQ, not about MQTT: stations'
// up-topic publishes reach the gateway's handler one at a time in publish order (its returned
// promise is waited for: back-pressure), and HQ's down-topic publishes reach the station they
// name, retained ones (configs) also a station that attaches later. Like a persistent session,
// messages published while HQ is not connected wait for it. Delivery is asynchronous (a later
// event-loop turn), as over a socket. Broker behaviour itself (reconnects, ACLs, queue limits,
// kills) is tested against the real broker in the e2e layer.
import { parseTopic } from '@bianmin/wire';
import type { GatewayLink } from '../../src/main.js';
import type { PublishOptions } from '../../src/ports/publisher.js';

type Handler = (topic: string, payload: Uint8Array) => Promise<void> | undefined;
type StationHandler = (topic: string, payload: Uint8Array) => void;

export class MemoryBroker {
  #hq: Handler | undefined;
  readonly #waitingForHq: Array<{ topic: string; payload: Uint8Array; delivered: () => void }> = [];
  #delivering = false;
  readonly #stations = new Map<string, StationHandler>();
  readonly #retained = new Map<string, Uint8Array>();
  /** Messages HQ published, by topic (tests may look). */
  readonly downCount = new Map<string, number>();

  /** The gateway's side: pass as GatewayOptions.link. */
  hqLink(): GatewayLink {
    return {
      connect: async (onMessage) => {
        this.#hq = onMessage;
        this.#drain();
      },
      publish: async (topic: string, payload: Uint8Array, options: PublishOptions) => {
        const copy = new Uint8Array(payload);
        this.downCount.set(topic, (this.downCount.get(topic) ?? 0) + 1);
        if (options.retain) this.#retained.set(topic, copy);
        const stationId = parseTopic(topic).stationId;
        const station = this.#stations.get(stationId);
        if (station !== undefined) setImmediate(() => station(topic, copy));
      },
      close: async () => {
        this.#hq = undefined;
      },
    };
  }

  /** A station subscribes to its down-topics; retained messages arrive first. */
  attachStation(stationId: string, onMessage: StationHandler): void {
    this.#stations.set(stationId, onMessage);
    for (const [topic, payload] of this.#retained) {
      if (parseTopic(topic).stationId === stationId) setImmediate(() => onMessage(topic, payload));
    }
  }

  detachStation(stationId: string): void {
    this.#stations.delete(stationId);
  }

  /** A station publishes on an up-topic; resolves once HQ took the message (like a PUBACK). */
  publishUp(topic: string, payload: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.#waitingForHq.push({ topic, payload: new Uint8Array(payload), delivered: resolve });
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#delivering || this.#hq === undefined || this.#waitingForHq.length === 0) return;
    this.#delivering = true;
    setImmediate(async () => {
      try {
        while (this.#hq !== undefined && this.#waitingForHq.length > 0) {
          const next = this.#waitingForHq.shift()!;
          const room = this.#hq(next.topic, next.payload);
          next.delivered();
          if (room !== undefined) await room;
        }
      } finally {
        this.#delivering = false;
      }
    });
  }
}
