// An opaque per-card key for HQ's withdrawal tally (R5 limits per card per day). The kiosk's card
// token is keyed per kiosk, so HQ derives its own from the PAN of the authorisation request; the
// PAN itself is never kept or logged (R24).
import { hash } from 'node:crypto';

export function cardKeyOf(pan: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new Error('pan must be 12-19 digits');
  return hash('sha256', `bianmin.v1/card-key/${pan}`, 'hex');
}
