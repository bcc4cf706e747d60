// A small client of the operator API, for `kiosk tx`, the demo and the tests. Answers are the
// parsed JSON bodies with their HTTP status; nothing here interprets business outcomes.
import { request } from 'node:http';
import type { OperatorListen } from './server.js';

export interface OperatorReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export class OperatorClient {
  readonly #listen: OperatorListen;
  readonly #token: string;

  constructor(listen: OperatorListen, token: string) {
    this.#listen = listen;
    this.#token = token;
  }

  get(path: string): Promise<OperatorReply> {
    return this.#call('GET', path, undefined);
  }

  post(path: string, body: unknown = {}): Promise<OperatorReply> {
    return this.#call('POST', path, body);
  }

  #call(method: string, path: string, body: unknown): Promise<OperatorReply> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const target =
      this.#listen.kind === 'unix'
        ? { socketPath: this.#listen.socketPath }
        : { host: this.#listen.host, port: this.#listen.port };
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          ...target,
          method,
          path,
          headers: {
            authorization: `Bearer ${this.#token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
              resolve({ status: response.statusCode ?? 0, body: parsed });
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(text);
    });
  }
}
