// What the journal may keep of a card (R24): the PAN masked to first 6 and last 4 digits (the
// PIN-pad builder's maskPan), and a keyed token (HMAC-SHA256 under a station secret) so per-card
// limits can be counted without the number. Track data, PINs and PIN blocks never reach this module.
import { createHmac } from 'node:crypto';
import type { Pan } from '../pin/pan.js';

export const CARD_TOKEN_KEY_BYTES_MIN = 16;

/** A stable pseudonym for a card: hex HMAC-SHA256(key, PAN), first 32 hex characters. */
export function cardToken(pan: Pan, tokenKey: Uint8Array): string {
  if (tokenKey.length < CARD_TOKEN_KEY_BYTES_MIN)
    throw new Error('assert: card token key must be at least 16 bytes');
  return createHmac('sha256', tokenKey).update(pan.digits(), 'ascii').digest('hex').slice(0, 32);
}
