// Rows of hq_users and hq_sessions as records, one home for both stores (SQLite and PostgreSQL
// share the schema's column names): a stored role that is not a role is a store failure, not a
// user with no rights.

import { isRole } from '../domain/roles.js';
import { HqError } from '../errors.js';
import type { SessionWithUser, UserRecord } from '../ports/ops-store.js';

type Row = Record<string, unknown>;

/** The columns a session read selects: the user's row plus the session's own. */
export const sessionWithUserSelect = `SELECT s.token_sha256, s.created_at_ms AS session_created_at_ms, s.expires_at_ms, u.*
  FROM hq_sessions s JOIN hq_users u ON u.user_name = s.user_name WHERE s.token_sha256 = `;

export function toUser(row: Row): UserRecord {
  const role = String(row.role);
  if (!isRole(role)) throw new HqError('HQ_STORE_FAILED', `stored user has unknown role ${role}`);
  return {
    userName: String(row.user_name),
    role,
    branchId: row.branch_id === null ? null : String(row.branch_id),
    passwordHash: String(row.password_hash),
    createdAtMs: Number(row.created_at_ms),
    createdBy: String(row.created_by),
  };
}

/** A row of `sessionWithUserSelect`. */
export function toSessionWithUser(row: Row): SessionWithUser {
  const user = toUser(row);
  return {
    session: {
      tokenSha256: String(row.token_sha256),
      userName: user.userName,
      createdAtMs: Number(row.session_created_at_ms),
      expiresAtMs: Number(row.expires_at_ms),
    },
    user,
  };
}
