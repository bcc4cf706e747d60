// What the journal may keep of a card (R24): the PAN masked to first 6 and last 4 digits (the
// PIN-pad builder's maskPan), and a keyed token (HMAC-SHA256 under a station secret) so per-card
// limits can be counted without the number. Track data, PINs and PIN blocks never reach this module.
import { createHmac } from 'node:crypto';
import { assertHexLowerCase } from '../assert.js';
import type { Pan } from '../pin/pan.js';

export const CARD_TOKEN_KEY_BYTES_MIN = 16;
/** The card token: the first 16 bytes of the HMAC, as 32 lower-case hex characters. */
export const CARD_TOKEN_HEX_LENGTH = 32;

/** A stable pseudonym for a card: hex HMAC-SHA256(key, PAN), first 32 hex characters. */
export function cardToken(pan: Pan, tokenKey: Uint8Array): string {
  // Not an AgentAssertionError: the key is read from a file named in the config (main.ts), and the
  // edge does not check its length yet, so a short key file is bad input, not a programmer error.
  if (tokenKey.length < CARD_TOKEN_KEY_BYTES_MIN)
    throw new Error('assert: card token key must be at least 16 bytes');
  const token = createHmac('sha256', tokenKey)
    .update(pan.digits(), 'ascii')
    .digest('hex')
    .slice(0, CARD_TOKEN_HEX_LENGTH);
  assertHexLowerCase(token, CARD_TOKEN_HEX_LENGTH, 'cardToken');
  return token;
}
