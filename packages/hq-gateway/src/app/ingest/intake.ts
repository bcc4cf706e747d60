// Step 1, intake: one MQTT message becomes an Item, with the checks that need no signature: the
// topic is an up-topic of an enrolled station, the envelope's outer layer decodes, and a journaled
// event's hash link is read (signature-rounds.ts uses it). A message failing here carries its
// failure and a `false` verdict: it is quarantined in arrival order like any other.
import { type EnvelopeParts, type OpenedEnvelope, type ParsedTopic, parseTopic } from '@bianmin/wire';
import {
  CodecFailure,
  describe,
  type EnvelopeLink,
  envelopeLink,
  openParts,
} from '../../domain/codec/envelope.js';
import type { HqCode } from '../../errors.js';
import type { StationState } from './station-state.js';

export interface Item {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly receivedAtMs: number;
  readonly parsed: ParsedTopic | null;
  readonly station: StationState | null;
  readonly parts: EnvelopeParts | null;
  failure: { code: HqCode; detail: string } | null;
  /** undefined while the signature check runs. */
  verdict: boolean | undefined;
  opened: OpenedEnvelope | null;
  /** Journaled events: the envelope hash and the (unverified) link to the one before. */
  readonly link: EnvelopeLink | null;
}

export function intake(
  topic: string,
  payload: Uint8Array,
  receivedAtMs: number,
  stations: ReadonlyMap<string, StationState>,
): Item {
  let parsed: ParsedTopic | null = null;
  let station: StationState | null = null;
  let parts: EnvelopeParts | null = null;
  let failure: Item['failure'] = null;
  try {
    parsed = parseTopic(topic);
    if (parsed.direction !== 'up') throw new Error('not an up-topic');
  } catch (error) {
    parsed = null;
    failure = { code: 'HQ_TOPIC_UNKNOWN', detail: describe(error) };
  }
  if (failure === null && parsed !== null) {
    station = stations.get(parsed.stationId) ?? null;
    if (station === null) failure = { code: 'HQ_STATION_UNKNOWN', detail: `station ${parsed.stationId}` };
    // A suspended station (issue 8) costs no signature check: quarantined until resumed.
    else if (station.suspension !== null)
      failure = { code: 'HQ_STATION_SUSPENDED', detail: `suspended: ${station.suspension.reasonCode}` };
  }
  if (failure === null) {
    try {
      parts = openParts(payload);
    } catch (error) {
      failure =
        error instanceof CodecFailure
          ? { code: error.code, detail: error.message }
          : { code: 'HQ_ENVELOPE_DECODE_FAILED', detail: describe(error) };
    }
  }
  return {
    topic,
    payload,
    receivedAtMs,
    parsed,
    station,
    parts,
    failure,
    verdict: failure === null ? undefined : false,
    opened: null,
    link:
      failure === null && parts !== null && parsed?.channel === 'event' ? envelopeLink(parts, payload) : null,
  };
}
