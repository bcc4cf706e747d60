// Signature verification off the main thread: ECDSA P-256 verify costs ~110 µs (~9k/s per core,
// TOOLCHAIN.md), the first ceiling of ingest, so a worker_threads pool verifies while the main
// thread keeps reading MQTT and committing SQLite batches. Jobs are packed into chunks (one
// transferred buffer per postMessage) and the queue is bounded: verify() waits for room.
// With `workers: 0` it verifies inline on the calling thread (small set-ups, tests).
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { HqError } from '../../errors.js';
import {
  verifyChunkMax,
  verifyInlineSliceMax,
  verifyQueuePerWorkerMax,
  verifyWorkersMax,
} from '../../limits.js';
import type { SignatureVerifier, VerdictCallback } from '../../ports/signature-verifier.js';
import { siblingModule, startModuleWorker } from '../worker-start.js';
import { publicKeyFromSpki, verifyEnvelopeSignature } from './verify-core.js';
import type { FromWorker, ToWorker } from './verify-worker.js';

interface Job {
  readonly keyIndex: number;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  readonly done: VerdictCallback;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly chunks: Map<number, Job[]>;
  inFlight: number;
  markReady?: () => void;
}

export interface VerifyPoolOptions {
  /** Worker threads; default: cores - 1 (at least 1). 0 verifies inline. */
  readonly workers?: number;
}

/**
 * Cores available to this process, minus one for the main thread (MQTT intake, decode, ledger,
 * SQLite commits, ack signing: about as busy as one verifier), at least 1.
 */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(verifyWorkersMax, availableParallelism() - 1));
}

export class VerifyPool implements SignatureVerifier {
  readonly #slots: WorkerSlot[] = [];
  readonly #keyIndexes = new Map<string, number>();
  readonly #inlineKeys = new Map<number, KeyObject>();
  readonly #keyDers: Uint8Array[] = [];
  #pending: Job[] = [];
  #flushScheduled = false;
  #helpScheduled = false;
  /** Checks the calling thread did itself while the workers were full (see #scheduleInlineHelp). */
  inlineVerified = 0;
  #nextChunkId = 1;
  #nextSlot = 0;
  #queued = 0;
  #failure: Error | undefined;
  #closed = false;
  readonly #readyPromises: Promise<void>[] = [];

  constructor(options: VerifyPoolOptions = {}) {
    const workers = options.workers ?? defaultVerifyWorkers();
    if (!(Number.isSafeInteger(workers) && workers >= 0 && workers <= verifyWorkersMax)) {
      throw new Error(`workers must be 0..${verifyWorkersMax}`);
    }
    const workerUrl = siblingModule(import.meta.url, 'verify-worker');
    for (let index = 0; index < workers; index += 1) {
      const worker = startModuleWorker(workerUrl);
      const slot: WorkerSlot = { worker, chunks: new Map(), inFlight: 0 };
      this.#readyPromises.push(
        new Promise<void>((resolve) => {
          slot.markReady = resolve;
        }),
      );
      worker.on('message', (message: FromWorker) => {
        if ('ready' in message) slot.markReady?.();
        else this.#onResults(slot, message);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`verify worker exited with code ${code}`));
      });
      this.#slots.push(slot);
    }
  }

  /** Resolves when every worker has loaded (or rejects when one failed). */
  async ready(): Promise<void> {
    const failed = new Promise<never>((_, reject) => {
      const check = setInterval(() => {
        if (this.#failure !== undefined) {
          clearInterval(check);
          reject(this.#poolError());
        }
      }, 50);
      void Promise.all(this.#readyPromises).finally(() => clearInterval(check));
    });
    await Promise.race([Promise.all(this.#readyPromises), failed]);
  }

  get workerCount(): number {
    return this.#slots.length;
  }

  /** Register (or look up) a public key; returns its handle for verify(). */
  addKey(keyRef: string, spkiDer: Uint8Array): number {
    const known = this.#keyIndexes.get(keyRef);
    if (known !== undefined) return known;
    const keyIndex = this.#keyDers.length;
    const key = publicKeyFromSpki(spkiDer); // throws on a bad key before any worker sees it
    this.#keyDers.push(new Uint8Array(spkiDer));
    this.#keyIndexes.set(keyRef, keyIndex);
    this.#inlineKeys.set(keyIndex, key);
    for (const slot of this.#slots) {
      const message: ToWorker = { type: 'key', keyIndex, spkiDer: new Uint8Array(spkiDer) };
      slot.worker.postMessage(message);
    }
    return keyIndex;
  }

  async verify(keyRef: string, signed: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.submit(keyRef, signed, signature, (ok, error) => {
        if (error === undefined) resolve(ok);
        else reject(error);
      });
    });
  }

  /**
   * The ingest hot path: no promise per check. `done` runs once, later (never synchronously when
   * workers run), with the verdict or the pool's failure. Jobs beyond the workers' queue bound
   * wait here (the caller bounds how many it submits: ingestQueueMax).
   */
  submit(keyRef: string, signed: Uint8Array, signature: Uint8Array, done: VerdictCallback): void {
    if (this.#failure !== undefined) {
      const error = this.#poolError();
      queueMicrotask(() => done(false, error));
      return;
    }
    const keyIndex = this.#keyIndexes.get(keyRef);
    if (keyIndex === undefined || this.#slots.length === 0) {
      const ok =
        keyIndex !== undefined && verifyEnvelopeSignature(this.#inlineKeys.get(keyIndex)!, signed, signature);
      queueMicrotask(() => done(ok, undefined));
      return;
    }
    this.#pending.push({ keyIndex, signed, signature, done });
    if (this.#pending.length >= verifyChunkMax) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#pending.length > 0) {
      const room = this.#slots.length * verifyQueuePerWorkerMax - this.#queued;
      if (room <= 0) {
        // #onResults flushes again when a chunk comes back; meanwhile the calling thread helps.
        this.#scheduleInlineHelp();
        return;
      }
      const count = Math.min(room, verifyChunkMax, this.#pending.length);
      this.#send(this.#pending.splice(0, count));
    }
  }

  /**
   * When the workers are full and jobs wait, the calling (main) thread verifies a slice of the
   * waiting jobs itself between its other work (one slice per turn of the event loop, so MQTT
   * intake and commits still run). Verification is the first ceiling of ingest; on a machine
   * whose workers cannot keep up (few cores, or cores shared with the broker and others) the main
   * thread's spare time adds to it instead of idling while the backlog grows.
   */
  #scheduleInlineHelp(): void {
    if (this.#helpScheduled || this.#closed) return;
    this.#helpScheduled = true;
    setImmediate(() => {
      this.#helpScheduled = false;
      if (this.#failure !== undefined || this.#closed) return;
      const room = this.#slots.length * verifyQueuePerWorkerMax - this.#queued;
      if (room > 0 || this.#pending.length === 0) return;
      // The oldest waiting jobs: their items are next in arrival order once the workers' chunks
      // come back, so the pipeline moves on without waiting for a second round trip.
      const jobs = this.#pending.splice(0, verifyInlineSliceMax);
      for (const job of jobs) {
        const key = this.#inlineKeys.get(job.keyIndex);
        job.done(key !== undefined && verifyEnvelopeSignature(key, job.signed, job.signature), undefined);
      }
      this.inlineVerified += jobs.length;
      if (this.#pending.length > 0) this.#scheduleInlineHelp();
    });
  }

  #send(jobs: Job[]): void {
    this.#queued += jobs.length;
    let size = 0;
    for (const job of jobs) size += 10 + job.signature.length + job.signed.length;
    const packed = new Uint8Array(size);
    const view = new DataView(packed.buffer);
    let offset = 0;
    for (const job of jobs) {
      view.setUint32(offset, job.keyIndex);
      view.setUint16(offset + 4, job.signature.length);
      view.setUint32(offset + 6, job.signed.length);
      offset += 10;
      packed.set(job.signature, offset);
      offset += job.signature.length;
      packed.set(job.signed, offset);
      offset += job.signed.length;
    }
    const slot = this.#pickSlot();
    const chunkId = this.#nextChunkId;
    this.#nextChunkId += 1;
    slot.chunks.set(chunkId, jobs);
    slot.inFlight += jobs.length;
    const message: ToWorker = { type: 'chunk', chunkId, count: jobs.length, packed };
    slot.worker.postMessage(message, [packed.buffer]);
  }

  #pickSlot(): WorkerSlot {
    let best = this.#slots[this.#nextSlot % this.#slots.length]!;
    this.#nextSlot += 1;
    for (const slot of this.#slots) if (slot.inFlight < best.inFlight) best = slot;
    return best;
  }

  #onResults(slot: WorkerSlot, message: { readonly chunkId: number; readonly results: Uint8Array }): void {
    const jobs = slot.chunks.get(message.chunkId);
    if (jobs === undefined) throw new Error(`unknown verify chunk ${message.chunkId}`);
    slot.chunks.delete(message.chunkId);
    slot.inFlight -= jobs.length;
    this.#queued -= jobs.length;
    for (let index = 0; index < jobs.length; index += 1)
      jobs[index]!.done(message.results[index] === 1, undefined);
    if (this.#pending.length > 0) this.#flush();
  }

  #poolError(): HqError {
    return new HqError('HQ_VERIFY_POOL_FAILED', 'a signature-verification worker failed', {
      cause: this.#failure,
    });
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    const poolError = this.#poolError();
    for (const slot of this.#slots) {
      for (const jobs of slot.chunks.values()) for (const job of jobs) job.done(false, poolError);
      slot.chunks.clear();
    }
    const pending = this.#pending;
    this.#pending = [];
    for (const job of pending) job.done(false, poolError);
  }

  /** Stop the workers; checks still in flight fail with HQ_VERIFY_POOL_FAILED (never hang). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
    this.#fail(new Error('the verification pool was closed'));
  }
}
