// The commit thread's entry (commit-thread.ts): its own connection to the HQ database, writing
// each encoded ingest batch in one transaction (batch-writer.ts) and answering with its id (or the
// error). It imports the writer, not the store: no sqlite-store <-> commit-thread circle.
import { parentPort, workerData } from 'node:worker_threads';
import { commitBusyTimeoutMs } from '../../limits.js';
import { BatchWriter } from './batch-writer.js';
import type { FromCommitWorker, ToCommitWorker } from './commit-thread.js';
import { openDatabase } from './connection.js';

const port = parentPort;
if (port === null) throw new Error('commit-worker must run in a worker thread');
const { path } = workerData as { readonly path: string };
const db = openDatabase(path);
const writer = new BatchWriter(db);
// The main connection's writes are short but the busy handler is not fair: wait longer than its 5 s
// before a batch fails (a failed batch is dropped and resent, which costs far more than waiting).
db.pragma(`busy_timeout = ${commitBusyTimeoutMs}`);
port.postMessage({ ready: true } satisfies FromCommitWorker);

port.on('message', (message: ToCommitWorker) => {
  let reply: FromCommitWorker;
  try {
    writer.write(message.batch);
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
