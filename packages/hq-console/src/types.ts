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

// ---- Issue 12: the station network (packages/hq-gateway/src/domain/network/*.ts views).

export interface DueItem {
  readonly aggregateId: string;
  readonly subjectId: string;
  readonly department: string;
  readonly branchId?: string;
  readonly step: string;
  readonly rule: string;
  readonly startedDate: string;
  readonly dueDate?: string;
  readonly calendarYearMissing?: number;
}

export interface NetStation {
  readonly stationId: string;
  readonly version: number;
  readonly state: import('./network-steps.js').NetStationState;
  readonly branchId: string;
  readonly name: string;
  readonly location: { readonly latitudeDeg: number; readonly longitudeDeg: number };
  readonly stepDates: Readonly<Record<string, string>>;
  readonly application?: { readonly receiptNumber: string; readonly appliedDate: string };
  readonly orgCode?: string;
  readonly openedDate?: string;
  readonly followUpDate?: string;
  readonly inspections: ReadonlyArray<{ readonly date: string; readonly method: 'on-site' | 'phone' }>;
  readonly trainingDates: readonly string[];
}

export interface OperationRecord {
  readonly aggregateId: string;
  readonly kind: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly actor: string;
  readonly atMs: number;
  readonly reason: string;
  readonly version: number;
}

export interface NetStationPage {
  readonly station: NetStation;
  readonly mayTransact: boolean;
  readonly due: readonly DueItem[];
  readonly timeline: readonly OperationRecord[];
}

export interface RepairTicket {
  readonly ticketId: string;
  readonly stationId: string;
  readonly source: 'telemetry' | 'phone';
  readonly peripheral: string;
  readonly fault: string;
  readonly openedDate: string;
  readonly notes: readonly string[];
  readonly closed?: { readonly date: string; readonly costFen: number };
}

export type ComplaintChannel = 'oral' | 'phone' | 'written';

export interface Complaint {
  readonly complaintId: string;
  readonly channel: ComplaintChannel;
  readonly stationId?: string;
  readonly complainant: { readonly name: string; readonly contact: string };
  readonly summary: string;
  readonly receivedDate: string;
  readonly notes: readonly string[];
  readonly answer?: { readonly date: string; readonly channel: ComplaintChannel; readonly text: string };
  readonly outcome?: { readonly date: string; readonly text: string };
}

export interface CommissionLine {
  readonly stationId: string;
  readonly paidThrough: 'HQ' | 'BRANCH';
  readonly item: string;
  readonly revenueFen: number;
  readonly amountFen: number;
}

export interface CommissionPayable {
  readonly stationId: string;
  readonly paidThrough: 'HQ' | 'BRANCH';
  readonly netFen: number;
  readonly paidFen: number;
  readonly invoiced: boolean;
}

export interface CommissionRun {
  readonly month: string;
  readonly version: number;
  readonly listDueDate: string;
  readonly paymentDueDate: string;
  readonly state: 'draft' | 'listed';
  readonly lines: readonly CommissionLine[];
  readonly corrections: number;
  readonly stations: readonly CommissionPayable[];
}

export interface HandledAlert extends AlertRow {
  readonly assignedTo: string | null;
  readonly assignedBy: string | null;
  readonly closedBy: string | null;
  readonly closedAtMs: number | null;
  readonly closeReason: string | null;
}
