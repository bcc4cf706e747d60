// Sealing HQ -> kiosk messages (ack, authorisation response, config, command) with the HQ key.
// In app/, not domain/: each sealed message gets a fresh random event id.
import { type KeyObject, randomUUID } from 'node:crypto';
import { type KnownPayloadType, type PayloadInput, sealEnvelope } from '@bianmin/wire';

/** The HQ signing key: a P-256 private key and its key id (SHA-256 hex of the public SPKI DER). */
export interface HqKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** Seal an HQ -> kiosk message (seq 0), signed with the HQ key. */
export function sealHq<T extends KnownPayloadType>(
  key: HqKey,
  stationId: string,
  type: T,
  body: PayloadInput<T>,
  createdAtMs: number,
): Uint8Array {
  return sealEnvelope(
    { stationId, keyId: key.keyId, seq: 0, eventId: randomUUID(), createdAtMs, type, body },
    key.privateKey,
  );
}
