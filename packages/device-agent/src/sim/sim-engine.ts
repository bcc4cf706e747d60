// The device side of the serial protocol, shared by both simulators: splits and decodes lines (with
// the same capped splitter as the driver), NAKs frames that fail their CRC, answers a NAK by
// resending the frame with that seq, answers a retransmitted request from its cache (BUSY while
// still working, else the same answer again) and injects the scripted faults into outgoing frames.
// OPEN (session start) makes it forget every remembered request and resendable frame, drop the late
// answers of the session before, tell the device behaviour (which aborts what it was doing) and echo
// the nonce. Device behaviour (card reader, PIN pad) plugs in as a handler of RequestContext.

import {
  decodeFrame,
  encodeFrame,
  type Frame,
  seqDeviceMin,
  seqHostMax,
  seqMax,
} from '../domain/serial/frame.js';
import { CappedLineSplitter } from '../domain/serial/line-splitter.js';
import { isSessionNonce, sessionCommand } from '../domain/serial/session.js';
import { serialLineBytesMax, serialResendHistoryCountMax } from '../limits.js';
import type { ClockPort } from '../ports/clock.js';
import type { Fault, SimScript } from './sim-script.js';

export type SimNotify = (status: Readonly<Record<string, unknown>>) => void;

export interface RequestContext {
  readonly frame: Frame;
  readonly done: boolean;
  busy(): void;
  reply(fields?: Readonly<Record<string, string>>): void;
  error(code: string, message?: string): void;
}

export type RequestHandler = (request: RequestContext) => void;

interface CachedRequest {
  readonly line: string;
  readonly context: RequestContext & { done: boolean };
  /** The final answer as sent (undefined while working, or while a slow reply is on its way). */
  answerLine: string | undefined;
}

const resendCountMax = 3;

export class SimEngine {
  readonly #clock: ClockPort;
  readonly #write: (bytes: Uint8Array) => void;
  readonly #notify: SimNotify;
  readonly #script: SimScript;
  readonly #faults: Fault[];
  readonly #splitter = new CappedLineSplitter(serialLineBytesMax);
  readonly #requests = new Map<number, CachedRequest>();
  readonly #history = new Map<number, { line: string; resendCount: number }>();
  #handler: RequestHandler = (request) => request.error('UNKNOWN_COMMAND');
  readonly #sessionListeners = new Set<() => void>();
  /** Counts OPENs: a request's answer is sent only while the session it came in is current. */
  #session = 0;
  #eventSeq = seqDeviceMin;
  #vanishedUntilMs = 0;

  constructor(options: {
    clock: ClockPort;
    write: (bytes: Uint8Array) => void;
    notify: SimNotify;
    script: SimScript;
  }) {
    this.#clock = options.clock;
    this.#write = options.write;
    this.#notify = options.notify;
    this.#script = options.script;
    this.#faults = options.script.faults.map((fault) => ({ ...fault }));
  }

  setHandler(handler: RequestHandler): void {
    this.#handler = handler;
  }

  /** Called on every accepted OPEN, before it is answered: abort work of the session before. */
  onSessionStart(listener: () => void): void {
    this.#sessionListeners.add(listener);
  }

  addFault(fault: Fault): void {
    this.#faults.push({ ...fault });
  }

  get vanished(): boolean {
    return this.#clock.nowMs() < this.#vanishedUntilMs;
  }

  /** Goes deaf and mute for `durationMs`, then returns (the host sees heartbeats fail and reopens). */
  vanish(durationMs: number): void {
    this.#vanishedUntilMs = this.#clock.nowMs() + durationMs;
    this.#notify({ status: 'vanished', durationMs });
    this.#clock.setTimer(durationMs, () => {
      this.#splitter.reset();
      this.#notify({ status: 'returned' });
    });
  }

  /** After the port reopens the stream starts fresh. */
  resetStream(): void {
    this.#splitter.reset();
  }

  receive(chunk: Uint8Array): void {
    if (this.vanished) return;
    for (const event of this.#splitter.push(chunk)) {
      if (event.kind === 'overflow') {
        this.#notify({ status: 'line-too-long' });
        continue;
      }
      this.#onLine(event.bytes);
    }
  }

  /** Sends an unsolicited frame (seq 80–FF). */
  emit(command: string, fields: Readonly<Record<string, string>> = {}): void {
    const seq = this.#eventSeq;
    this.#eventSeq = seq === seqMax ? seqDeviceMin : seq + 1;
    this.#send(seq, command, fields);
  }

  #onLine(bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      this.#notify({ status: 'bad-frame', code: decoded.code, reason: decoded.reason });
      if (decoded.code === 'AGENT_SERIAL_FRAME_CRC' && decoded.seq !== undefined) {
        this.#writeLine(encodeFrame(decoded.seq, 'NAK'));
      }
      return;
    }
    const frame = decoded.frame;
    if (frame.command === 'NAK') {
      this.#resend(frame.seq);
      return;
    }
    if (frame.seq > seqHostMax) return;
    if (frame.command === sessionCommand) {
      this.#startSession(frame);
      return;
    }
    const line = String.fromCharCode(...bytes);
    const cached = this.#requests.get(frame.seq);
    if (cached !== undefined && cached.line === line) {
      this.#notify({ status: 'duplicate', command: frame.command, seq: frame.seq });
      if (cached.answerLine !== undefined) this.#writeLine(cached.answerLine);
      else this.#send(frame.seq, 'BUSY', {});
      return;
    }
    const context = this.#context(frame);
    this.#requests.delete(frame.seq);
    this.#requests.set(frame.seq, { line, context, answerLine: undefined });
    if (this.#requests.size > serialResendHistoryCountMax) {
      this.#requests.delete(this.#requests.keys().next().value as number);
    }
    this.#notify({ status: 'request', command: frame.command, seq: frame.seq });
    if (frame.command === 'IDENTIFY') context.reply({ ...this.#script.identity });
    else if (frame.command === 'HEARTBEAT') context.reply({});
    else this.#handler(context);
  }

  /**
   * OPEN: a new host session. Always executed, never answered from the cache (a retransmitted OPEN
   * simply starts the session again: the host sends nothing else before the echo). A bad nonce is
   * refused and changes nothing.
   */
  #startSession(frame: Frame): void {
    const nonce = frame.fields.get('nonce') ?? '';
    if (!isSessionNonce(nonce)) {
      this.#notify({ status: 'bad-request', command: frame.command, seq: frame.seq, field: 'nonce' });
      this.#send(frame.seq, 'ERROR', { code: 'BAD_REQUEST', message: 'nonce' });
      return;
    }
    this.#session += 1;
    for (const cached of this.#requests.values()) cached.context.done = true;
    this.#requests.clear();
    this.#history.clear();
    this.#notify({ status: 'session', seq: frame.seq, session: this.#session });
    for (const listener of [...this.#sessionListeners]) listener();
    this.#send(frame.seq, sessionCommand, { nonce });
  }

  #context(frame: Frame): RequestContext & { done: boolean } {
    const session = this.#session;
    const current = (): boolean => session === this.#session;
    const finish = (command: string, fields: Readonly<Record<string, string>>): void => {
      if (context.done) return;
      context.done = true;
      if (!current()) return; // the host started a new session: this answer would be stale
      const delayMs = this.#script.replyDelayMs;
      if (delayMs > 0)
        this.#clock.setTimer(delayMs, () => {
          if (current()) this.#send(frame.seq, command, fields);
        });
      else this.#send(frame.seq, command, fields);
    };
    const context = {
      frame,
      done: false,
      busy: () => {
        if (current()) this.#send(frame.seq, 'BUSY', {});
      },
      reply: (fields: Readonly<Record<string, string>> = {}) => finish(frame.command, fields),
      error: (code: string, message?: string) =>
        finish('ERROR', message === undefined ? { code } : { code, message }),
    };
    return context;
  }

  #resend(seq: number): void {
    const entry = this.#history.get(seq);
    if (entry === undefined || entry.resendCount >= resendCountMax) return;
    entry.resendCount += 1;
    this.#notify({ status: 'resend', seq });
    this.#writeLine(entry.line);
  }

  #send(seq: number, command: string, fields: Readonly<Record<string, string>>): void {
    const line = encodeFrame(seq, command, fields);
    const cached = seq <= seqHostMax && command !== 'BUSY' ? this.#requests.get(seq) : undefined;
    const markSent = (): void => {
      if (cached !== undefined) cached.answerLine = line;
    };
    this.#history.delete(seq);
    this.#history.set(seq, { line, resendCount: 0 });
    if (this.#history.size > serialResendHistoryCountMax * 2) {
      this.#history.delete(this.#history.keys().next().value as number);
    }
    const fault = this.#takeFault(command);
    if (fault === undefined) {
      markSent();
      this.#writeLine(line);
      return;
    }
    this.#notify({ status: 'fault', kind: fault.kind, command });
    if (fault.kind === 'slow') {
      const session = this.#session;
      this.#clock.setTimer(fault.delayMs, () => {
        if (seq <= seqHostMax && session !== this.#session) return; // an answer of an older session
        markSent();
        this.#writeLine(line);
      });
      return;
    }
    markSent();
    this.#applyFault(fault, line);
  }

  #takeFault(command: string): Fault | undefined {
    const index = this.#faults.findIndex(
      (fault) => fault.count > 0 && (fault.on === '*' || fault.on === command),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.count -= 1;
    if (fault.count === 0) this.#faults.splice(index, 1);
    return fault;
  }

  #applyFault(fault: Fault, line: string): void {
    switch (fault.kind) {
      case 'garbage': {
        const garbage = new Uint8Array(16 + Math.floor(Math.random() * 48));
        for (let index = 0; index < garbage.length; index += 1) {
          let byte = Math.floor(Math.random() * 256);
          if (byte === 0x0a) byte = 0x00;
          garbage[index] = byte;
        }
        this.#writeRaw(garbage);
        this.#writeRaw(Uint8Array.of(0x0a));
        this.#writeLine(line);
        break;
      }
      case 'bad-crc': {
        const last = line.charAt(line.length - 1);
        this.#writeLine(line.slice(0, -1) + (last === '0' ? '1' : '0'));
        break;
      }
      case 'no-newline':
        this.#writeRaw(Buffer.from(line.slice(0, Math.ceil(line.length / 2)), 'ascii'));
        this.#writeLine(line);
        break;
      case 'over-long':
        this.#writeRaw(Buffer.from(`${'X'.repeat(2 * serialLineBytesMax)}\n`, 'ascii'));
        this.#writeLine(line);
        break;
      case 'slow': // handled in #send: the answer counts as sent only when it goes out
      case 'drop':
        break;
      case 'vanish':
        this.vanish(fault.durationMs);
        break;
    }
  }

  #writeLine(line: string): void {
    this.#writeRaw(Buffer.from(`${line}\n`, 'ascii'));
  }

  #writeRaw(bytes: Uint8Array): void {
    if (this.vanished) return;
    this.#write(bytes);
  }
}
