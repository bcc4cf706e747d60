// Telling a duplicate delivery from a replay. MQTT delivers at least once and a kiosk resends its
// outbox after every reconnect, so HQ sees the very same signed envelope again and again: that is
// a duplicate (counted, re-acknowledged, not a refusal, not quarantined). The same event id
// arriving with different bytes is a real replay or a forgery attempt and is quarantined
// (HQ_REPLAY_EVENT_ID). The stored SHA-256 of the envelope (events.envelope_sha256) is the witness.
import { hash } from 'node:crypto';

export type RepeatVerdict = 'duplicate' | 'conflict';

/** SHA-256 of the bytes as received, hex (the same digest the codec stores per event). */
export function envelopeSha256Of(payload: Uint8Array): string {
  return hash('sha256', payload, 'hex');
}

/**
 * An event id HQ already holds (stored, or in a batch not yet committed) came again: a duplicate
 * when its envelope is byte-identical to the one held, otherwise a conflict (a replay).
 */
export function classifyRepeat(payload: Uint8Array, heldEnvelopeSha256: string): RepeatVerdict {
  if (!/^[0-9a-f]{64}$/.test(heldEnvelopeSha256)) throw new Error('held envelope digest is not SHA-256 hex');
  return envelopeSha256Of(payload) === heldEnvelopeSha256 ? 'duplicate' : 'conflict';
}
