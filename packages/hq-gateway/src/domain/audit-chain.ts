// The audit log's hash chain (issue 11), like the daily close's (R7): each row holds the SHA-256 of
// the previous row and its own SHA-256 over canonical JSON of its fields and that link, so a
// changed, removed, inserted or reordered row breaks the chain at that row. Pure: the store
// appends, verifyAuditChain checks what it reads back.
import { canonicalJson, sha256Hex } from '@bianmin/core-ledger';
import { assert } from './assert.js';

/** The link of the first row. */
export const auditChainGenesis = '0'.repeat(64);

export interface AuditEntry {
  /** Epoch ms on HQ's clock. */
  readonly atMs: number;
  /** User name, or 'cli:<os user>' for the command line, 'system' for HQ itself. */
  readonly actor: string;
  readonly role: string;
  /** e.g. 'station.enrol', 'quota.purchase', 'audit.read'. */
  readonly action: string;
  /** What it acted on (a station id, a user name), '' when nothing in particular. */
  readonly target: string;
  /** 'ok', or the HQ_ code of the refusal. */
  readonly outcome: string;
  /** Safe details (never a password, token or PAN). */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AuditRow extends AuditEntry {
  /** 1, 2, 3, ... in append order. */
  readonly seq: number;
  readonly prevSha256: string;
  readonly sha256: string;
}

export function auditRowHash(seq: number, entry: AuditEntry, prevSha256: string): string {
  assert(Number.isSafeInteger(seq) && seq >= 1, 'auditRowHash: seq is 1, 2, 3, ...');
  const body = {
    seq,
    atMs: entry.atMs,
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    detail: entry.detail,
    prevSha256,
  };
  return sha256Hex(canonicalJson(body));
}

/** The next row after `previous` (undefined: the first row). */
export function sealAuditRow(previous: AuditRow | undefined, entry: AuditEntry): AuditRow {
  const seq = (previous?.seq ?? 0) + 1;
  const prevSha256 = previous?.sha256 ?? auditChainGenesis;
  assert(/^[0-9a-f]{64}$/.test(prevSha256), 'sealAuditRow: the link is a SHA-256 in hex');
  return { ...entry, seq, prevSha256, sha256: auditRowHash(seq, entry, prevSha256) };
}

export type AuditChainCheck =
  | { readonly ok: true; readonly rowsChecked: number; readonly headSha256: string }
  | {
      readonly ok: false;
      readonly rowsChecked: number;
      /** The first row that does not verify (its seq as stored). */
      readonly brokenAtSeq: number;
      readonly reason: 'seq' | 'link' | 'hash';
    };

/** Check a whole chain read back in seq order. */
export function verifyAuditChain(rows: readonly AuditRow[]): AuditChainCheck {
  let prevSha256 = auditChainGenesis;
  for (const [index, row] of rows.entries()) {
    const fail = (reason: 'seq' | 'link' | 'hash'): AuditChainCheck => ({
      ok: false,
      rowsChecked: index,
      brokenAtSeq: row.seq,
      reason,
    });
    if (row.seq !== index + 1) return fail('seq');
    if (row.prevSha256 !== prevSha256) return fail('link');
    if (auditRowHash(row.seq, row, row.prevSha256) !== row.sha256) return fail('hash');
    prevSha256 = row.sha256;
  }
  assert(
    rows.length === 0 || prevSha256 === rows.at(-1)?.sha256,
    'verifyAuditChain: the head is the last row',
  );
  return { ok: true, rowsChecked: rows.length, headSha256: prevSha256 };
}
