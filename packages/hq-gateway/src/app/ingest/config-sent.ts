// The configs HQ sent a station, as far as the ingest steps need them (issues 8, 9): the hold
// expiry HQ signed into each one (proto Limits.hold_expiry_ms), read back from HQ's own sealed
// envelope, so the hold-expiry check (store-event.ts) judges a station's withdrawal by the value
// that station was told, not by the gateway's default. Fed by operations.sendConfig (live) and by
// main.ts from the store's latest config of each station at start-up.
import { openEnvelope, PayloadType } from '@bianmin/wire';
import type { IngestContext } from './context.js';

export interface SentConfigRecord {
  readonly stationId: string;
  readonly issuedAtMs: number;
  /** HQ's sealed StationConfig envelope, as stored and published. */
  readonly envelope: Uint8Array;
}

export function configSent(ctx: IngestContext, config: SentConfigRecord): void {
  // HQ sealed these bytes itself (store or sendConfig): decoded, not verified again.
  const opened = openEnvelope(config.envelope);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_STATION_CONFIG) {
    throw new Error(`config of ${config.stationId} is not a StationConfig (type ${opened.type})`);
  }
  const holdExpiryMs = opened.body.limits?.holdExpiryMs ?? 0;
  ctx.holdExpiries.configSent(config.stationId, config.issuedAtMs, holdExpiryMs);
}
