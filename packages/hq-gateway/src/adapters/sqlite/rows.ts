// SQLite rows to domain records (the store's reads share them).
import type {
  BusinessType,
  EventKind,
  OfflineReason,
  StationEvent,
  StationRecord,
  StationStatus,
} from '../../domain/types.js';

export type Row = Record<string, unknown>;

export function toStation(row: Row): StationRecord {
  return {
    stationId: String(row.station_id),
    orgCode: String(row.org_code),
    keyId: String(row.key_id),
    publicKeyPem: String(row.public_key_pem),
    fingerprint: String(row.fingerprint),
    readerSerial: String(row.reader_serial),
    pinPadSerial: String(row.pin_pad_serial),
    tokenSerial: String(row.token_serial),
    enrolledAtMs: Number(row.enrolled_at_ms),
  };
}

export function toEvent(row: Row): StationEvent {
  return {
    eventId: String(row.event_id),
    stationId: String(row.station_id),
    seq: Number(row.seq),
    kind: String(row.kind) as EventKind,
    createdAtMs: Number(row.created_at_ms),
    businessDate: String(row.business_date),
    businessType: row.business_type === null ? null : (String(row.business_type) as BusinessType),
    transactionId: row.transaction_id === null ? null : String(row.transaction_id),
    amountFen: Number(row.amount_fen),
    feeFen: Number(row.fee_fen),
    quotaFenAfter: row.quota_fen_after === null ? null : Number(row.quota_fen_after),
    detail: JSON.parse(String(row.detail_json)) as Record<string, unknown>,
    envelope: new Uint8Array(row.envelope as Buffer),
    envelopeSha256: String(row.envelope_sha256),
  };
}

export function toStatus(row: Row): StationStatus {
  return {
    stationId: String(row.station_id),
    online: Number(row.online) === 1,
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
