// The OTA download over HTTP Range from HQ (issue 13): each fetch asks for one chunk from the byte
// offset the kiosk already stored (`Range: bytes=FROM-TO`) and takes only a 206 whose Content-Range
// names exactly that range of a pack of the offered size, so a proxy that ignores Range (200 with
// the whole file) or a pack that changed under the same name is refused, never spliced. A lost
// connection is retried with capped exponential backoff and jitter (a mobile link drops); after
// otaFetchAttemptsMax the chunk fails and the runner reports the offer failed. Nothing here is
// trusted: the runner verifies the signature and every SHA-256 before anything is unpacked.
import type { OtaOffer } from '../../domain/ota/ota-machine.js';
import {
  otaFetchAttemptsMax,
  otaFetchBackoffMsBase,
  otaFetchBackoffMsMax,
  otaFetchTimeoutMs,
} from '../../limits.js';
import type { ReleaseSource } from '../../ports/ota.js';

export interface HttpReleaseSourceOptions {
  /** Where the offer said the pack is (OtaOffer.fetch_url); undefined: not known (fails the chunk). */
  readonly urlOf: (offer: OtaOffer) => string | undefined;
  /** Default globalThis.fetch (tests wrap it to cut connections). */
  readonly fetch?: typeof fetch;
  /** Waits between attempts; default a timer (tests pass an immediate one: no sleeps in tests). */
  readonly pause?: (delayMs: number) => Promise<void>;
  /** 0..1; default Math.random. */
  readonly random01?: () => number;
  readonly timeoutMs?: number;
}

export class HttpReleaseSource implements ReleaseSource {
  readonly #o: HttpReleaseSourceOptions;

  constructor(options: HttpReleaseSourceOptions) {
    this.#o = options;
  }

  async fetch(offer: OtaOffer, fromByte: number, sizeBytesMax: number): Promise<Uint8Array> {
    if (!(Number.isSafeInteger(fromByte) && fromByte >= 0 && fromByte < offer.downloadBytes))
      throw new Error(`assert: fetch from ${fromByte} of ${offer.downloadBytes}`);
    if (!(sizeBytesMax > 0)) throw new Error('assert: sizeBytesMax > 0');
    const url = this.#o.urlOf(offer);
    if (url === undefined) throw new Error(`no fetch URL for rollout ${offer.rolloutId}`);
    const toByte = Math.min(offer.downloadBytes, fromByte + sizeBytesMax) - 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= otaFetchAttemptsMax; attempt += 1) {
      try {
        return await this.#once(url, offer.downloadBytes, fromByte, toByte);
      } catch (error) {
        lastError = error;
        if (attempt === otaFetchAttemptsMax) break;
        const capMs = Math.min(otaFetchBackoffMsMax, otaFetchBackoffMsBase * 2 ** (attempt - 1));
        await (this.#o.pause ?? wait)(Math.round(capMs * (0.5 + 0.5 * (this.#o.random01 ?? Math.random)())));
      }
    }
    throw new Error(`pack bytes ${fromByte}-${toByte}: ${String(lastError)}`, { cause: lastError });
  }

  async #once(url: string, packBytes: number, fromByte: number, toByte: number): Promise<Uint8Array> {
    const response = await (this.#o.fetch ?? fetch)(url, {
      headers: { range: `bytes=${fromByte}-${toByte}` },
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? otaFetchTimeoutMs),
    });
    if (response.status !== 206) throw new Error(`HTTP ${response.status}, 206 expected`);
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    if (match === null || Number(match[1]) !== fromByte || Number(match[3]) !== packBytes)
      throw new Error(
        `Content-Range ${response.headers.get('content-range')} is not bytes ${fromByte}-…/${packBytes}`,
      );
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (
      bytes.length === 0 ||
      bytes.length !== Number(match[2]) - fromByte + 1 ||
      fromByte + bytes.length - 1 > toByte
    )
      throw new Error(`${bytes.length} bytes do not match Content-Range ${match[0]}`);
    return bytes;
  }
}

function wait(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}
