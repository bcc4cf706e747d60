// The Webhook port over fetch (issue 11): one JSON POST with a timeout (alertDeliveryTimeoutMs).
// Retries and backoff are the alert service's (app/alerts.ts), on the Clock.
import { alertDeliveryTimeoutMs } from '../../limits.js';
import type { Webhook } from '../../ports/webhook.js';

export function fetchWebhook(url: string): Webhook {
  return {
    async post(body) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(alertDeliveryTimeoutMs),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}
