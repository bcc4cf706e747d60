// The OpsStore port on PostgreSQL (issue 11, migration 0003): users, sessions, the audit chain,
// alerts, station branches and the station-control version, shared by every HQ process on the
// database. Nothing is unique in one process only: the audit append takes a transaction-scoped
// advisory lock, reads the head row and inserts the next in the same transaction (two processes
// appending at once make one chain; seq is also the PRIMARY KEY); alert dedup is the partial
// unique index hq_alerts_open; a delivery pass claims its alerts (FOR UPDATE SKIP LOCKED), so one
// process POSTs each; the control version is a database sequence; sessions are rows.
import type pg from 'pg';
import { type AlertKind, isAlertKind } from '../../domain/alert-rules.js';
import { type AuditEntry, type AuditRow, sealAuditRow } from '../../domain/audit-chain.js';
import { HqError } from '../../errors.js';
import { alertDeliveryClaimMs } from '../../limits.js';
import type {
  AlertDeliveryState,
  AlertQuery,
  AlertRecord,
  AuditQuery,
  OpsStore,
  SessionRecord,
  SessionWithUser,
  UserRecord,
} from '../../ports/ops-store.js';
import { sessionWithUserSelect, toSessionWithUser, toUser } from '../user-rows.js';
import { inTransaction, pgPrepared, pgQuery, type Row } from './connection.js';

/** pg_advisory_xact_lock key of the audit chain's head (distinct from migrate.ts's). */
export const auditLockKey = 7_316_202_612;

const deliveryStates: ReadonlySet<string> = new Set(['pending', 'delivered', 'failed', 'none']);

function toAudit(row: Row): AuditRow {
  return {
    seq: Number(row.seq),
    atMs: Number(row.at_ms),
    actor: String(row.actor),
    role: String(row.role),
    action: String(row.action),
    target: String(row.target),
    outcome: String(row.outcome),
    detail: JSON.parse(String(row.detail_json)) as Record<string, unknown>,
    prevSha256: String(row.prev_sha256),
    sha256: String(row.sha256),
  };
}

function toAlert(row: Row): AlertRecord {
  const kind = String(row.kind);
  if (!isAlertKind(kind)) throw new HqError('HQ_STORE_FAILED', `stored alert has unknown kind ${kind}`);
  const state = String(row.delivery_state);
  if (!deliveryStates.has(state))
    throw new HqError('HQ_STORE_FAILED', `stored alert has unknown delivery state ${state}`);
  return {
    alertId: Number(row.alert_id),
    kind: kind as AlertKind,
    stationId: String(row.station_id),
    detail: String(row.detail),
    openedAtMs: Number(row.opened_at_ms),
    ackedBy: row.acked_by === null ? null : String(row.acked_by),
    ackedAtMs: row.acked_at_ms === null ? null : Number(row.acked_at_ms),
    deliveryState: state as AlertDeliveryState,
    deliveryAttempts: Number(row.delivery_attempts),
    deliveryNextAtMs: Number(row.delivery_next_at_ms),
    deliveryLastError: String(row.delivery_last_error),
  };
}

/** "WHERE a AND b" from the filters that are set, with $n placeholders after `args`. */
function whereOf(filters: ReadonlyArray<[string, unknown]>, args: unknown[]): string {
  const clauses: string[] = [];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    args.push(value);
    clauses.push(column.replace('?', `$${args.length}`));
  }
  return clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
}

export class PostgresOpsStore implements OpsStore {
  readonly #pool: pg.Pool;

  /** `pool`: the PostgresStore's pool (migrated to 0003 or later). */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async addUser(user: UserRecord): Promise<'added' | 'exists'> {
    const rows = await pgQuery(
      this.#pool,
      'add a user',
      `INSERT INTO hq_users (user_name, role, branch_id, password_hash, created_at_ms, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_name) DO NOTHING RETURNING user_name`,
      [user.userName, user.role, user.branchId, user.passwordHash, user.createdAtMs, user.createdBy],
    );
    return rows.length === 1 ? 'added' : 'exists';
  }

  async getUser(userName: string): Promise<UserRecord | undefined> {
    // PostgreSQL text never holds U+0000, so no stored user has such a name (a hostile login must
    // answer "unknown user" as on SQLite, not fail the query).
    if (userName.includes('\u0000')) return undefined;
    const rows = await pgQuery(this.#pool, 'read a user', 'SELECT * FROM hq_users WHERE user_name = $1', [
      userName,
    ]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async saveSession(session: SessionRecord): Promise<void> {
    await pgQuery(
      this.#pool,
      'save a session',
      'INSERT INTO hq_sessions (token_sha256, user_name, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)',
      [session.tokenSha256, session.userName, session.createdAtMs, session.expiresAtMs],
    );
  }

  async getSession(tokenSha256: string): Promise<SessionWithUser | undefined> {
    // Prepared: every API request makes this read.
    const rows = await pgPrepared(this.#pool, 'read a session', `${sessionWithUserSelect}$1`, [tokenSha256]);
    return rows[0] === undefined ? undefined : toSessionWithUser(rows[0]);
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    await pgQuery(this.#pool, 'delete a session', 'DELETE FROM hq_sessions WHERE token_sha256 = $1', [
      tokenSha256,
    ]);
  }

  async pruneSessions(nowMs: number): Promise<number> {
    const rows = await pgQuery(
      this.#pool,
      'prune sessions',
      'DELETE FROM hq_sessions WHERE expires_at_ms <= $1 RETURNING token_sha256',
      [nowMs],
    );
    return rows.length;
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRow> {
    return inTransaction(this.#pool, 'append to the audit log', async (client) => {
      // Held to COMMIT: the next appender (any process) reads the head only after this row is in.
      await client.query('SELECT pg_advisory_xact_lock($1)', [auditLockKey]);
      const head = (await client.query('SELECT * FROM hq_audit ORDER BY seq DESC LIMIT 1')).rows as Row[];
      const sealed = sealAuditRow(head[0] === undefined ? undefined : toAudit(head[0]), entry);
      await client.query(
        `INSERT INTO hq_audit (seq, at_ms, actor, role, action, target, outcome, detail_json, prev_sha256, sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          sealed.seq,
          sealed.atMs,
          sealed.actor,
          sealed.role,
          sealed.action,
          sealed.target,
          sealed.outcome,
          JSON.stringify(sealed.detail),
          sealed.prevSha256,
          sealed.sha256,
        ],
      );
      return sealed;
    });
  }

  async auditRows(query: AuditQuery): Promise<AuditRow[]> {
    // No stored row holds U+0000 (app/audit-log.ts replaces it): such a filter matches nothing.
    if ([query.actor, query.action, query.target].some((value) => value?.includes('\u0000') === true))
      return [];
    const args: unknown[] = [];
    const where = whereOf(
      [
        ['actor = ?', query.actor],
        ['action = ?', query.action],
        ['target = ?', query.target],
        ['seq >= ?', query.seqMin],
        ['at_ms >= ?', query.atMsMin],
        ['at_ms < ?', query.atMsMax],
      ],
      args,
    );
    args.push(query.limit, query.offset ?? 0);
    const rows = await pgQuery(
      this.#pool,
      'read the audit log',
      `SELECT * FROM hq_audit ${where} ORDER BY seq ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${args.length - 1} OFFSET $${args.length}`,
      args,
    );
    return rows.map(toAudit);
  }

  async auditChain(): Promise<AuditRow[]> {
    const rows = await pgQuery(this.#pool, 'read the audit chain', 'SELECT * FROM hq_audit ORDER BY seq');
    return rows.map(toAudit);
  }

  async openAlert(
    alert: Pick<AlertRecord, 'kind' | 'stationId' | 'detail' | 'openedAtMs' | 'deliveryState'>,
  ): Promise<{ outcome: 'opened' | 'exists'; alert: AlertRecord }> {
    // ON CONFLICT waits for a concurrent insert of the same key to commit, then does nothing; the
    // SELECT (a new snapshot) sees that row. Should it be acknowledged in between, try once more.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const inserted = await pgQuery(
        this.#pool,
        'open an alert',
        `INSERT INTO hq_alerts (kind, station_id, detail, opened_at_ms, delivery_state, delivery_next_at_ms)
         VALUES ($1, $2, $3, $4, $5, $4)
         ON CONFLICT (kind, station_id) WHERE acked_at_ms IS NULL DO NOTHING RETURNING *`,
        [alert.kind, alert.stationId, alert.detail, alert.openedAtMs, alert.deliveryState],
      );
      if (inserted[0] !== undefined) return { outcome: 'opened', alert: toAlert(inserted[0]) };
      const open = await pgQuery(
        this.#pool,
        'read an open alert',
        'SELECT * FROM hq_alerts WHERE kind = $1 AND station_id = $2 AND acked_at_ms IS NULL',
        [alert.kind, alert.stationId],
      );
      if (open[0] !== undefined) return { outcome: 'exists', alert: toAlert(open[0]) };
    }
    throw new HqError('HQ_STORE_FAILED', 'the HQ store could not open an alert (acknowledged while opening)');
  }

  async getAlert(alertId: number): Promise<AlertRecord | undefined> {
    const rows = await pgQuery(this.#pool, 'read an alert', 'SELECT * FROM hq_alerts WHERE alert_id = $1', [
      alertId,
    ]);
    return rows[0] === undefined ? undefined : toAlert(rows[0]);
  }

  async alerts(query: AlertQuery): Promise<AlertRecord[]> {
    const args: unknown[] = [];
    const clauses: string[] = [];
    if (query.open === true) clauses.push('acked_at_ms IS NULL');
    if (query.open === false) clauses.push('acked_at_ms IS NOT NULL');
    if (query.branchId !== undefined) {
      args.push(query.branchId);
      clauses.push(
        `station_id IN (SELECT station_id FROM hq_station_branches WHERE branch_id = $${args.length})`,
      );
    }
    if (query.alertIds !== undefined) {
      args.push([...query.alertIds]);
      clauses.push(`alert_id = ANY($${args.length}::bigint[])`);
    }
    if (query.alertIdsNot !== undefined) {
      args.push([...query.alertIdsNot]);
      clauses.push(`alert_id <> ALL($${args.length}::bigint[])`);
    }
    args.push(query.limit, query.offset);
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    const rows = await pgPrepared(
      this.#pool,
      'list alerts',
      `SELECT * FROM hq_alerts ${where} ORDER BY alert_id DESC LIMIT $${args.length - 1} OFFSET $${args.length}`,
      args,
    );
    return rows.map(toAlert);
  }

  async countOpenAlerts(branchId?: string): Promise<number> {
    const rows = await pgPrepared(
      this.#pool,
      'count open alerts',
      branchId === undefined
        ? 'SELECT COUNT(*)::bigint AS n FROM hq_alerts WHERE acked_at_ms IS NULL'
        : `SELECT COUNT(*)::bigint AS n FROM hq_alerts WHERE acked_at_ms IS NULL
             AND station_id IN (SELECT station_id FROM hq_station_branches WHERE branch_id = $1)`,
      branchId === undefined ? [] : [branchId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async acknowledgeAlert(
    alertId: number,
    by: string,
    atMs: number,
  ): Promise<'acked' | 'already' | 'unknown'> {
    const updated = await pgQuery(
      this.#pool,
      'acknowledge an alert',
      `UPDATE hq_alerts SET acked_by = $1, acked_at_ms = $2 WHERE alert_id = $3 AND acked_at_ms IS NULL
       RETURNING alert_id`,
      [by, atMs, alertId],
    );
    if (updated.length === 1) return 'acked';
    const known = await pgQuery(this.#pool, 'read an alert', 'SELECT 1 FROM hq_alerts WHERE alert_id = $1', [
      alertId,
    ]);
    return known.length === 0 ? 'unknown' : 'already';
  }

  async alertsToDeliver(nowMs: number, limit: number): Promise<AlertRecord[]> {
    // Claimed in one statement; SKIP LOCKED: a row another process is claiming now is its, not ours.
    const rows = await pgQuery(
      this.#pool,
      'claim alerts to deliver',
      `UPDATE hq_alerts SET delivery_next_at_ms = $3 WHERE alert_id IN (
         SELECT alert_id FROM hq_alerts WHERE delivery_state = 'pending' AND delivery_next_at_ms <= $1
         ORDER BY alert_id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [nowMs, limit, nowMs + alertDeliveryClaimMs],
    );
    return rows.map(toAlert).sort((a, b) => a.alertId - b.alertId);
  }

  async recordDelivery(
    alertId: number,
    state: AlertDeliveryState,
    attempts: number,
    nextAtMs: number,
    lastError: string,
  ): Promise<void> {
    await pgQuery(
      this.#pool,
      'record an alert delivery',
      `UPDATE hq_alerts SET delivery_state = $1, delivery_attempts = $2, delivery_next_at_ms = $3,
         delivery_last_error = $4 WHERE alert_id = $5`,
      [state, attempts, nextAtMs, lastError, alertId],
    );
  }

  async discrepanciesAlerted(): Promise<Map<string, number>> {
    const rows = await pgQuery(this.#pool, 'read discrepancy marks', 'SELECT * FROM hq_alert_discrepancies');
    return new Map(rows.map((r) => [String(r.station_id), Number(r.discrepancy_count)]));
  }

  async setDiscrepanciesAlerted(stationId: string, count: number): Promise<void> {
    await pgQuery(
      this.#pool,
      'write a discrepancy mark',
      `INSERT INTO hq_alert_discrepancies (station_id, discrepancy_count) VALUES ($1, $2)
       ON CONFLICT (station_id) DO UPDATE SET discrepancy_count = excluded.discrepancy_count`,
      [stationId, count],
    );
  }

  async setStationBranch(stationId: string, branchId: string): Promise<void> {
    await pgQuery(
      this.#pool,
      'set a station branch',
      `INSERT INTO hq_station_branches (station_id, branch_id) VALUES ($1, $2)
       ON CONFLICT (station_id) DO UPDATE SET branch_id = excluded.branch_id`,
      [stationId, branchId],
    );
  }

  async stationBranches(): Promise<Map<string, string>> {
    const rows = await pgQuery(this.#pool, 'read station branches', 'SELECT * FROM hq_station_branches');
    return new Map(rows.map((r) => [String(r.station_id), String(r.branch_id)]));
  }

  async stationControlVersion(): Promise<string> {
    // A sequence's last_value is visible to every session at once ('' until the first bump).
    const rows = await pgQuery(
      this.#pool,
      'read the station-control version',
      'SELECT last_value, is_called FROM hq_station_control_version',
    );
    const row = rows[0];
    return row === undefined || row.is_called !== true ? '' : String(row.last_value);
  }

  async bumpStationControlVersion(): Promise<string> {
    const rows = await pgQuery(
      this.#pool,
      'bump the station-control version',
      "SELECT nextval('hq_station_control_version') AS version",
    );
    const version = rows[0]?.version;
    if (!Number.isSafeInteger(version)) throw new HqError('HQ_STORE_FAILED', 'nextval gave no version');
    return String(version);
  }
}
