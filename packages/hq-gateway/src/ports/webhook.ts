// The Webhook port (issue 11): one POST of an alert to the configured receiver. The HTTP adapter
// (adapters/http/webhook-client.ts) uses fetch with a timeout; tests pass a local receiver.

export interface Webhook {
  /** POST `body` as JSON; resolves with the HTTP status, rejects on a network error or timeout. */
  post(body: Readonly<Record<string, unknown>>): Promise<number>;
}
