// Ingest batches committed on a worker thread with its own SQLite connection to the same file
// (WAL: the main connection keeps reading committed data meanwhile). A batch commit is one fsync
// (synchronous=FULL) of several milliseconds; on the main thread it stopped MQTT intake for that
// long. Commits stay one at a time and in order (the pipeline's commit chain awaits each), and a
// failure comes back as HQ_STORE_FAILED exactly as from an inline commit.
import type { Worker } from 'node:worker_threads';
import { HqError } from '../../errors.js';
import { siblingModule, startModuleWorker } from '../worker-start.js';
import type { EncodedBatch } from './batch-encoding.js';

export type ToCommitWorker = { readonly id: number; readonly batch: EncodedBatch };
export type FromCommitWorker =
  | { readonly ready: true }
  | { readonly id: number; readonly error?: { readonly message: string; readonly cause: string } };

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly events: number;
}

export class CommitThread {
  /** The thread itself (tests end it abruptly to see HQ stop on HQ_COMMIT_THREAD_FAILED). */
  readonly worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #ready: Promise<void>;
  #nextId = 1;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: Error | undefined;
  #closed = false;

  constructor(path: string) {
    this.worker = startModuleWorker(siblingModule(import.meta.url, 'commit-worker'), { path });
    let markReady: () => void = () => undefined;
    let markFailed: (error: Error) => void = () => undefined;
    this.#ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    this.#ready.catch(() => undefined);
    this.worker.on('message', (message: FromCommitWorker) => {
      if ('ready' in message) {
        markReady();
        return;
      }
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.error === undefined) pending.resolve();
      else {
        pending.reject(
          new HqError('HQ_STORE_FAILED', message.error.message, {
            cause: new Error(message.error.cause),
            details: { events: pending.events },
          }),
        );
      }
    });
    const fail = (error: Error): void => {
      if (this.#failure !== undefined) return;
      this.#failure = new HqError('HQ_COMMIT_THREAD_FAILED', 'the commit thread stopped', { cause: error });
      markFailed(this.#failure);
      for (const pending of this.#pending.values()) pending.reject(this.#failure);
      this.#pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`commit thread exited with code ${code}`));
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Commit one batch. Rejects with HQ_STORE_FAILED when SQLite refuses the batch (the caller drops
   * it and asks for a resend), and with HQ_COMMIT_THREAD_FAILED when the thread is gone or closed
   * (nothing can be stored any more: the caller must stop).
   */
  commit(batch: EncodedBatch): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) {
      return Promise.reject(new HqError('HQ_COMMIT_THREAD_FAILED', 'the commit thread is closed'));
    }
    const id = this.#nextId;
    this.#nextId += 1;
    const done = new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, events: batch.eventRows.length });
      const message: ToCommitWorker = { id, batch };
      const transfer = [batch.envelopes.buffer, batch.envelopeOffsets.buffer] as ArrayBuffer[];
      this.worker.postMessage(message, transfer);
    });
    this.#inFlight.add(done);
    const forget = (): void => {
      this.#inFlight.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  /** Waits for the commits in flight, then stops the thread (its connection closes with it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    await this.worker.terminate();
  }
}
