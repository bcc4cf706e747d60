// Step 4, routing: an item with its verdict goes to the step for its channel. A failed or forged
// item is quarantined; a message signed with a key id other than the station's enrolled one too.
// Journaled events are stored (store-event.ts), authorisation requests answered (authorise.ts),
// birth/death/telemetry applied to the station's status (status.ts).
import type { StoredEventRef } from '../../ports/store.js';
import { authorise } from './authorise.js';
import type { IngestContext } from './context.js';
import type { Item } from './intake.js';
import { quarantine } from './quarantine.js';
import { applyStatusMessage } from './status.js';
import { storeEvent } from './store-event.js';

export function route(ctx: IngestContext, item: Item, stored: ReadonlyMap<string, StoredEventRef>): void {
  if (item.failure !== null) {
    quarantine(ctx, item, item.failure.code, item.failure.detail, item.verdict === true);
    return;
  }
  if (item.verdict !== true) {
    quarantine(ctx, item, 'HQ_SIGNATURE_INVALID', "signature does not verify under the station's key", false);
    return;
  }
  const opened = item.opened!;
  const station = item.station!;
  if (opened.header.keyId !== station.record.keyId) {
    quarantine(ctx, item, 'HQ_KEY_UNKNOWN', `key id ${opened.header.keyId.slice(0, 16)}…`, false);
    return;
  }
  switch (item.parsed!.channel) {
    case 'event':
      storeEvent(ctx, item, opened, station, stored);
      return;
    case 'auth-req':
      ctx.background.track(authorise(ctx, station, opened));
      return;
    default:
      applyStatusMessage(ctx, station, opened, item.payload);
  }
}
