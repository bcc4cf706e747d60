// Journal integrity for `kiosk doctor` and start-up: opens the db read-only and walks the hash
// chain, and checks the outbox agrees with the journal (every unacknowledged event seq present).
import { existsSync } from 'node:fs';
import type { ChainFault } from '../../domain/journal/chain.js';
import { KioskDb } from './kiosk-db.js';

export type JournalIntegrity =
  | { readonly status: 'missing'; readonly path: string }
  | {
      readonly status: 'ok';
      readonly path: string;
      readonly rowCount: number;
      readonly headHashHex: string;
      readonly outboxDepth: number;
      readonly lastEventSeq: number;
      readonly ackedThroughSeq: number;
    }
  | {
      readonly status: 'corrupt';
      readonly path: string;
      readonly code: 'AGENT_JOURNAL_CHAIN_BROKEN' | 'AGENT_OUTBOX_GAP' | 'AGENT_JOURNAL_UNREADABLE';
      readonly detail: string;
      readonly badIndex?: number;
      readonly fault?: ChainFault;
    };

/** Checks a kiosk database file without changing it. */
export function checkJournalIntegrity(path: string): JournalIntegrity {
  if (!existsSync(path)) return { status: 'missing', path };
  let db: KioskDb;
  try {
    db = new KioskDb({ path, readOnly: true });
  } catch (error) {
    return { status: 'corrupt', path, code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) };
  }
  try {
    return checkOpenDb(db, path);
  } catch (error) {
    return { status: 'corrupt', path, code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) };
  } finally {
    db.close();
  }
}

/** Same check on an open store (the agent at start-up). */
export function checkOpenDb(db: KioskDb, path: string): JournalIntegrity {
  const verdict = db.verify();
  if (!verdict.ok) {
    return {
      status: 'corrupt',
      path,
      code: 'AGENT_JOURNAL_CHAIN_BROKEN',
      detail: `hash chain broken at row ${verdict.badIndex}: ${verdict.reason}`,
      badIndex: verdict.badIndex,
      fault: verdict.reason,
    };
  }
  const expectedDepth = db.headSeq() - db.ackedThroughSeq();
  const depth = db.depth();
  if (depth !== expectedDepth) {
    return {
      status: 'corrupt',
      path,
      code: 'AGENT_OUTBOX_GAP',
      detail: `outbox holds ${depth} rows, expected ${expectedDepth} (seq ${db.ackedThroughSeq() + 1}..${db.headSeq()})`,
    };
  }
  return {
    status: 'ok',
    path,
    rowCount: verdict.rowCount,
    headHashHex: verdict.headHashHex,
    outboxDepth: depth,
    lastEventSeq: db.headSeq(),
    ackedThroughSeq: db.ackedThroughSeq(),
  };
}
