// The commit thread's entry (commit-thread.ts): its own connection to the HQ database, writing
// each encoded ingest batch in one transaction and answering with its id (or the error).
import { parentPort, workerData } from 'node:worker_threads';
import type { FromCommitWorker, ToCommitWorker } from './commit-thread.js';
import { SqliteStore } from './sqlite-store.js';

const port = parentPort;
if (port === null) throw new Error('commit-worker must run in a worker thread');
const { path } = workerData as { readonly path: string };
const store = new SqliteStore({ path });
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
