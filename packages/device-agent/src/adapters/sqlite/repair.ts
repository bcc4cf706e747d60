// The technician's repair of a damaged kiosk store (`kiosk repair`, issue 9), run with the agent
// stopped. The journal is the source of truth and is never changed: first the damaged file is
// copied aside untouched (kiosk.db.damaged-<time>, with its -wal), then what is a copy of the
// journal is rebuilt from it: every index (REINDEX), the outbox (each unacknowledged event, as
// the journal holds it), the meta counters and chain heads (re-derived), and the sealed meta
// (kept when its seal holds; otherwise bdSeq is moved far ahead, so it stays strictly increasing,
// and the ack mark is reset to 0, so every event is sent again and HQ, which stores by event id,
// drops the copies). A broken hash chain or damaged pages SQLite cannot fix are refused: the
// journal itself is lost from there, and only HQ's record can replace it (docs/operations.md).
import { copyFileSync, existsSync } from 'node:fs';
import { deriveStore } from '../../domain/journal/derive.js';
import type { OutboxRow } from '../../ports/outbox.js';
import { checkOpenDb, type JournalIntegrity } from './integrity.js';
import { KioskDb } from './kiosk-db.js';
import {
  META_ACKED_THROUGH_SEQ,
  META_LAST_EVENT_ENVELOPE_SHA256,
  META_LAST_EVENT_SEQ,
  META_SCHEMA_2_FROM_INDEX,
  META_SCHEMA_VERSION,
  META_SEAL,
  SCHEMA_VERSION,
} from './schema.js';

/** How far bdSeq jumps when its stored value cannot be trusted (it must only ever increase). */
const bdSeqJumpAfterRepair = 1_000_000;

export type RepairResult =
  | { readonly status: 'missing'; readonly path: string }
  | { readonly status: 'intact'; readonly path: string; readonly check: JournalIntegrity }
  | {
      readonly status: 'repaired';
      readonly path: string;
      readonly backupPath: string;
      readonly before: JournalIntegrity;
      readonly actions: readonly string[];
      readonly after: JournalIntegrity;
    }
  | {
      readonly status: 'refused';
      readonly path: string;
      readonly backupPath: string | null;
      readonly before: JournalIntegrity;
      readonly reason: string;
    };

function backup(path: string, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
  const backupPath = `${path}.damaged-${stamp}`;
  copyFileSync(path, backupPath);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${backupPath}-wal`);
  return backupPath;
}

/** Checks the store in full and, when it is damaged but its journal is intact, rebuilds the rest. */
export function repairStore(path: string, nowMs: number): RepairResult {
  if (!existsSync(path)) return { status: 'missing', path };
  let db: KioskDb;
  try {
    db = new KioskDb({ path });
  } catch (error) {
    const before: JournalIntegrity = {
      status: 'corrupt',
      path,
      code: 'AGENT_JOURNAL_UNREADABLE',
      detail: String(error),
      problems: [{ code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) }],
    };
    return {
      status: 'refused',
      path,
      backupPath: backup(path, nowMs),
      before,
      reason: 'SQLite cannot open the file',
    };
  }
  try {
    const before = checkOpenDb(db, path, { full: true });
    if (before.status !== 'corrupt') return { status: 'intact', path, check: before };
    const backupPath = backup(path, nowMs);
    const actions: string[] = [];
    db.reindex();
    actions.push('every index rebuilt from its table (REINDEX)');
    const sqlite = db.sqliteCheck(true);
    if (sqlite.length > 0)
      return {
        status: 'refused',
        path,
        backupPath,
        before,
        reason: `pages SQLite cannot repair: ${sqlite.slice(0, 3).join('; ')}`,
      };
    const sealed = db.sealedMeta();
    const sealHolds = db.getMeta(META_SEAL) !== null && checkSealOnly(db);
    const storedAcked = Number(db.getMeta(META_ACKED_THROUGH_SEQ) ?? '0');
    const ackedThroughSeq = sealHolds && Number.isSafeInteger(storedAcked) ? storedAcked : 0;
    const schema2From = Number(db.getMeta(META_SCHEMA_2_FROM_INDEX) ?? '0');
    const derived = deriveStore(db.rows(0), {
      ackedThroughSeq,
      schema2FromIndex: Number.isSafeInteger(schema2From) ? schema2From : 0,
    });
    if (!derived.chain.ok)
      return {
        status: 'refused',
        path,
        backupPath,
        before,
        reason: `the journal's hash chain is broken at row ${derived.chain.badIndex} (${derived.chain.reason}): rows from there cannot be trusted`,
      };
    const outbox: OutboxRow[] = [];
    for (const [seq, row] of derived.unacked) {
      if (row === null)
        return {
          status: 'refused',
          path,
          backupPath,
          before,
          reason: `event seq ${seq} predates schema 2: the journal has no copy of it`,
        };
      outbox.push(row);
    }
    db.rebuildOutbox(outbox);
    actions.push(`outbox rebuilt from the journal: ${outbox.length} event(s) above seq ${ackedThroughSeq}`);
    const meta = new Map(derived.meta);
    if (derived.lastEventSeq > 0) meta.set(META_LAST_EVENT_SEQ, String(derived.lastEventSeq));
    if (derived.lastEventEnvelopeSha256Hex !== null)
      meta.set(META_LAST_EVENT_ENVELOPE_SHA256, derived.lastEventEnvelopeSha256Hex);
    actions.push(`${meta.size} meta counter(s) and chain heads re-derived from the journal`);
    const keep = new Map<string, string>();
    if (sealHolds) {
      for (const [key, value] of sealed) keep.set(key, value);
      actions.push(`sealed meta kept (${[...sealed.keys()].join(', ')})`);
    } else {
      const bdSeq = Number(sealed.get('bd_seq') ?? '0');
      keep.set('bd_seq', String((Number.isSafeInteger(bdSeq) ? bdSeq : 0) + bdSeqJumpAfterRepair));
      keep.set(META_ACKED_THROUGH_SEQ, '0');
      if (Number.isSafeInteger(schema2From) && schema2From > 0)
        keep.set(META_SCHEMA_2_FROM_INDEX, String(schema2From));
      const dropped = [...sealed.keys()].filter(
        (key) =>
          !['bd_seq', META_ACKED_THROUGH_SEQ, META_SCHEMA_2_FROM_INDEX, META_SCHEMA_VERSION].includes(key),
      );
      actions.push(
        `the seal over the other meta was broken: bdSeq moved ahead by ${bdSeqJumpAfterRepair}, ack mark reset to 0 (every event is sent again; HQ drops the copies)${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}`,
      );
    }
    keep.set(META_SCHEMA_VERSION, String(SCHEMA_VERSION));
    db.rewriteMeta(meta, keep);
    db.append({
      kind: 'store.repaired',
      txId: `repair-${nowMs}`,
      createdAtMs: nowMs,
      payload: {
        backupFile: backupPath.slice(backupPath.lastIndexOf('/') + 1),
        actions,
        found: before.detail.slice(0, 2_000),
      },
    });
    const after = checkOpenDb(db, path, { full: true });
    return { status: 'repaired', path, backupPath, before, actions, after };
  } finally {
    db.close();
  }
}

/** Does the seal still cover the sealed entries? (Nothing else is checked here.) */
function checkSealOnly(db: KioskDb): boolean {
  const check = checkOpenDb(db, 'seal');
  if (check.status !== 'corrupt') return true;
  return !check.problems.some((problem) => problem.detail.startsWith('the seal over meta'));
}
