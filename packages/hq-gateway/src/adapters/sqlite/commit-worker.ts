// The commit thread's entry (commit-thread.ts): its own connection to the HQ database, writing
// each encoded ingest batch in one transaction and answering with its id (or the error).
import { parentPort, workerData } from 'node:worker_threads';
import { commitBusyTimeoutMs } from '../../limits.js';
import type { FromCommitWorker, ToCommitWorker } from './commit-thread.js';
import { SqliteStore } from './sqlite-store.js';

const port = parentPort;
if (port === null) throw new Error('commit-worker must run in a worker thread');
const { path } = workerData as { readonly path: string };
const store = new SqliteStore({ path });
// The main connection's writes are short but the busy handler is not fair: wait longer than its 5 s
// before a batch fails (a failed batch is dropped and resent, which costs far more than waiting).
store.db.pragma(`busy_timeout = ${commitBusyTimeoutMs}`);
port.postMessage({ ready: true } satisfies FromCommitWorker);

port.on('message', (message: ToCommitWorker) => {
  let reply: FromCommitWorker;
  try {
    store.commitEncoded(message.batch);
    reply = { id: message.id };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    reply = {
      id: message.id,
      error: {
        message: (error as Error).message,
        cause: cause instanceof Error ? cause.message : String(cause ?? ''),
      },
    };
  }
  port.postMessage(reply);
});
