// The kiosk's own hardware, as the agent's flow sees it (issue 9): is there room to record new
// business, is the clock known to be right, what telemetry says about both, and the link's bdSeq
// taken even when the disk is full. The agent asks `reasons()` before it waits for a card or a
// PIN (listed with every other refusal, R21), feeds `hqAnswered()` with each HQ-signed answer to
// something it sent (acks, authorisation answers), and adds `telemetry()` to its heartbeat.
// Nothing here throws for a full disk: a measurement that cannot be stored is kept in memory.
import { openEnvelope } from '@bianmin/wire';
import type { Logger } from 'pino';
import {
  addClockSample,
  type ClockSample,
  type ClockSamples,
  type ClockVerdict,
  clockKnownWrong,
  clockVerdict,
  describeOffset,
  emptyClockSamples,
  encodeClockVerdict,
  META_CLOCK_OFFSET,
} from '../domain/health/clock-skew.js';
import {
  describeMemory,
  type MemoryBudget,
  type MemorySample,
  underMemoryPressure,
} from '../domain/health/memory-pressure.js';
import { type BusinessKind, readinessReasons, refusingCodes } from '../domain/health/readiness.js';
import { isAgentError } from '../errors.js';
import {
  clockSkewMsMaxDefault,
  diskReserveBytesDefault,
  memoryHeapPercentHigh,
  memoryHeapPercentLow,
  memoryRssBytesHigh,
  memoryRssBytesLow,
} from '../limits.js';
import type { ClockPort } from '../ports/clock.js';
import type { RefusalReason } from '../ports/operator.js';
import type { OutboxPort } from '../ports/outbox.js';
import type { StoreHealthPort } from '../ports/store-health.js';

/** The clock measurement is stored for doctor at most this often (each store is an fsync). */
const clockPersistMsMin = 10 * 60 * 1000;
const META_BD_SEQ = 'bd_seq';

export interface HardwareHealthOptions {
  readonly store: StoreHealthPort;
  readonly clock: ClockPort;
  readonly logger: Logger;
  /** Free bytes on the journal's file system (statfs); absent = unknown (never refuses on it). */
  readonly diskFreeBytes?: () => number;
  readonly diskReserveBytes?: number;
  readonly clockSkewMsMax?: number;
  /** The process's memory now (issue 13); absent = not watched (never refuses on it). */
  readonly memorySample?: () => MemorySample;
  readonly memoryBudget?: MemoryBudget;
}

export interface HardwareTelemetry {
  /** The codes the kiosk refuses new business with right now (AGENT_TX_DISK_LOW, AGENT_TX_CLOCK_SKEW). */
  readonly refusingCodes: string[];
  readonly diskReserveBytes: number;
  /** Bounds of (kiosk clock − HQ clock) in ms; both 0 with clockOffsetKnown false when unmeasured. */
  readonly clockOffsetMsLow: number;
  readonly clockOffsetMsHigh: number;
  readonly clockOffsetKnown: boolean;
}

export class HardwareHealth {
  readonly #o: HardwareHealthOptions;
  readonly #log: Logger;
  readonly #diskReserveBytes: number;
  readonly #clockSkewMsMax: number;
  #samples: ClockSamples = emptyClockSamples();
  #persistedAtMs = Number.NEGATIVE_INFINITY;
  #persistedWrong = false;
  /** bdSeq handed out while the disk refused to store it (kept strictly increasing in memory). */
  #bdSeqInMemory = 0;
  #memoryPressed = false;

  constructor(options: HardwareHealthOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'hardware-health' });
    this.#diskReserveBytes = options.diskReserveBytes ?? diskReserveBytesDefault;
    this.#clockSkewMsMax = options.clockSkewMsMax ?? clockSkewMsMaxDefault;
    if (!Number.isSafeInteger(this.#diskReserveBytes) || this.#diskReserveBytes < 0)
      throw new Error('assert: diskReserveBytes >= 0');
    if (!Number.isSafeInteger(this.#clockSkewMsMax) || this.#clockSkewMsMax <= 0)
      throw new Error('assert: clockSkewMsMax > 0');
  }

  /** Every hardware reason to refuse this business now (R21: the caller adds its own). */
  reasons(business: BusinessKind): RefusalReason[] {
    return readinessReasons(this.#input(), business);
  }

  /** An HQ-signed answer to a message the kiosk made at `sentAtMs` (both kiosk clock). */
  hqAnswered(sample: ClockSample): void {
    const wasWrong = clockKnownWrong(this.verdict(), this.#clockSkewMsMax);
    this.#samples = addClockSample(this.#samples, sample);
    const verdict = this.verdict();
    const wrong = clockKnownWrong(verdict, this.#clockSkewMsMax);
    if (wrong !== wasWrong) {
      this.#log[wrong ? 'error' : 'info'](
        { code: wrong ? 'AGENT_TX_CLOCK_SKEW' : undefined, offset: describeOffset(verdict) },
        wrong ? 'the clock is wrong: withdrawals refused' : 'the clock agrees with HQ again',
      );
    }
    this.#persist(verdict, wrong);
  }

  /**
   * HQ acknowledged events through `seq` with an envelope it made at `hqAtMs` (its clock): it did
   * so after event `seq` was made (the event's created_at_ms, read back from the outbox) and
   * before now. A seq no longer in the outbox gives no sample.
   */
  hqAnsweredEvent(outbox: Pick<OutboxPort, 'read'>, seq: number, hqAtMs: number): void {
    const row = seq > 0 ? outbox.read(seq, seq)[0] : undefined;
    if (row === undefined) return;
    let sentAtMs: number;
    try {
      sentAtMs = openEnvelope(row.envelopeBytes).header.createdAtMs;
    } catch {
      return; // our own envelope no longer decodes: the store check finds that at start-up
    }
    this.hqAnswered({ sentAtMs, hqAtMs, receivedAtMs: this.#o.clock.nowMs() });
  }

  verdict(): ClockVerdict {
    return clockVerdict(this.#samples, this.#o.clock.nowMs());
  }

  telemetry(): HardwareTelemetry {
    const input = this.#input();
    const verdict = input.clock;
    return {
      refusingCodes: refusingCodes(input),
      diskReserveBytes: this.#diskReserveBytes,
      clockOffsetMsLow: verdict.kind === 'measured' ? verdict.offsetMsLow : 0,
      clockOffsetMsHigh: verdict.kind === 'measured' ? verdict.offsetMsHigh : 0,
      clockOffsetKnown: verdict.kind === 'measured',
    };
  }

  /**
   * The link's next bdSeq, persisted before it is used; when the disk refuses, a higher one is
   * used from memory (it stays strictly increasing in this process) and stored once it can be.
   */
  nextBdSeq(): number {
    const stored = Number(this.#o.store.getMeta(META_BD_SEQ) ?? '0');
    const next = Math.max(Number.isSafeInteger(stored) ? stored : 0, this.#bdSeqInMemory) + 1;
    this.#bdSeqInMemory = next;
    try {
      this.#o.store.setMeta(META_BD_SEQ, String(next));
    } catch (error) {
      if (!isAgentError(error, 'AGENT_STORE_WRITE_FAILED')) throw error;
      this.#log.warn({ code: error.code, bdSeq: next }, 'bdSeq not stored (disk full); used from memory');
    }
    return next;
  }

  #input() {
    return {
      diskFreeBytes: this.#diskFree(),
      diskReserveBytes: this.#diskReserveBytes,
      storeWriteFault: this.#o.store.writeFault(),
      clock: this.verdict(),
      clockSkewMsMax: this.#clockSkewMsMax,
      memoryPressure: this.#memoryPressure(),
    };
  }

  /** The description while under memory pressure, else null; logs each change of state. */
  #memoryPressure(): string | null {
    if (this.#o.memorySample === undefined) return null;
    const budget = this.#o.memoryBudget ?? {
      rssBytesHigh: memoryRssBytesHigh,
      rssBytesLow: memoryRssBytesLow,
      heapPercentHigh: memoryHeapPercentHigh,
      heapPercentLow: memoryHeapPercentLow,
    };
    const sample = this.#o.memorySample();
    const pressed = underMemoryPressure(sample, budget, this.#memoryPressed);
    if (pressed !== this.#memoryPressed) {
      this.#log[pressed ? 'error' : 'info'](
        { code: pressed ? 'AGENT_TX_MEMORY_PRESSURE' : undefined, memory: describeMemory(sample, budget) },
        pressed ? 'memory pressure: new business refused, the journal kept' : 'memory back under budget',
      );
      this.#memoryPressed = pressed;
    }
    return pressed ? describeMemory(sample, budget) : null;
  }

  #diskFree(): number | null {
    if (this.#o.diskFreeBytes === undefined) return null;
    try {
      return Math.max(0, Math.floor(this.#o.diskFreeBytes()));
    } catch (error) {
      this.#log.warn({ err: String(error) }, 'disk free space unknown');
      return null;
    }
  }

  /** Stores the measurement for doctor: when "known wrong" changes, else at most every 10 min. */
  #persist(verdict: ClockVerdict, wrong: boolean): void {
    if (verdict.kind !== 'measured') return;
    const nowMs = this.#o.clock.nowMs();
    const due = wrong !== this.#persistedWrong || Math.abs(nowMs - this.#persistedAtMs) >= clockPersistMsMin;
    if (!due) return;
    try {
      this.#o.store.setMeta(META_CLOCK_OFFSET, encodeClockVerdict(verdict));
      this.#persistedAtMs = nowMs;
      this.#persistedWrong = wrong;
    } catch (error) {
      if (!isAgentError(error, 'AGENT_STORE_WRITE_FAILED')) throw error;
    }
  }
}
