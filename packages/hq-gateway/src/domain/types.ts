// HQ's own view of what it ingests and keeps: plain data shared by the domain, the ports and the
// adapters. These are not wire types (proto/ is the one source of those): an adapter maps the
// decoded protobuf messages of @bianmin/wire into these records, with money as integer fen (R1).

/** A station's enrolment as HQ keeps it (bound by `hq station enrol`). */
export interface StationRecord {
  readonly stationId: string;
  readonly orgCode: string;
  readonly keyId: string;
  /** SPKI PEM of the station's P-256 public key (generated on its UK key). */
  readonly publicKeyPem: string;
  /** SHA-256 of the SPKI DER, lowercase hex. */
  readonly fingerprint: string;
  readonly readerSerial: string;
  readonly pinPadSerial: string;
  readonly tokenSerial: string;
  readonly enrolledAtMs: number;
}

/** The kinds of journaled kiosk events HQ stores (names follow proto PayloadType). */
export type EventKind =
  | 'WITHDRAWAL_AUTHORISED'
  | 'WITHDRAWAL_POSTED'
  | 'WITHDRAWAL_VOIDED'
  | 'WITHDRAWAL_REVERSED'
  | 'WITHDRAWAL_DECLINED'
  | 'BILL_PAYMENT'
  | 'MOBILE_TOPUP'
  | 'QUOTA_PURCHASE_APPLIED'
  | 'DAILY_CLOSE'
  | 'KEY_ROTATED'
  | 'COMMAND_RESULT'
  | 'CONFIG_APPLIED'
  /** A drawer count declared after the day's close (R8 账实相符). */
  | 'CASH_DECLARED'
  /** A station's progress in a release rollout (issue 13): fed to the rollout after the commit. */
  | 'OTA_PROGRESS';

export type BusinessType = 'CASH_WITHDRAWAL' | 'BILL_PAYMENT' | 'MOBILE_TOPUP' | 'INSURANCE' | 'DISTRIBUTION';

/** One journaled kiosk event, verified and decoded, as it is stored. */
export interface StationEvent {
  readonly eventId: string;
  readonly stationId: string;
  /** Per-station journal sequence, contiguous from 1. */
  readonly seq: number;
  readonly kind: EventKind;
  readonly createdAtMs: number;
  /** Business day in Asia/Shanghai, YYYY-MM-DD (from createdAtMs unless the event names one). */
  readonly businessDate: string;
  readonly businessType: BusinessType | null;
  /** Transaction the event belongs to (a withdrawal's id links authorised/posted/voided/reversed). */
  readonly transactionId: string | null;
  readonly amountFen: number;
  readonly feeFen: number;
  /** The quota balance the kiosk claims after this event, when the event reports one. */
  readonly quotaFenAfter: number | null;
  /** Decoded body for people and reports (JSON-safe: no PAN, no PIN block, R24). */
  readonly detail: Readonly<Record<string, unknown>>;
  /** The envelope exactly as received (kept for audit, R17). */
  readonly envelope: Uint8Array;
  /** SHA-256 of the envelope, hex: tells a duplicate delivery from a conflicting reuse of an id. */
  readonly envelopeSha256: string;
}

export interface QuarantineRecord {
  readonly receivedAtMs: number;
  readonly topic: string;
  readonly stationId: string | null;
  readonly reasonCode: string;
  readonly detail: string;
  readonly sizeBytes: number;
  readonly raw: Uint8Array;
  /**
   * The journal seq of an authentic (signature-verified) event refused for its content: it counts
   * as handled for the cumulative ack (docs/protocol.md Ack), so the kiosk stops resending it.
   */
  readonly handledSeq: number | null;
}

export interface DiscrepancyRecord {
  readonly stationId: string;
  readonly eventId: string;
  readonly code: string;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
  readonly foundAtMs: number;
}

export interface GapRecord {
  readonly stationId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly foundAtMs: number;
}

export interface PeripheralHealth {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Why HQ holds a station offline: its last-will death, or nothing heard for too long. */
export type OfflineReason = 'death' | 'silence';

export interface StationStatus {
  readonly stationId: string;
  readonly online: boolean;
  /** Set while offline (null when online, or before anything was heard). */
  readonly offlineReason: OfflineReason | null;
  readonly lastSeenMs: number;
  /** Session counter of the current birth (Sparkplug B bdSeq); -1 before the first birth. */
  readonly bdSeq: number;
  readonly peripherals: readonly PeripheralHealth[];
  readonly outboxDepth: number;
  /**
   * The kiosk's signed created_at_ms of the birth that made the current session (freshness: an
   * older birth is a replay). Kept in memory only; after an HQ restart the bdSeq rule covers it.
   */
  readonly birthCreatedAtMs?: number;
}
