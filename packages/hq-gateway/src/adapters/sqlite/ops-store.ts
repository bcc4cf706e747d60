// The OpsStore port on SQLite (issue 11): users, sessions, the audit chain, alerts, station
// branches and the station-control version, in tables added beside the ingest schema (additive:
// CREATE TABLE IF NOT EXISTS on the store's main connection). The audit append reads the last row
// and inserts the next in one IMMEDIATE transaction, so two processes cannot fork the chain.
// PostgreSQL: adapters/postgres/ops-store.ts (the same contract, test/helpers/ops-store-contract.ts).
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
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
import type { Row } from './rows.js';

export const opsSchemaSql = `
-- The same as schema.ts's, so this store also opens on a bare SQLite file (tests); on PostgreSQL
-- the OpsStore is adapters/postgres/ops-store.ts (migration 0003).
CREATE TABLE IF NOT EXISTS hq_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS hq_users (
  user_name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  branch_id TEXT,
  password_hash TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS hq_sessions (
  token_sha256 TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES hq_users(user_name),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS hq_audit (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  prev_sha256 TEXT NOT NULL,
  sha256 TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS hq_alerts (
  alert_id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  station_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  opened_at_ms INTEGER NOT NULL,
  acked_by TEXT,
  acked_at_ms INTEGER,
  delivery_state TEXT NOT NULL CHECK (delivery_state IN ('pending', 'delivered', 'failed', 'none')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_next_at_ms INTEGER NOT NULL DEFAULT 0,
  delivery_last_error TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS hq_alerts_open ON hq_alerts(kind, station_id) WHERE acked_at_ms IS NULL;
CREATE INDEX IF NOT EXISTS hq_alerts_delivery ON hq_alerts(delivery_state, delivery_next_at_ms);
CREATE INDEX IF NOT EXISTS hq_alerts_open_by_id ON hq_alerts(alert_id DESC) WHERE acked_at_ms IS NULL;
CREATE TABLE IF NOT EXISTS hq_alert_discrepancies (
  station_id TEXT PRIMARY KEY,
  discrepancy_count INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS hq_station_branches (
  station_id TEXT PRIMARY KEY,
  branch_id TEXT NOT NULL
) STRICT;
`;

const controlVersionKey = 'station_control_version';

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
  return {
    alertId: Number(row.alert_id),
    kind: kind as AlertKind,
    stationId: String(row.station_id),
    detail: String(row.detail),
    openedAtMs: Number(row.opened_at_ms),
    ackedBy: row.acked_by === null ? null : String(row.acked_by),
    ackedAtMs: row.acked_at_ms === null ? null : Number(row.acked_at_ms),
    deliveryState: String(row.delivery_state) as AlertDeliveryState,
    deliveryAttempts: Number(row.delivery_attempts),
    deliveryNextAtMs: Number(row.delivery_next_at_ms),
    deliveryLastError: String(row.delivery_last_error),
  };
}

export class SqliteOpsStore implements OpsStore {
  readonly #db: Database.Database;
  readonly #appendAudit: (entry: AuditEntry) => AuditRow;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(opsSchemaSql);
    const last = db.prepare('SELECT * FROM hq_audit ORDER BY seq DESC LIMIT 1');
    const insert = db.prepare(
      `INSERT INTO hq_audit (seq, at_ms, actor, role, action, target, outcome, detail_json, prev_sha256, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#appendAudit = db
      .transaction((entry: AuditEntry): AuditRow => {
        const row = last.get() as Row | undefined;
        const sealed = sealAuditRow(row === undefined ? undefined : toAudit(row), entry);
        insert.run(
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
        );
        return sealed;
      })
      .immediate.bind(null) as (entry: AuditEntry) => AuditRow;
  }

  #run<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof HqError) throw error;
      throw new HqError('HQ_STORE_FAILED', `ops store: ${what} failed`, { cause: error });
    }
  }

  async addUser(user: UserRecord): Promise<'added' | 'exists'> {
    return this.#run('add user', () => {
      const info = this.#db
        .prepare(
          `INSERT INTO hq_users (user_name, role, branch_id, password_hash, created_at_ms, created_by)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_name) DO NOTHING`,
        )
        .run(user.userName, user.role, user.branchId, user.passwordHash, user.createdAtMs, user.createdBy);
      return info.changes === 1 ? 'added' : 'exists';
    });
  }

  async getUser(userName: string): Promise<UserRecord | undefined> {
    return this.#run('get user', () => {
      const row = this.#db.prepare('SELECT * FROM hq_users WHERE user_name = ?').get(userName) as
        | Row
        | undefined;
      return row === undefined ? undefined : toUser(row);
    });
  }

  async saveSession(session: SessionRecord): Promise<void> {
    this.#run('save session', () =>
      this.#db
        .prepare(
          'INSERT INTO hq_sessions (token_sha256, user_name, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)',
        )
        .run(session.tokenSha256, session.userName, session.createdAtMs, session.expiresAtMs),
    );
  }

  async getSession(tokenSha256: string): Promise<SessionWithUser | undefined> {
    return this.#run('get session', () => {
      const row = this.#db.prepare(`${sessionWithUserSelect}?`).get(tokenSha256) as Row | undefined;
      return row === undefined ? undefined : toSessionWithUser(row);
    });
  }

  async deleteSession(tokenSha256: string): Promise<void> {
    this.#run('delete session', () =>
      this.#db.prepare('DELETE FROM hq_sessions WHERE token_sha256 = ?').run(tokenSha256),
    );
  }

  async pruneSessions(nowMs: number): Promise<number> {
    return this.#run(
      'prune sessions',
      () => this.#db.prepare('DELETE FROM hq_sessions WHERE expires_at_ms <= ?').run(nowMs).changes,
    );
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRow> {
    return this.#run('append audit', () => this.#appendAudit(entry));
  }

  async auditRows(query: AuditQuery): Promise<AuditRow[]> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const filters: Array<[string, string | number | undefined]> = [
      ['actor = ?', query.actor],
      ['action = ?', query.action],
      ['target = ?', query.target],
      ['seq >= ?', query.seqMin],
      ['at_ms >= ?', query.atMsMin],
      ['at_ms < ?', query.atMsMax],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    const sql = `SELECT * FROM hq_audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY seq ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`;
    return this.#run('read audit', () =>
      (this.#db.prepare(sql).all(...args, query.limit, query.offset ?? 0) as Row[]).map(toAudit),
    );
  }

  async auditChain(): Promise<AuditRow[]> {
    return this.#run('read audit chain', () =>
      (this.#db.prepare('SELECT * FROM hq_audit ORDER BY seq').all() as Row[]).map(toAudit),
    );
  }

  async openAlert(
    alert: Pick<AlertRecord, 'kind' | 'stationId' | 'detail' | 'openedAtMs' | 'deliveryState'>,
  ): Promise<{ outcome: 'opened' | 'exists'; alert: AlertRecord }> {
    return this.#run('open alert', () => {
      const info = this.#db
        .prepare(
          `INSERT INTO hq_alerts (kind, station_id, detail, opened_at_ms, delivery_state, delivery_next_at_ms)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, station_id) WHERE acked_at_ms IS NULL DO NOTHING`,
        )
        .run(
          alert.kind,
          alert.stationId,
          alert.detail,
          alert.openedAtMs,
          alert.deliveryState,
          alert.openedAtMs,
        );
      const row = this.#db
        .prepare('SELECT * FROM hq_alerts WHERE kind = ? AND station_id = ? AND acked_at_ms IS NULL')
        .get(alert.kind, alert.stationId) as Row;
      return { outcome: info.changes === 1 ? 'opened' : 'exists', alert: toAlert(row) };
    });
  }

  async getAlert(alertId: number): Promise<AlertRecord | undefined> {
    return this.#run('get alert', () => {
      const row = this.#db.prepare('SELECT * FROM hq_alerts WHERE alert_id = ?').get(alertId) as
        | Row
        | undefined;
      return row === undefined ? undefined : toAlert(row);
    });
  }

  async alerts(query: AlertQuery): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (query.open === true) where.push('acked_at_ms IS NULL');
    if (query.open === false) where.push('acked_at_ms IS NOT NULL');
    if (query.branchId !== undefined) {
      where.push('station_id IN (SELECT station_id FROM hq_station_branches WHERE branch_id = ?)');
      args.push(query.branchId);
    }
    if (query.alertIds !== undefined) {
      where.push('alert_id IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(query.alertIds));
    }
    if (query.alertIdsNot !== undefined) {
      where.push('alert_id NOT IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(query.alertIdsNot));
    }
    const sql = `SELECT * FROM hq_alerts ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY alert_id DESC LIMIT ? OFFSET ?`;
    return this.#run('list alerts', () =>
      (this.#db.prepare(sql).all(...args, query.limit, query.offset) as Row[]).map(toAlert),
    );
  }

  async countOpenAlerts(branchId?: string): Promise<number> {
    return this.#run('count alerts', () =>
      Number(
        (
          (branchId === undefined
            ? this.#db.prepare('SELECT COUNT(*) AS n FROM hq_alerts WHERE acked_at_ms IS NULL').get()
            : this.#db
                .prepare(
                  `SELECT COUNT(*) AS n FROM hq_alerts WHERE acked_at_ms IS NULL
                     AND station_id IN (SELECT station_id FROM hq_station_branches WHERE branch_id = ?)`,
                )
                .get(branchId)) as Row
        ).n,
      ),
    );
  }

  async acknowledgeAlert(
    alertId: number,
    by: string,
    atMs: number,
  ): Promise<'acked' | 'already' | 'unknown'> {
    return this.#run('acknowledge alert', () => {
      const info = this.#db
        .prepare(
          'UPDATE hq_alerts SET acked_by = ?, acked_at_ms = ? WHERE alert_id = ? AND acked_at_ms IS NULL',
        )
        .run(by, atMs, alertId);
      if (info.changes === 1) return 'acked';
      return this.#db.prepare('SELECT 1 FROM hq_alerts WHERE alert_id = ?').get(alertId) === undefined
        ? 'unknown'
        : 'already';
    });
  }

  async alertsToDeliver(nowMs: number, limit: number): Promise<AlertRecord[]> {
    // Claimed in one statement (SQLite serialises writers), as on PostgreSQL.
    return this.#run('claim alerts to deliver', () =>
      (
        this.#db
          .prepare(
            `UPDATE hq_alerts SET delivery_next_at_ms = ? WHERE alert_id IN (
               SELECT alert_id FROM hq_alerts WHERE delivery_state = 'pending' AND delivery_next_at_ms <= ?
               ORDER BY alert_id LIMIT ?)
             RETURNING *`,
          )
          .all(nowMs + alertDeliveryClaimMs, nowMs, limit) as Row[]
      )
        .map(toAlert)
        .sort((a, b) => a.alertId - b.alertId),
    );
  }

  async recordDelivery(
    alertId: number,
    state: AlertDeliveryState,
    attempts: number,
    nextAtMs: number,
    lastError: string,
  ): Promise<void> {
    this.#run('record delivery', () =>
      this.#db
        .prepare(
          `UPDATE hq_alerts SET delivery_state = ?, delivery_attempts = ?, delivery_next_at_ms = ?,
             delivery_last_error = ? WHERE alert_id = ?`,
        )
        .run(state, attempts, nextAtMs, lastError, alertId),
    );
  }

  async discrepanciesAlerted(): Promise<Map<string, number>> {
    return this.#run('read discrepancy marks', () => {
      const rows = this.#db.prepare('SELECT * FROM hq_alert_discrepancies').all() as Row[];
      return new Map(rows.map((r) => [String(r.station_id), Number(r.discrepancy_count)]));
    });
  }

  async setDiscrepanciesAlerted(stationId: string, count: number): Promise<void> {
    this.#run('write discrepancy mark', () =>
      this.#db
        .prepare(
          `INSERT INTO hq_alert_discrepancies (station_id, discrepancy_count) VALUES (?, ?)
           ON CONFLICT (station_id) DO UPDATE SET discrepancy_count = excluded.discrepancy_count`,
        )
        .run(stationId, count),
    );
  }

  async setStationBranch(stationId: string, branchId: string): Promise<void> {
    this.#run('set station branch', () =>
      this.#db
        .prepare(
          `INSERT INTO hq_station_branches (station_id, branch_id) VALUES (?, ?)
           ON CONFLICT (station_id) DO UPDATE SET branch_id = excluded.branch_id`,
        )
        .run(stationId, branchId),
    );
  }

  async stationBranches(): Promise<Map<string, string>> {
    return this.#run('read station branches', () => {
      const rows = this.#db.prepare('SELECT * FROM hq_station_branches').all() as Row[];
      return new Map(rows.map((r) => [String(r.station_id), String(r.branch_id)]));
    });
  }

  async stationControlVersion(): Promise<string> {
    return this.#run('read control version', () => {
      const row = this.#db.prepare('SELECT value FROM hq_meta WHERE key = ?').get(controlVersionKey) as
        | Row
        | undefined;
      return row === undefined ? '' : String(row.value);
    });
  }

  async bumpStationControlVersion(): Promise<string> {
    // A fresh random token, not a counter: any change is noticed, and two writers never need to
    // agree on a number.
    const version = randomBytes(12).toString('hex');
    this.#run('bump control version', () =>
      this.#db
        .prepare(
          'INSERT INTO hq_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(controlVersionKey, version),
    );
    return version;
  }
}
