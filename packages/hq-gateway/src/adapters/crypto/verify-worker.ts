// A signature-verification worker thread. It receives public keys once (`key` messages) and then
// chunks of jobs packed into one transferred buffer: per job [4-byte key index][2-byte signature
// length][4-byte signed length][signature][signed]. It answers one byte per job (1 = valid).
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { publicKeyFromSpki, verifyEnvelopeSignature } from './verify-core.js';

export type ToWorker =
  | { readonly type: 'key'; readonly keyIndex: number; readonly spkiDer: Uint8Array }
  | { readonly type: 'chunk'; readonly chunkId: number; readonly count: number; readonly packed: Uint8Array };

export type FromWorker =
  | { readonly ready: true }
  | { readonly chunkId: number; readonly results: Uint8Array };

const keys = new Map<number, KeyObject>();
const port = parentPort;
if (port === null) throw new Error('verify-worker must run in a worker thread');

// Tell the pool this worker is loaded (start-up can take a while when run from TS sources).
port.postMessage({ ready: true });

port.on('message', (message: ToWorker) => {
  if (message.type === 'key') {
    keys.set(message.keyIndex, publicKeyFromSpki(message.spkiDer));
    return;
  }
  const { packed, count } = message;
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const results = new Uint8Array(count);
  let offset = 0;
  for (let index = 0; index < count; index += 1) {
    const keyIndex = view.getUint32(offset);
    const signatureBytes = view.getUint16(offset + 4);
    const signedBytes = view.getUint32(offset + 6);
    offset += 10;
    const signature = packed.subarray(offset, offset + signatureBytes);
    offset += signatureBytes;
    const signed = packed.subarray(offset, offset + signedBytes);
    offset += signedBytes;
    const key = keys.get(keyIndex);
    results[index] = key !== undefined && verifyEnvelopeSignature(key, signed, signature) ? 1 : 0;
  }
  const reply: FromWorker = { chunkId: message.chunkId, results };
  port.postMessage(reply, [results.buffer]);
});
