// A newline line splitter with a hard length cap. @serialport/parser-readline has no cap, so a peer
// that never sends "\n" would grow memory without bound (TOOLCHAIN.md). This one keeps at most
// `lineBytesMax` bytes: when a line grows past the cap it reports one overflow, then discards bytes
// until the next newline and starts fresh after it. Pure: bytes in, events out.

import { assert } from '../assert.js';

export type LineSplitterEvent =
  | { kind: 'line'; bytes: Uint8Array } // one line, newline (and one trailing CR) removed
  | { kind: 'overflow'; lineBytesMax: number }; // a line exceeded the cap; the rest of it is discarded

const newline = 0x0a;
const carriageReturn = 0x0d;

export class CappedLineSplitter {
  readonly lineBytesMax: number;
  readonly #buffer: Uint8Array;
  #length = 0;
  #discarding = false;

  constructor(lineBytesMax: number) {
    if (!Number.isSafeInteger(lineBytesMax) || lineBytesMax < 1)
      throw new RangeError('lineBytesMax must be >= 1');
    this.lineBytesMax = lineBytesMax;
    this.#buffer = new Uint8Array(lineBytesMax);
    assert(this.#buffer.length === lineBytesMax, 'CappedLineSplitter: buffer is the cap, allocated once');
  }

  /** Bytes held for the line being assembled; never above `lineBytesMax`. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /** Feeds a chunk; returns the complete lines and overflows it produced, in order. */
  push(chunk: Uint8Array): LineSplitterEvent[] {
    const events: LineSplitterEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newlineIndex = chunk.indexOf(newline, start);
      const end = newlineIndex === -1 ? chunk.length : newlineIndex;
      this.#take(chunk.subarray(start, end), events);
      if (newlineIndex === -1) break;
      if (this.#discarding) this.#discarding = false;
      else events.push({ kind: 'line', bytes: this.#finishLine() });
      this.#length = 0;
      start = newlineIndex + 1;
    }
    assert(this.#length <= this.lineBytesMax, 'CappedLineSplitter: line buffer above cap');
    // While a too-long line is being discarded nothing of it is held.
    assert(!this.#discarding || this.#length === 0, 'CappedLineSplitter: discarding with bytes held');
    return events;
  }

  /** Drops any partial line (after a reopen the stream starts fresh). */
  reset(): void {
    assert(this.#length <= this.lineBytesMax, 'CappedLineSplitter.reset: line buffer above cap');
    this.#length = 0;
    this.#discarding = false;
  }

  #take(part: Uint8Array, events: LineSplitterEvent[]): void {
    if (this.#discarding || part.length === 0) return;
    if (this.#length + part.length > this.lineBytesMax) {
      this.#discarding = true;
      this.#length = 0;
      events.push({ kind: 'overflow', lineBytesMax: this.lineBytesMax });
      return;
    }
    this.#buffer.set(part, this.#length);
    this.#length += part.length;
    assert(this.#length <= this.lineBytesMax, 'CappedLineSplitter.take: line buffer above cap');
  }

  #finishLine(): Uint8Array {
    assert(!this.#discarding, 'CappedLineSplitter.finishLine: a discarded line is never finished');
    let length = this.#length;
    if (length > 0 && this.#buffer[length - 1] === carriageReturn) length -= 1;
    const line = this.#buffer.slice(0, length);
    // A copy (the buffer is reused for the next line), never longer than the cap.
    assert(line.length <= this.lineBytesMax && line.buffer !== this.#buffer.buffer, 'finishLine: line');
    return line;
  }
}
