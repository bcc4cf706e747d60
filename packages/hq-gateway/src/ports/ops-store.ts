// The OpsStore port (issue 11): what HQ's HTTP API and its operators' CLI keep beside the ingest
// store: users, bearer sessions (token hashes only), the hash-chained audit log, alerts with their
// webhook delivery state, each station's branch office, and the station-control version a running
// gateway polls to pick up enrolments, suspensions and revocations made by another process.
// Record shapes are flat. SQLite implements it (adapters/sqlite/ops-store.ts) over the store's
// main connection, PostgreSQL (adapters/postgres/ops-store.ts, migration 0003) over its pool,
// shared by several HQ processes.
import type { AlertKind } from '../domain/alert-rules.js';
import type { AuditEntry, AuditRow } from '../domain/audit-chain.js';
import type { Role } from '../domain/roles.js';

export interface UserRecord {
  readonly userName: string;
  readonly role: Role;
  /** The branch office of a 'branch' user; null for every other role. */
  readonly branchId: string | null;
  /** 'scrypt$N$r$p$salt$hash' (base64url): app/passwords.ts. */
  readonly passwordHash: string;
  readonly createdAtMs: number;
  readonly createdBy: string;
}

export interface SessionRecord {
  /** SHA-256 of the bearer token, hex: the token itself is never stored. */
  readonly tokenSha256: string;
  readonly userName: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export interface SessionWithUser {
  readonly session: SessionRecord;
  readonly user: UserRecord;
}

export type AlertDeliveryState = 'pending' | 'delivered' | 'failed' | 'none';

export interface AlertRecord {
  readonly alertId: number;
  readonly kind: AlertKind;
  /** '' for a network-wide alert. */
  readonly stationId: string;
  readonly detail: string;
  readonly openedAtMs: number;
  /** Who acknowledged it and when; null while open. */
  readonly ackedBy: string | null;
  readonly ackedAtMs: number | null;
  readonly deliveryState: AlertDeliveryState;
  readonly deliveryAttempts: number;
  readonly deliveryNextAtMs: number;
  /** Why the last attempt failed (HTTP status or error name), '' when none. */
  readonly deliveryLastError: string;
}

export interface AlertQuery {
  readonly open?: boolean;
  /** Only alerts of the stations of this branch office (hq_station_branches; a branch user's scope). */
  readonly branchId?: string;
  /** Only these alerts (issue 12: the closed ones, whose closure lives in the operations log). */
  readonly alertIds?: readonly number[];
  /** Not these alerts (issue 12: every alert not yet closed). */
  readonly alertIdsNot?: readonly number[];
  readonly limit: number;
  readonly offset: number;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly seqMin?: number;
  /** Rows with atMs in [atMsMin, atMsMax) (issue 12: the console's date filter). */
  readonly atMsMin?: number;
  readonly atMsMax?: number;
  /** 'asc' (default): oldest first; 'desc': newest first (the console's audit page). */
  readonly order?: 'asc' | 'desc';
  /** Rows skipped before the page (default 0). */
  readonly offset?: number;
  readonly limit: number;
}

export interface OpsStore {
  addUser(user: UserRecord): Promise<'added' | 'exists'>;
  getUser(userName: string): Promise<UserRecord | undefined>;
  saveSession(session: SessionRecord): Promise<void>;
  /**
   * A session and its user in one read (every API request makes it); undefined when either is
   * missing. Expiry is the caller's check (app/users.ts), against its clock.
   */
  getSession(tokenSha256: string): Promise<SessionWithUser | undefined>;
  deleteSession(tokenSha256: string): Promise<void>;
  /** Drop sessions expired before `nowMs`; returns how many. */
  pruneSessions(nowMs: number): Promise<number>;

  /** Append one audit row, chained to the last (in one transaction: two writers cannot fork it). */
  appendAudit(entry: AuditEntry): Promise<AuditRow>;
  auditRows(query: AuditQuery): Promise<AuditRow[]>;
  /** Every row in seq order (the chain check). */
  auditChain(): Promise<AuditRow[]>;

  /** Open an alert unless one of its kind is open for the station: 'exists' returns that one. */
  openAlert(
    alert: Pick<AlertRecord, 'kind' | 'stationId' | 'detail' | 'openedAtMs' | 'deliveryState'>,
  ): Promise<{ outcome: 'opened' | 'exists'; alert: AlertRecord }>;
  getAlert(alertId: number): Promise<AlertRecord | undefined>;
  alerts(query: AlertQuery): Promise<AlertRecord[]>;
  /** Open (not acknowledged) alerts; with a branch id, only of that branch's stations. */
  countOpenAlerts(branchId?: string): Promise<number>;
  /** 'acked', 'already' (acknowledged before: unchanged), or 'unknown'. */
  acknowledgeAlert(alertId: number, by: string, atMs: number): Promise<'acked' | 'already' | 'unknown'>;
  /**
   * Claims up to `limit` alerts whose delivery is pending and due at `nowMs`, oldest first: each
   * one's next attempt moves to nowMs + alertDeliveryClaimMs in the same statement, so a second HQ
   * process on the database does not POST it too; recordDelivery then sets the real state.
   */
  alertsToDeliver(nowMs: number, limit: number): Promise<AlertRecord[]>;
  recordDelivery(
    alertId: number,
    state: AlertDeliveryState,
    attempts: number,
    nextAtMs: number,
    lastError: string,
  ): Promise<void>;
  /** The discrepancy count each station had at its newest discrepancy alert. */
  discrepanciesAlerted(): Promise<Map<string, number>>;
  setDiscrepanciesAlerted(stationId: string, count: number): Promise<void>;

  setStationBranch(stationId: string, branchId: string): Promise<void>;
  /** station id -> branch id (stations without a branch are absent). */
  stationBranches(): Promise<Map<string, string>>;

  /** A token that changes whenever station control changes (enrol, suspend, resume, revoke). */
  stationControlVersion(): Promise<string>;
  bumpStationControlVersion(): Promise<string>;
}
