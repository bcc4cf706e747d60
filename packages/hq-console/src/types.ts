// What the HQ API answers (packages/hq-gateway/src/adapters/http/*-routes.ts), as the console reads
// it. Money is integer fen (R1), instants epoch ms.

export type StationState = 'online' | 'offline' | 'suspended' | 'revoked' | 'never_seen';
export const stationStates: readonly StationState[] = [
  'online',
  'offline',
  'suspended',
  'revoked',
  'never_seen',
];

export interface StationRow {
  readonly stationId: string;
  readonly orgCode: string;
  readonly branchId: string | null;
  readonly state: StationState;
  readonly online: boolean;
  readonly lastSeenMs: number;
}

export interface StationList {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly items: readonly StationRow[];
}

export interface AlertRow {
  readonly alertId: number;
  readonly kind: string;
  readonly stationId: string;
  readonly detail: string;
  readonly openedAtMs: number;
  readonly ackedBy: string | null;
  readonly ackedAtMs: number | null;
}

export interface KindTotal {
  readonly kind: string;
  readonly count: number;
  readonly amountFen: number;
  readonly feeFen: number;
}

export interface Overview {
  readonly nowMs: number;
  readonly businessDate: string;
  readonly stationCount: number;
  readonly byState: Readonly<Record<StationState, number>>;
  readonly silent: number;
  readonly faulty: number;
  readonly today: readonly KindTotal[];
  readonly openAlertCount: number;
  readonly openAlerts: readonly AlertRow[];
  readonly regions: ReadonlyArray<{
    readonly branchId: string | null;
    readonly total: number;
    readonly byState: Readonly<Record<StationState, number>>;
  }>;
}

export interface QuotaPurchase {
  readonly purchaseId: string;
  readonly stationId: string;
  readonly amountFen: number;
  readonly quotaFenAfter: number;
  readonly recordedAtMs: number;
}

export interface StationPage {
  readonly stationId: string;
  readonly orgCode: string;
  readonly branchId: string | null;
  readonly state: StationState;
  readonly enrolledAtMs: number;
  readonly status: {
    readonly online: boolean;
    readonly offlineReason: string | null;
    readonly lastSeenMs: number;
    readonly outboxDepth: number;
    readonly peripherals: ReadonlyArray<{ readonly name: string; readonly ok: boolean }>;
  };
  readonly configVersion: number;
  readonly quotaFen: number;
  readonly quotaPurchases: readonly QuotaPurchase[];
  readonly lastEvents: ReadonlyArray<{
    readonly eventId: string;
    readonly seq: number;
    readonly kind: string;
    readonly createdAtMs: number;
    readonly amountFen: number | null;
    readonly feeFen: number | null;
  }>;
  readonly discrepancies: ReadonlyArray<{
    readonly eventId: string;
    readonly code: string;
    readonly detail: string;
    readonly foundAtMs: number;
  }>;
}

export interface QuotaOutcome {
  readonly outcome: 'recorded' | 'exists';
  readonly purchaseId: string;
  readonly stationId: string;
  readonly amountFen: number;
  readonly configVersion: number;
}

export interface DailyReport {
  readonly businessDate: string;
  readonly stations: ReadonlyArray<{
    readonly stationId: string;
    readonly rows: readonly KindTotal[];
    readonly reconciliation: 'matched' | 'differences' | 'no_close';
    readonly differences: ReadonlyArray<{ readonly code: string; readonly detail: string }>;
  }>;
}

export interface AuditRow {
  readonly seq: number;
  readonly atMs: number;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
}
