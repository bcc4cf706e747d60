// The link engine shared by the card reader and PIN pad drivers: keeps one serial device open
// (heartbeat + reopen with capped exponential backoff and jitter), frames commands, matches answers by
// sequence number, retransmits on NAK or silence, NAKs frames that fail their CRC, and passes
// unsolicited frames to the driver. The link state is one discriminated union (LinkState).
//
// Why OPEN: every open (first and reopen) starts a session. The device forgets the requests it
// remembered for retransmission, so a new session numbering from 00 again is acted on, not answered
// from a stale cache; the random nonce it echoes proves the answer belongs to this open. The link is
// `opening` until the echo matches: commands are refused (AGENT_SERIAL_NOT_CONNECTED) until then.
//
// Why a heartbeat: a PTY (and a USB serial adapter) whose far end died gives NO event until we write
// (TOOLCHAIN.md). Heartbeats are concurrent commands, so they also run while a long exclusive command
// (WAIT_CARD, PIN_START) is BUSY, and a dead link fails that command with AGENT_SERIAL_DISCONNECTED.

import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { decodeFrame, encodeFrame, type Frame, field } from '../../domain/serial/frame.js';
import { CappedLineSplitter } from '../../domain/serial/line-splitter.js';
import {
  type BackoffPolicy,
  defaultBackoffPolicy,
  type LinkState,
  reopenDelayMs,
} from '../../domain/serial/link-state.js';
import { LogBudget } from '../../domain/serial/log-budget.js';
import { RequestTable } from '../../domain/serial/request-table.js';
import {
  checkSessionEcho,
  isSessionNonce,
  sessionCommand,
  sessionNonceHexLength,
} from '../../domain/serial/session.js';
import { AgentError, type AgentErrorCode } from '../../errors.js';
import {
  serialAttemptsMax,
  serialHeartbeatMissesMax,
  serialInFlightCountMax,
  serialJunkLogLinesMax,
  serialJunkLogWindowMs,
  serialLineBytesMax,
  serialQueueCountMax,
} from '../../limits.js';
import type { Logger } from '../../logging.js';
import type { ClockPort, TimerHandle } from '../../ports/clock.js';
import { systemClock } from '../system/clock.js';
import type { ByteChannel, ChannelOpener } from './channel.js';

export interface SerialLinkOptions {
  readonly opener: ChannelOpener;
  /** Component name for logs, e.g. "card-reader". */
  readonly name: string;
  readonly clock?: ClockPort;
  readonly logger?: Logger;
  /** Time for the device to answer or say BUSY before we retransmit. Default 300 ms. */
  readonly ackTimeoutMs?: number;
  /** Pause between heartbeats while open. Default 1000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Timeout of one HEARTBEAT command. Default 1000 ms. */
  readonly heartbeatTimeoutMs?: number;
  /** Timeout of the session start (OPEN and its echo) on every open. Default 1000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Makes the session nonce (16 upper-case hex digits); default 8 bytes from node:crypto. Tests only. */
  readonly sessionNonce?: () => string;
  readonly backoff?: BackoffPolicy;
  /** Device ERROR codes → agent codes; unmapped ones become AGENT_SERIAL_DEVICE_ERROR. */
  readonly deviceErrorCodes?: Readonly<Record<string, AgentErrorCode>>;
}

export interface SendOptions {
  /** Deadline for the final answer, from the first transmission. */
  readonly timeoutMs: number;
  /** Exclusive commands run one at a time; concurrent ones (HEARTBEAT, cancel) may overlap them. */
  readonly exclusive: boolean;
}

export interface SerialLinkStats {
  framesReceived: number;
  framesMalformed: number;
  framesCrcFailed: number;
  linesTooLong: number;
  naksSent: number;
  retransmissions: number;
  reopenCount: number;
}

/** Frames that may answer OPEN; anything else with its seq during the handshake is an older session's. */
const sessionAnswerCommands: ReadonlySet<string> = new Set([sessionCommand, 'NAK', 'BUSY', 'ERROR']);

function randomSessionNonce(): string {
  return randomBytes(sessionNonceHexLength / 2)
    .toString('hex')
    .toUpperCase();
}

interface Job {
  readonly command: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly options: SendOptions;
  /** A command that waits in the queue longer than its own timeout fails with AGENT_SERIAL_TIMEOUT. */
  readonly queueDeadlineMs: number;
  readonly resolve: (frame: Frame) => void;
  readonly reject: (error: AgentError) => void;
}

export class SerialLink {
  readonly #options: SerialLinkOptions;
  readonly #clock: ClockPort;
  readonly #logger: Logger;
  readonly #junkLog = new LogBudget(serialJunkLogLinesMax, serialJunkLogWindowMs);
  readonly #splitter = new CappedLineSplitter(serialLineBytesMax);
  readonly #table: RequestTable;
  readonly #queue: Job[] = [];
  readonly #inFlight = new Map<number, Job>();
  readonly #eventListeners = new Set<(frame: Frame) => void>();
  readonly #stateListeners = new Set<(state: LinkState) => void>();
  readonly #stats: SerialLinkStats = {
    framesReceived: 0,
    framesMalformed: 0,
    framesCrcFailed: 0,
    linesTooLong: 0,
    naksSent: 0,
    retransmissions: 0,
    reopenCount: 0,
  };
  #state: LinkState = { kind: 'idle' };
  #channel: ByteChannel | undefined;
  #generation = 0;
  #exclusiveSeq: number | undefined;
  #tickTimer: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #reopenTimer: TimerHandle | undefined;
  #heartbeatMisses = 0;
  /** The OPEN in flight on this open, if any (the link is `opening` meanwhile). */
  #session: { readonly seq: number; readonly attemptIndex: number } | undefined;
  /** Session starts that failed in a row; the first of a streak is logged. */
  #sessionFailureCount = 0;

  constructor(options: SerialLinkOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ component: options.name });
    this.#table = new RequestTable({
      inFlightCountMax: serialInFlightCountMax,
      attemptsMax: serialAttemptsMax,
      ackTimeoutMs: options.ackTimeoutMs ?? 300,
    });
  }

  get state(): LinkState {
    return this.#state;
  }

  stats(): Readonly<SerialLinkStats> {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#state.kind !== 'idle') return;
    void this.#openAttempt(0);
  }

  async stop(): Promise<void> {
    if (this.#state.kind === 'stopped') return;
    this.#generation += 1;
    this.#setState({ kind: 'stopped' });
    this.#cancelTimers();
    this.#failEverything('AGENT_SERIAL_STOPPED', 'driver stopped');
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel !== undefined) await channel.close().catch(() => undefined);
  }

  /** Resolves once the link is open; rejects with AGENT_SERIAL_NOT_CONNECTED after timeoutMs. */
  whenOpen(timeoutMs: number): Promise<void> {
    if (this.#state.kind === 'open') return Promise.resolve();
    if (this.#state.kind === 'stopped') {
      return Promise.reject(new AgentError('AGENT_SERIAL_STOPPED', `${this.#options.name}: stopped`));
    }
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimer(timeoutMs, () => {
        unsubscribe();
        reject(
          new AgentError(
            'AGENT_SERIAL_NOT_CONNECTED',
            `${this.#options.name}: not open after ${timeoutMs} ms`,
          ),
        );
      });
      const unsubscribe = this.onState((state) => {
        if (state.kind === 'open' || state.kind === 'stopped') {
          timer.cancel();
          unsubscribe();
          if (state.kind === 'open') resolve();
          else reject(new AgentError('AGENT_SERIAL_STOPPED', `${this.#options.name}: stopped`));
        }
      });
    });
  }

  onEvent(listener: (frame: Frame) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  onState(listener: (state: LinkState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Sends a command; resolves with the final answer frame, rejects with AgentError. */
  send(command: string, fields: Readonly<Record<string, string>>, options: SendOptions): Promise<Frame> {
    return new Promise((resolve, reject) => {
      if (this.#state.kind === 'stopped') {
        reject(new AgentError('AGENT_SERIAL_STOPPED', `${this.#options.name}: stopped`));
        return;
      }
      if (this.#state.kind !== 'open') {
        reject(
          new AgentError('AGENT_SERIAL_NOT_CONNECTED', `${this.#options.name}: link ${this.#state.kind}`, {
            details: { command },
          }),
        );
        return;
      }
      // The link's own heartbeat may pass a full queue: it is what detects a dead PTY.
      if (this.#queue.length >= serialQueueCountMax && !(command === 'HEARTBEAT' && !options.exclusive)) {
        reject(
          new AgentError('AGENT_SERIAL_QUEUE_FULL', `${this.#options.name}: queue full`, {
            details: { command },
          }),
        );
        return;
      }
      const queueDeadlineMs = this.#clock.nowMs() + options.timeoutMs;
      this.#queue.push({ command, fields, options, queueDeadlineMs, resolve, reject });
      this.#pump();
    });
  }

  // --- opening and losing the link ---

  async #openAttempt(attemptIndex: number): Promise<void> {
    const generation = ++this.#generation;
    this.#setState({ kind: 'opening', attemptIndex });
    let channel: ByteChannel;
    try {
      channel = await this.#options.opener.open({
        onData: (chunk) => {
          if (generation === this.#generation) this.#onData(chunk);
        },
        onClose: (error) => {
          if (generation === this.#generation) this.#lose('AGENT_SERIAL_DISCONNECTED', error);
        },
      });
    } catch (error) {
      if (generation !== this.#generation) return;
      const code: AgentErrorCode = error instanceof AgentError ? error.code : 'AGENT_SERIAL_OPEN_FAILED';
      this.#scheduleReopen(attemptIndex + 1, code, error);
      return;
    }
    if (generation !== this.#generation) {
      await channel.close().catch(() => undefined);
      return;
    }
    this.#channel = channel;
    this.#splitter.reset();
    this.#heartbeatMisses = 0;
    // Outside the try: a broken invariant in the session start is a programmer error, not an open failure.
    this.#startSession(attemptIndex);
  }

  #scheduleReopen(attemptIndex: number, code: AgentErrorCode, cause: unknown): void {
    const delayMs = reopenDelayMs(
      Math.max(0, attemptIndex - 1),
      this.#clock.random01(),
      this.#options.backoff ?? defaultBackoffPolicy,
    );
    if (attemptIndex <= 1) {
      this.#logger.warn(
        { code, err: cause, path: this.#options.opener.description, delayMs },
        'serial link down',
      );
    }
    this.#setState({ kind: 'backoff', attemptIndex, delayMs, lastErrorCode: code });
    this.#reopenTimer = this.#clock.setTimer(delayMs, () => {
      this.#reopenTimer = undefined;
      this.#stats.reopenCount += 1;
      void this.#openAttempt(attemptIndex);
    });
  }

  /** The link is gone: fail what is queued or in flight, close, and start reopening. */
  #lose(code: AgentErrorCode, cause: unknown): void {
    if (this.#channel === undefined) return; // not open, nor starting a session on an open channel
    // Lost while starting a session: the reopen attempts go on counting (the backoff keeps growing).
    const attemptIndex = (this.#session?.attemptIndex ?? 0) + 1;
    this.#generation += 1;
    this.#cancelTimers();
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel !== undefined) void channel.close().catch(() => undefined);
    this.#failEverything('AGENT_SERIAL_DISCONNECTED', `link lost (${code})`);
    this.#scheduleReopen(attemptIndex, code, cause);
  }

  #failEverything(code: AgentErrorCode, message: string): void {
    const jobs = [...this.#inFlight.values(), ...this.#queue.splice(0)];
    this.#inFlight.clear();
    this.#table.clear();
    this.#exclusiveSeq = undefined;
    this.#session = undefined;
    for (const job of jobs) {
      job.reject(
        new AgentError(code, `${this.#options.name}: ${job.command}: ${message}`, {
          details: { command: job.command },
        }),
      );
    }
  }

  #cancelTimers(): void {
    for (const timer of [this.#tickTimer, this.#heartbeatTimer, this.#reopenTimer]) timer?.cancel();
    this.#tickTimer = undefined;
    this.#heartbeatTimer = undefined;
    this.#reopenTimer = undefined;
  }

  #setState(state: LinkState): void {
    this.#state = state;
    for (const listener of [...this.#stateListeners]) listener(state);
  }

  // --- session start (OPEN) ---

  /** Sends OPEN with a fresh nonce as the first frame on the channel just opened. */
  #startSession(attemptIndex: number): void {
    const generation = this.#generation;
    const nonce = (this.#options.sessionNonce ?? randomSessionNonce)();
    if (!isSessionNonce(nonce)) throw new Error('invariant: session nonce is not 16 upper-case hex digits');
    if (this.#inFlight.size !== 0 || this.#queue.length !== 0)
      throw new Error('invariant: commands before the session start');
    this.#table.restartSequence();
    const timeoutMs = this.#options.sessionTimeoutMs ?? 1000;
    const nowMs = this.#clock.nowMs();
    const job: Job = {
      command: sessionCommand,
      fields: { nonce },
      options: { timeoutMs, exclusive: true },
      queueDeadlineMs: nowMs + timeoutMs,
      resolve: (frame) => {
        if (generation !== this.#generation) return;
        const echo = checkSessionEcho(frame, nonce);
        if (echo.ok) this.#sessionConfirmed(attemptIndex);
        else this.#sessionFailed(echo.code, new Error(echo.reason));
      },
      reject: (error) => {
        if (generation === this.#generation) this.#sessionFailed('AGENT_SERIAL_SESSION_FAILED', error);
      },
    };
    const pending = this.#table.open(sessionCommand, job.fields, nowMs, timeoutMs);
    this.#session = { seq: pending.seq, attemptIndex };
    this.#inFlight.set(pending.seq, job);
    this.#exclusiveSeq = pending.seq;
    this.#transmit(pending.line);
    this.#scheduleTick();
  }

  #sessionConfirmed(attemptIndex: number): void {
    this.#session = undefined;
    this.#sessionFailureCount = 0;
    if (attemptIndex > 0 || this.#stats.reopenCount > 0)
      this.#logger.info({ attemptIndex }, 'serial link open');
    this.#setState({ kind: 'open', openedAtMs: this.#clock.nowMs() });
    this.#scheduleHeartbeat();
  }

  /** No (right) echo: the channel is not used; close it and reopen with backoff. */
  #sessionFailed(code: AgentErrorCode, cause: unknown): void {
    this.#sessionFailureCount += 1;
    // Logged once per streak: on the first open #scheduleReopen logs it ("serial link down").
    if (this.#sessionFailureCount === 1 && (this.#session?.attemptIndex ?? 0) > 0) {
      this.#logger.warn({ code, err: cause }, 'serial session start not confirmed');
    }
    this.#lose(code, cause);
  }

  // --- heartbeat ---

  #scheduleHeartbeat(): void {
    const intervalMs = this.#options.heartbeatIntervalMs ?? 1000;
    this.#heartbeatTimer = this.#clock.setTimer(intervalMs, () => {
      this.#heartbeatTimer = undefined;
      const generation = this.#generation;
      this.send(
        'HEARTBEAT',
        {},
        { timeoutMs: this.#options.heartbeatTimeoutMs ?? 1000, exclusive: false },
      ).then(
        () => {
          this.#heartbeatMisses = 0;
          if (generation === this.#generation) this.#scheduleHeartbeat();
        },
        (error: unknown) => {
          if (generation !== this.#generation) return;
          const code = error instanceof AgentError ? error.code : undefined;
          if (code === 'AGENT_SERIAL_TIMEOUT' || code === 'AGENT_SERIAL_RETRIES_EXHAUSTED') {
            this.#heartbeatMisses += 1;
            if (this.#heartbeatMisses >= serialHeartbeatMissesMax) {
              this.#logger.warn(
                { code: 'AGENT_SERIAL_HEARTBEAT_MISSED', misses: this.#heartbeatMisses },
                'heartbeat missed',
              );
              this.#lose('AGENT_SERIAL_HEARTBEAT_MISSED', error);
              return;
            }
          }
          this.#scheduleHeartbeat();
        },
      );
    });
  }

  // --- sending ---

  #pump(): void {
    for (let index = 0; index < this.#queue.length && this.#table.hasCapacity(); ) {
      const job = this.#queue[index]!;
      if (job.options.exclusive && this.#exclusiveSeq !== undefined) {
        index += 1;
        continue;
      }
      this.#queue.splice(index, 1);
      const pending = this.#table.open(job.command, job.fields, this.#clock.nowMs(), job.options.timeoutMs);
      this.#inFlight.set(pending.seq, job);
      if (job.options.exclusive) this.#exclusiveSeq = pending.seq;
      this.#transmit(pending.line);
    }
    this.#scheduleTick();
  }

  #transmit(line: string): void {
    const channel = this.#channel;
    if (channel === undefined) return;
    const generation = this.#generation;
    channel.write(Buffer.from(`${line}\n`, 'ascii')).catch((error: unknown) => {
      if (generation === this.#generation) this.#lose('AGENT_SERIAL_DISCONNECTED', error);
    });
  }

  #settle(seq: number, outcome: { frame: Frame } | { error: AgentError }): void {
    const job = this.#inFlight.get(seq);
    if (job === undefined) return;
    this.#inFlight.delete(seq);
    if (this.#exclusiveSeq === seq) this.#exclusiveSeq = undefined;
    if ('error' in outcome) job.reject(outcome.error);
    else if (outcome.frame.command === 'ERROR') job.reject(this.#deviceError(job.command, outcome.frame));
    else job.resolve(outcome.frame);
    this.#pump();
  }

  #deviceError(command: string, frame: Frame): AgentError {
    const rawCode = field(frame, 'code') ?? 'UNKNOWN';
    const deviceCode = /^[A-Z][A-Z0-9_]{0,31}$/.test(rawCode) ? rawCode : 'INVALID';
    const code = this.#options.deviceErrorCodes?.[deviceCode] ?? 'AGENT_SERIAL_DEVICE_ERROR';
    // The device's free text is shown for diagnosis, but cut short and with long digit runs masked:
    // a misbehaving device must not be able to put a card number into our logs.
    const message = (field(frame, 'message') ?? '').slice(0, 64).replace(/[0-9]{7,}/g, '[digits]');
    return new AgentError(
      code,
      `${this.#options.name}: ${command}: device error ${deviceCode} ${message}`.trim(),
      {
        details: { command, deviceCode },
      },
    );
  }

  #scheduleTick(): void {
    this.#tickTimer?.cancel();
    this.#tickTimer = undefined;
    let dueMs = this.#table.nextDueMs();
    for (const job of this.#queue) dueMs = Math.min(dueMs ?? job.queueDeadlineMs, job.queueDeadlineMs);
    if (dueMs === undefined) return;
    this.#tickTimer = this.#clock.setTimer(Math.max(0, dueMs - this.#clock.nowMs()), () => {
      this.#tickTimer = undefined;
      this.#expireQueued();
      for (const action of this.#table.tick(this.#clock.nowMs())) {
        if (action.kind === 'resend') {
          this.#stats.retransmissions += 1;
          this.#transmit(action.line);
        } else {
          this.#settle(action.seq, { error: this.#failure(action.seq, action.code, action.reason) });
        }
      }
      this.#scheduleTick();
    });
  }

  #expireQueued(): void {
    const nowMs = this.#clock.nowMs();
    for (let index = this.#queue.length - 1; index >= 0; index -= 1) {
      const job = this.#queue[index]!;
      if (nowMs < job.queueDeadlineMs) continue;
      this.#queue.splice(index, 1);
      job.reject(
        new AgentError(
          'AGENT_SERIAL_TIMEOUT',
          `${this.#options.name}: ${job.command} waited ${job.options.timeoutMs} ms in the queue`,
          {
            details: { command: job.command },
          },
        ),
      );
    }
  }

  #failure(seq: number, code: AgentErrorCode, reason: string): AgentError {
    const command = this.#inFlight.get(seq)?.command ?? 'unknown';
    return new AgentError(code, `${this.#options.name}: ${reason}`, { details: { command } });
  }

  // --- receiving ---

  #onData(chunk: Uint8Array): void {
    const generation = this.#generation;
    for (const event of this.#splitter.push(chunk)) {
      if (event.kind === 'overflow') {
        this.#stats.linesTooLong += 1;
        this.#logJunk(
          { code: 'AGENT_SERIAL_LINE_TOO_LONG', lineBytesMax: event.lineBytesMax },
          'line too long',
        );
        continue;
      }
      this.#onLine(event.bytes);
      if (generation !== this.#generation) return; // the line closed the channel (or stop() ran)
    }
  }

  /** Junk is counted always (stats) and logged at a bounded rate, with how many lines were held back. */
  #logJunk(fields: Record<string, unknown>, message: string): void {
    const verdict = this.#junkLog.take(this.#clock.nowMs());
    if (verdict.log) this.#logger.warn({ ...fields, suppressedCount: verdict.suppressedCount }, message);
  }

  #onLine(bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      if (decoded.code === 'AGENT_SERIAL_FRAME_CRC') this.#stats.framesCrcFailed += 1;
      else this.#stats.framesMalformed += 1;
      this.#logJunk({ code: decoded.code, reason: decoded.reason, seq: decoded.seq }, 'bad frame dropped');
      // Only a frame that failed its CRC with a readable seq is NAKed; a NAK is never NAKed back
      // unless it is corrupted, and the sender's retries are bounded, so no NAK storm is possible.
      if (decoded.code === 'AGENT_SERIAL_FRAME_CRC' && decoded.seq !== undefined) {
        this.#stats.naksSent += 1;
        this.#transmit(encodeFrame(decoded.seq, 'NAK'));
      }
      return;
    }
    this.#stats.framesReceived += 1;
    const session = this.#session;
    if (
      session !== undefined &&
      decoded.frame.seq === session.seq &&
      !sessionAnswerCommands.has(decoded.frame.command)
    ) {
      // Sent before the device saw our OPEN (bytes of an older session still on the line).
      this.#logger.debug({ seq: decoded.frame.seq }, 'answer from an older session ignored');
      return;
    }
    const outcome = this.#table.onFrame(decoded.frame, this.#clock.nowMs());
    switch (outcome.kind) {
      case 'settled':
        this.#settle(outcome.seq, { frame: outcome.frame });
        break;
      case 'failed':
        this.#settle(outcome.seq, { error: this.#failure(outcome.seq, outcome.code, outcome.reason) });
        break;
      case 'resend':
        this.#stats.retransmissions += 1;
        this.#transmit(outcome.line);
        break;
      case 'busy':
        break;
      case 'event':
        if (outcome.frame.command !== 'NAK')
          for (const listener of [...this.#eventListeners]) listener(outcome.frame);
        break;
      case 'stale':
        this.#logger.debug({ seq: outcome.seq }, 'stale answer ignored');
        break;
    }
    this.#scheduleTick();
  }
}
