// Store integrity for start-up and `kiosk doctor` (issue 9): nothing the kiosk relies on is
// trusted unchecked. In order: SQLite's own check (integrity_check, at start-up too; quick_check only
// when asked), the schema, every index against its table, the journal's hash
// chain, then what the journal derives (last event seq, last envelope hash, every meta counter a
// row moved) against meta, the seal over the meta no row moves, and the outbox row by row against
// the events the journal holds. Every finding is listed (R21); the first one gives the code.
import { existsSync, statSync } from 'node:fs';
import type { ChainFault } from '../../domain/journal/chain.js';
import { type DerivedStore, deriveStore, metaSealHex } from '../../domain/journal/derive.js';
import type { AgentErrorCode } from '../../errors.js';
import type { OutboxRow } from '../../ports/outbox.js';
import { KioskDb } from './kiosk-db.js';
import {
  META_ACKED_THROUGH_SEQ,
  META_LAST_EVENT_ENVELOPE_SHA256,
  META_LAST_EVENT_SEQ,
  META_SCHEMA_2_FROM_INDEX,
  META_SCHEMA_VERSION,
  META_SEAL,
  SCHEMA_COLUMNS,
  SCHEMA_OBJECTS,
  SCHEMA_VERSION,
} from './schema.js';

export type StoreFaultCode =
  | 'AGENT_JOURNAL_CHAIN_BROKEN'
  | 'AGENT_OUTBOX_GAP'
  | 'AGENT_JOURNAL_UNREADABLE'
  | 'AGENT_STORE_SQLITE_CORRUPT'
  | 'AGENT_STORE_OUTBOX_MISMATCH'
  | 'AGENT_STORE_META_MISMATCH';

export interface StoreProblem {
  readonly code: StoreFaultCode & AgentErrorCode;
  readonly detail: string;
}

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
      /** integrity_check by default (start-up and doctor); quick_check only when asked. */
      readonly sqliteCheck: 'quick_check' | 'integrity_check';
    }
  | {
      readonly status: 'corrupt';
      readonly path: string;
      /** The first problem's code (precedence: SQLite, chain, meta, outbox). */
      readonly code: StoreFaultCode;
      readonly detail: string;
      /** Every problem found (R21). */
      readonly problems: readonly StoreProblem[];
      readonly badIndex?: number;
      readonly fault?: ChainFault;
    };

/** Problems listed in a corrupt verdict, at most (one bad page can produce thousands of lines). */
const problemsListedMax = 20;

function open(path: string, check: (db: KioskDb) => JournalIntegrity): JournalIntegrity {
  if (!existsSync(path)) return { status: 'missing', path };
  let db: KioskDb;
  try {
    db = openReadOnly(path);
  } catch (error) {
    return corrupt(path, [{ code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) }]);
  }
  try {
    return check(db);
  } catch (error) {
    return corrupt(path, [{ code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) }]);
  } finally {
    db.close();
  }
}

/**
 * Opens read-only; on a full disk (SQLite cannot create the -shm a WAL file needs to be read) a
 * cleanly closed store is read from an in-memory copy instead: a full disk is not a damaged journal.
 */
export function openReadOnly(path: string): KioskDb {
  let db: KioskDb | null = null;
  try {
    db = new KioskDb({ path, readOnly: true });
    db.rowCount(); // the first read is where a missing -shm shows
    return db;
  } catch (error) {
    db?.close();
    const code = String((error as { code?: unknown }).code ?? '');
    const cannotCreate =
      code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL';
    // The failed open leaves an empty -wal behind; a -wal with frames would be missing from a copy.
    const walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
    if (!cannotCreate || walBytes > 0) throw error;
    return new KioskDb({ path, readOnly: true, copyInMemory: true });
  }
}

/** The start-up check on a file, without changing it. */
export function checkJournalIntegrity(path: string): JournalIntegrity {
  return open(path, (db) => checkOpenDb(db, path));
}

/** The doctor's check: the same plus SQLite's full integrity_check. */
export function checkStoreFull(path: string): JournalIntegrity {
  return open(path, (db) => checkOpenDb(db, path, { full: true }));
}

function corrupt(
  path: string,
  problems: readonly StoreProblem[],
  chain?: { badIndex: number; fault: ChainFault },
): JournalIntegrity {
  const first = problems[0];
  if (first === undefined) throw new Error('assert: a corrupt verdict has a problem');
  const listed = problems.slice(0, problemsListedMax);
  const more = problems.length - listed.length;
  return {
    status: 'corrupt',
    path,
    code: first.code,
    detail:
      listed.map((problem) => `${problem.code}: ${problem.detail}`).join('; ') +
      (more > 0 ? `; … ${more} more` : ''),
    problems: listed,
    ...(chain === undefined ? {} : { badIndex: chain.badIndex, fault: chain.fault }),
  };
}

function schemaProblems(db: KioskDb): StoreProblem[] {
  const problems: StoreProblem[] = db
    .schemaTextProblems(db.getMeta(META_SCHEMA_2_FROM_INDEX) !== null)
    .map((detail) => ({ code: 'AGENT_STORE_SQLITE_CORRUPT' as const, detail }));
  const objects = db.schemaObjects();
  if (objects.join() !== SCHEMA_OBJECTS.join())
    problems.push({
      code: 'AGENT_STORE_SQLITE_CORRUPT',
      detail: `the schema holds ${objects.join('; ')}, expected ${SCHEMA_OBJECTS.join('; ')}`,
    });
  for (const [table, expected] of Object.entries(SCHEMA_COLUMNS)) {
    const columns = db.columnsOf(table);
    const schema1 = table === 'journal' && columns.join() === expected.slice(0, 8).join();
    if (columns.join() !== expected.join() && !schema1)
      problems.push({
        code: 'AGENT_STORE_SQLITE_CORRUPT',
        detail: `table ${table} has columns (${columns.join(', ')}), expected (${expected.join(', ')})`,
      });
  }
  return problems;
}

/** A meta value that must be a non-negative integer. */
function counterOf(value: string | null): number | null {
  if (value === null) return 0;
  return /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : null;
}

function metaProblems(db: KioskDb, derived: DerivedStore): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const mismatch = (detail: string) => problems.push({ code: 'AGENT_STORE_META_MISMATCH', detail });
  const expected = new Map(derived.meta);
  if (derived.lastEventSeq > 0) expected.set(META_LAST_EVENT_SEQ, String(derived.lastEventSeq));
  if (derived.lastEventEnvelopeSha256Hex !== null)
    expected.set(META_LAST_EVENT_ENVELOPE_SHA256, derived.lastEventEnvelopeSha256Hex);
  for (const [key, value] of expected) {
    const stored = db.getMeta(key);
    if (stored !== value)
      mismatch(`meta ${key} is ${JSON.stringify(stored)}, the journal says ${JSON.stringify(value)}`);
  }
  const sealed = db.sealedMeta();
  const seal = db.getMeta(META_SEAL);
  if (seal !== metaSealHex(sealed))
    mismatch(
      `the seal over meta ${[...sealed.keys()].join(', ')} does not match (a sealed entry or the seal changed)`,
    );
  if (db.getMeta(META_SCHEMA_VERSION) !== String(SCHEMA_VERSION))
    mismatch(`meta ${META_SCHEMA_VERSION} is ${JSON.stringify(db.getMeta(META_SCHEMA_VERSION))}`);
  return problems;
}

function outboxProblems(db: KioskDb, derived: DerivedStore, ackedThroughSeq: number): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const seen = new Set<number>();
  for (const row of db.outboxRows()) {
    seen.add(row.seq);
    if (row.seq <= ackedThroughSeq || row.seq > derived.lastEventSeq) {
      problems.push({
        code: 'AGENT_OUTBOX_GAP',
        detail: `outbox holds seq ${row.seq}, outside ${ackedThroughSeq + 1}..${derived.lastEventSeq}`,
      });
      continue;
    }
    const expected = derived.unacked.get(row.seq);
    if (expected !== null && expected !== undefined && !sameOutboxRow(row, expected)) {
      problems.push({
        code: 'AGENT_STORE_OUTBOX_MISMATCH',
        detail: `outbox seq ${row.seq} differs from the event the journal holds`,
      });
    }
  }
  const missing = [...derived.unacked.keys()].filter((seq) => !seen.has(seq));
  if (missing.length > 0) {
    problems.push({
      code: 'AGENT_OUTBOX_GAP',
      detail: `outbox lacks ${missing.length} unacknowledged seq(s) (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}) of ${ackedThroughSeq + 1}..${derived.lastEventSeq}`,
    });
  }
  return problems;
}

function sameOutboxRow(row: OutboxRow, expected: OutboxRow): boolean {
  return (
    row.eventId === expected.eventId &&
    row.payloadType === expected.payloadType &&
    Buffer.from(row.envelopeBytes).equals(Buffer.from(expected.envelopeBytes))
  );
}

/**
 * Same check on an open store (the agent at start-up; doctor with `full`). Never throws: a store
 * too damaged to read is AGENT_JOURNAL_UNREADABLE.
 */
export function checkOpenDb(db: KioskDb, path: string, options: { full?: boolean } = {}): JournalIntegrity {
  try {
    // Full integrity_check by default, at start-up too: the corruption sweep found an index-record
    // flip (the stored copy of a rowid-alias column, seed 4128445980) that quick_check and the
    // index-against-table reads both pass and only integrity_check sees. quick_check on request.
    return checkOpenDbOrThrow(db, path, options.full !== false);
  } catch (error) {
    return corrupt(path, [{ code: 'AGENT_JOURNAL_UNREADABLE', detail: String(error) }]);
  }
}

function checkOpenDbOrThrow(db: KioskDb, path: string, full: boolean): JournalIntegrity {
  if (typeof full !== 'boolean') throw new Error('assert: full is a boolean');
  const sqlite: StoreProblem[] = [
    ...db.sqliteCheck(full).map((detail) => ({ code: 'AGENT_STORE_SQLITE_CORRUPT' as const, detail })),
    ...schemaProblems(db),
  ];
  // Damaged pages make everything after unreliable: stop at SQLite's own verdict.
  if (sqlite.length > 0) return corrupt(path, sqlite);
  const indexes = db
    .indexMismatches()
    .map((detail) => ({ code: 'AGENT_STORE_SQLITE_CORRUPT' as const, detail }));
  const ackedText = db.getMeta(META_ACKED_THROUGH_SEQ);
  const acked = counterOf(ackedText);
  const schema2From = counterOf(db.getMeta(META_SCHEMA_2_FROM_INDEX));
  const early: StoreProblem[] = [...indexes];
  if (acked === null)
    early.push({
      code: 'AGENT_STORE_META_MISMATCH',
      detail: `meta ${META_ACKED_THROUGH_SEQ} is ${JSON.stringify(ackedText)}`,
    });
  if (schema2From === null)
    early.push({
      code: 'AGENT_STORE_META_MISMATCH',
      detail: `meta ${META_SCHEMA_2_FROM_INDEX} is not a number`,
    });
  const derived = deriveStore(db.rows(0), {
    ackedThroughSeq: acked ?? 0,
    schema2FromIndex: schema2From ?? 0,
  });
  const chain = derived.chain;
  if (!chain.ok) {
    return corrupt(
      path,
      [
        ...early,
        {
          code: 'AGENT_JOURNAL_CHAIN_BROKEN',
          detail: `hash chain broken at row ${chain.badIndex}: ${chain.reason}`,
        },
      ],
      { badIndex: chain.badIndex, fault: chain.reason },
    );
  }
  const problems: StoreProblem[] = [
    ...early,
    ...derived.problems.map((detail) => ({ code: 'AGENT_JOURNAL_CHAIN_BROKEN' as const, detail })),
    ...metaProblems(db, derived),
    ...outboxProblems(db, derived, acked ?? 0),
  ];
  if (problems.length > 0) return corrupt(path, problems);
  return {
    status: 'ok',
    path,
    rowCount: chain.rowCount,
    headHashHex: chain.headHashHex,
    outboxDepth: derived.unacked.size,
    lastEventSeq: derived.lastEventSeq,
    ackedThroughSeq: acked ?? 0,
    sqliteCheck: full ? 'integrity_check' : 'quick_check',
  };
}
