// Offline audit of the stored record: every stored envelope's own signature checked against its
// station's enrolled key, and every chain link checked against the envelope stored for the seq
// before it. Ingest authenticates a run of linked events at its newest signature
// (docs/protocol.md "Chained events"); this re-checks each signature one by one, for auditors
// and after any doubt about the store (`hq audit signatures`).
import { createHash } from 'node:crypto';
import { decodeEnvelope, decodeSignedHeader, verifyEnvelope } from '@bianmin/wire';
import type { StationEvent } from '../domain/types.js';

export interface SignatureAudit {
  readonly stationId: string;
  readonly eventsChecked: number;
  /** Events whose own signature does not verify under the station's enrolled key. */
  readonly signaturesInvalid: ReadonlyArray<{ readonly seq: number; readonly eventId: string }>;
  /** Events whose link names an envelope other than the one stored for seq - 1. */
  readonly linksBroken: ReadonlyArray<{ readonly seq: number; readonly eventId: string }>;
  /** Events with a link whose predecessor is stored (checked) and those without (seq 1, older kiosks). */
  readonly linksChecked: number;
  readonly unlinked: number;
}

/** Audit one station's stored events (in seq order) against its public key (PEM). */
export function auditStation(
  stationId: string,
  publicKeyPem: string,
  events: readonly StationEvent[],
): SignatureAudit {
  const signaturesInvalid: Array<{ seq: number; eventId: string }> = [];
  const linksBroken: Array<{ seq: number; eventId: string }> = [];
  let linksChecked = 0;
  let unlinked = 0;
  const shaBySeq = new Map<number, string>();
  for (const event of events) shaBySeq.set(event.seq, event.envelopeSha256);
  for (const event of events) {
    let valid = false;
    let prevHex = '';
    try {
      const parts = decodeEnvelope(event.envelope);
      valid = verifyEnvelope(parts, publicKeyPem);
      prevHex = Buffer.from(decodeSignedHeader(parts.signed).header.prevEnvelopeSha256).toString('hex');
    } catch {
      valid = false;
    }
    if (!valid) signaturesInvalid.push({ seq: event.seq, eventId: event.eventId });
    const stored = shaBySeq.get(event.seq - 1);
    if (prevHex === '' || stored === undefined) unlinked += 1;
    else {
      linksChecked += 1;
      if (prevHex !== stored) linksBroken.push({ seq: event.seq, eventId: event.eventId });
    }
    if (createHash('sha256').update(event.envelope).digest('hex') !== event.envelopeSha256) {
      // The stored hash no longer matches the stored bytes: the row was altered after ingest.
      signaturesInvalid.push({ seq: event.seq, eventId: event.eventId });
    }
  }
  return { stationId, eventsChecked: events.length, signaturesInvalid, linksBroken, linksChecked, unlinked };
}
