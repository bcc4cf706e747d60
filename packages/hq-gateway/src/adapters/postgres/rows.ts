// PostgreSQL rows to domain records. Stations and events map as SQLite's do (the same column
// names; BIGINT arrives as a safe-integer number, BYTEA as a Buffer: connection.ts), so those
// mappings are shared; the status row differs (online is a BOOLEAN here).
import type { OfflineReason, QuarantineRecord, StationStatus } from '../../domain/types.js';
import type { Suspension } from '../../ports/integrity-store.js';
import type { Row } from './connection.js';

export { toEvent, toStation } from '../sqlite/rows.js';

export function toStatus(row: Row): StationStatus {
  return {
    stationId: String(row.station_id),
    online: row.online === true,
    offlineReason: toOfflineReason(row.offline_reason),
    lastSeenMs: Number(row.last_seen_ms),
    bdSeq: Number(row.bd_seq),
    peripherals: JSON.parse(String(row.peripherals_json)) as StationStatus['peripherals'],
    outboxDepth: Number(row.outbox_depth),
  };
}

function toOfflineReason(value: unknown): OfflineReason | null {
  if (value === 'death' || value === 'silence') return value;
  if (value === null) return null;
  throw new Error(`stations.offline_reason holds an unknown value: ${String(value)}`);
}

export function toQuarantine(row: Row): QuarantineRecord {
  return {
    receivedAtMs: Number(row.received_at_ms),
    topic: String(row.topic),
    stationId: row.station_id === null ? null : String(row.station_id),
    reasonCode: String(row.reason_code),
    detail: String(row.detail),
    sizeBytes: Number(row.size_bytes),
    raw: new Uint8Array(row.raw as Buffer),
    handledSeq: row.handled_seq === null ? null : Number(row.handled_seq),
  };
}

export function toSuspension(row: Row): Suspension {
  return {
    stationId: String(row.station_id),
    reasonCode: String(row.reason_code),
    detail: String(row.detail),
    sinceMs: Number(row.since_ms),
  };
}
