// The kiosk's SQLite store (better-sqlite3 12): journal + outbox + meta in one file, WAL with
// synchronous=FULL, so a committed row survives power loss (TOOLCHAIN.md: NORMAL can roll a
// committed transaction back). Implements JournalPort and OutboxPort. Synchronous by design:
// better-sqlite3 blocks for the fsync, and the agent's single writer needs no locking.
//
// Nothing the store reads back is trusted blindly (issue 9): the head, the last event seq and the
// last envelope hash come from the journal rows (under the hash chain), not from meta; each row
// keeps its event and the meta counters it moved, so `integrity.ts` compares the outbox and meta
// with the journal; the meta entries no row moves are sealed. A write that fails (disk full, I/O)
// commits nothing and is thrown as AGENT_STORE_WRITE_FAILED; only the ack mark, which HQ holds
// anyway, is kept in memory and written again later (`retryDeferred`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  type ChainVerdict,
  canonicalJson,
  chainRow,
  type JournalRow,
  verifyChain,
} from '../../domain/journal/chain.js';
import { metaSealHex } from '../../domain/journal/derive.js';
import { AgentError } from '../../errors.js';
import { walJournalSizeLimitBytes } from '../../limits.js';
import type { JournalAppend, JournalPort } from '../../ports/journal.js';
import type { OutboxPort, OutboxRow } from '../../ports/outbox.js';
import {
  indexMismatches,
  schemaObjects,
  schemaTextProblems,
  sqliteCheck,
  tableColumns,
} from './inspection.js';
import {
  isWriteFailure,
  JOURNAL_COLUMNS,
  JOURNAL_COLUMNS_SCHEMA_1,
  type JournalRecord,
  toRow,
  writeFailed,
} from './records.js';
import {
  META_ACKED_THROUGH_SEQ,
  META_LAST_EVENT_ENVELOPE_SHA256,
  META_LAST_EVENT_SEQ,
  META_SCHEMA_2_FROM_INDEX,
  META_SCHEMA_VERSION,
  META_SEAL,
  SCHEMA_2_MIGRATION_SQL,
  SCHEMA_SQL,
  SCHEMA_VERSION,
} from './schema.js';

export interface KioskDbOptions {
  /** File path, or ':memory:' for unit tests. */
  readonly path: string;
  /** Open read-only (`kiosk doctor`): no schema changes, no writes. */
  readonly readOnly?: boolean;
  /**
   * Read-only from an in-memory copy of the file (doctor on a full disk, where SQLite cannot
   * create the -shm file a WAL database needs even to read). Complete only when no -wal is left.
   */
  readonly copyInMemory?: boolean;
}

/** The last write failure, for readiness and telemetry; null once a write succeeded again. */
export interface StoreWriteFault {
  readonly sqliteCode: string;
  readonly what: string;
}

export class KioskDb implements JournalPort, OutboxPort {
  readonly #db: Database.Database;
  readonly #readOnly: boolean;
  #head: JournalRow | null;
  #lastEventSeq: number;
  #lastEventEnvelopeSha256: Uint8Array | null;
  #ackedThroughSeq: number;
  /** The ack mark HQ gave that could not be written yet (disk full); written by retryDeferred. */
  #ackDeferredSeq: number | null = null;
  #writeFault: StoreWriteFault | null = null;
  /** Meta keys some journal row moves (derived, checked against the journal). Lazily built. */
  #derivedKeys: Set<string> | null = null;
  readonly #statements;

  constructor(options: KioskDbOptions) {
    this.#readOnly = options.readOnly === true;
    this.#db =
      options.copyInMemory === true
        ? new Database(rollbackModeCopy(readFileSync(options.path)))
        : new Database(options.path, { readonly: this.#readOnly, fileMustExist: this.#readOnly });
    if (options.copyInMemory === true && !this.#readOnly)
      throw new Error('assert: an in-memory copy is read-only');
    this.#db.pragma('busy_timeout = 5000');
    const fresh = !this.#readOnly && this.#tableColumns('journal').length === 0;
    if (!this.#readOnly) {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('foreign_keys = ON');
      // The WAL is truncated back to this size after each checkpoint (it never keeps the peak).
      this.#db.pragma(`journal_size_limit = ${walJournalSizeLimitBytes}`);
      this.#db.exec(SCHEMA_SQL);
    }
    const schema1 = !this.#tableColumns('journal').includes('envelope');
    if (schema1 && !this.#readOnly) this.#migrateToSchema2();
    const columns = schema1 && this.#readOnly ? JOURNAL_COLUMNS_SCHEMA_1 : JOURNAL_COLUMNS;
    this.#statements = {
      insertJournal: this.#db.prepare(
        `INSERT INTO journal (${JOURNAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertOutbox: this.#db.prepare(
        'INSERT INTO outbox (seq, event_id, payload_type, envelope) VALUES (?, ?, ?, ?)',
      ),
      upsertMeta: this.#db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      getMeta: this.#db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      allMeta: this.#db.prepare('SELECT key, value FROM meta NOT INDEXED ORDER BY rowid'),
      head: this.#db.prepare(`SELECT ${columns} FROM journal ORDER BY idx DESC LIMIT 1`),
      lastEvent: this.#db.prepare(
        `SELECT ${columns} FROM journal WHERE event_seq IS NOT NULL ORDER BY idx DESC LIMIT 1`,
      ),
      metaJsons: this.#db
        .prepare(
          schema1 ? 'SELECT NULL WHERE 0' : 'SELECT meta_json FROM journal WHERE meta_json IS NOT NULL',
        )
        .pluck(),
      rowsFrom: this.#db.prepare(`SELECT ${columns} FROM journal WHERE idx >= ? ORDER BY idx`),
      rowsOfTx: this.#db.prepare(`SELECT ${columns} FROM journal WHERE tx_id = ? ORDER BY idx`),
      rowCount: this.#db.prepare('SELECT COUNT(*) FROM journal').pluck(),
      readOutbox: this.#db.prepare(
        'SELECT seq, event_id, payload_type, envelope FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq',
      ),
      allOutbox: this.#db.prepare('SELECT seq, event_id, payload_type, envelope FROM outbox ORDER BY seq'),
      insertOutboxCopy: this.#db.prepare(
        'INSERT INTO outbox (seq, event_id, payload_type, envelope) VALUES (?, ?, ?, ?)',
      ),
      deleteOutbox: this.#db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      outboxAbove: this.#db.prepare('SELECT COUNT(*) FROM outbox WHERE seq > ?').pluck(),
    };
    if (fresh) {
      this.#db
        .transaction(() => {
          this.#statements.upsertMeta.run(META_SCHEMA_VERSION, String(SCHEMA_VERSION));
          this.#writeSeal();
        })
        .immediate();
    }
    const headRecord = this.#statements.head.get() as JournalRecord | undefined;
    this.#head = headRecord === undefined ? null : toRow(headRecord);
    // Derived from the journal (chained), never from meta: a flipped meta byte cannot move them.
    const lastEvent = this.#statements.lastEvent.get() as JournalRecord | undefined;
    this.#lastEventSeq = lastEvent?.event_seq ?? 0;
    this.#lastEventEnvelopeSha256 =
      lastEvent?.envelope === null || lastEvent === undefined
        ? this.#legacyLastEnvelopeSha256()
        : new Uint8Array(createHash('sha256').update(lastEvent.envelope).digest());
    this.#ackedThroughSeq = Number(this.getMeta(META_ACKED_THROUGH_SEQ) ?? '0');
  }

  /** A schema-1 journal's last event has no envelope in its row: meta is all there is. */
  #legacyLastEnvelopeSha256(): Uint8Array | null {
    const lastHex = this.getMeta(META_LAST_EVENT_ENVELOPE_SHA256);
    return this.#lastEventSeq > 0 && lastHex !== null && /^[0-9a-f]{64}$/.test(lastHex)
      ? new Uint8Array(Buffer.from(lastHex, 'hex'))
      : null;
  }

  #tableColumns(table: string): string[] {
    return tableColumns(this.#db, table);
  }

  /** Adds the schema-2 columns; the meta that exists now (not derivable from old rows) is sealed. */
  #migrateToSchema2(): void {
    this.#db
      .transaction(() => {
        this.#db.exec(SCHEMA_2_MIGRATION_SQL);
        const rowCount = this.#db.prepare('SELECT COUNT(*) FROM journal').pluck().get() as number;
        const upsert = this.#db.prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        );
        upsert.run(META_SCHEMA_2_FROM_INDEX, String(rowCount));
        upsert.run(META_SCHEMA_VERSION, String(SCHEMA_VERSION));
        this.#derivedKeys = new Set();
        const sealed = new Map<string, string>();
        for (const { key, value } of this.#db.prepare('SELECT key, value FROM meta').all() as {
          key: string;
          value: string;
        }[]) {
          if (key !== META_SEAL && key !== META_LAST_EVENT_SEQ && key !== META_LAST_EVENT_ENVELOPE_SHA256)
            sealed.set(key, value);
        }
        upsert.run(META_SEAL, metaSealHex(sealed));
      })
      .immediate();
  }

  /** Keys some journal row moves, plus the two the store derives itself. */
  derivedMetaKeys(): ReadonlySet<string> {
    return this.#derivedKeySet();
  }

  #derivedKeySet(): Set<string> {
    if (this.#derivedKeys === null) {
      const keys = new Set<string>();
      for (const json of this.#statements.metaJsons.iterate() as IterableIterator<string>) {
        try {
          for (const key of Object.keys(JSON.parse(json) as object)) keys.add(key);
        } catch {
          // A row whose meta does not parse is reported by the journal check; nothing to add here.
        }
      }
      this.#derivedKeys = keys;
    }
    return this.#derivedKeys;
  }

  #isSealedKey(key: string): boolean {
    return (
      key !== META_SEAL &&
      key !== META_LAST_EVENT_SEQ &&
      key !== META_LAST_EVENT_ENVELOPE_SHA256 &&
      !this.#derivedKeySet().has(key)
    );
  }

  /** Meta entries no journal row moves, as stored (read through the table, not the index). */
  sealedMeta(): Map<string, string> {
    const sealed = new Map<string, string>();
    for (const { key, value } of this.#statements.allMeta.iterate() as IterableIterator<{
      key: string;
      value: string;
    }>) {
      if (this.#isSealedKey(key)) sealed.set(key, value);
    }
    return sealed;
  }

  /** Rewrites the seal over the sealed entries. Inside a transaction with the change it covers. */
  #writeSeal(): void {
    this.#statements.upsertMeta.run(META_SEAL, metaSealHex(this.sealedMeta()));
  }

  close(): void {
    this.#db.close();
  }

  nextEventSeq(): number {
    return this.#lastEventSeq + 1;
  }

  lastEventEnvelopeSha256(): Uint8Array | null {
    return this.#lastEventEnvelopeSha256;
  }

  append(entry: JournalAppend): JournalRow {
    const event = entry.event;
    if (event !== undefined && event.seq !== this.#lastEventSeq + 1) {
      throw new Error(`assert: event seq ${event.seq} is not contiguous after ${this.#lastEventSeq}`);
    }
    const metaUpdates = entry.metaUpdates ?? {};
    for (const key of Object.keys(metaUpdates)) {
      if (key === META_SEAL || key === META_LAST_EVENT_SEQ || key === META_LAST_EVENT_ENVELOPE_SHA256)
        throw new Error(`assert: meta key ${key} belongs to the store`);
    }
    const metaJson = Object.keys(metaUpdates).length === 0 ? null : canonicalJson(metaUpdates);
    const row = chainRow(this.#head, {
      kind: entry.kind,
      txId: entry.txId,
      createdAtMs: entry.createdAtMs,
      payloadJson: canonicalJson(entry.payload),
      eventSeq: event === undefined ? null : event.seq,
      eventId: event?.eventId ?? null,
      payloadType: event?.payloadType ?? null,
      envelopeBytes: event === undefined ? null : new Uint8Array(event.envelopeBytes),
      metaJson,
    });
    const envelopeSha256 =
      event === undefined ? null : createHash('sha256').update(event.envelopeBytes).digest();
    const derivedKeys = this.#derivedKeySet();
    const newlyDerived = Object.keys(metaUpdates).filter((key) => !derivedKeys.has(key));
    const commit = this.#db.transaction(() => {
      this.#statements.insertJournal.run(
        row.index,
        row.kind,
        row.txId,
        row.createdAtMs,
        row.eventSeq,
        row.payloadJson,
        row.prevHashHex,
        row.hashHex,
        row.eventId ?? null,
        row.payloadType ?? null,
        event === undefined ? null : Buffer.from(event.envelopeBytes),
        metaJson,
      );
      if (event !== undefined) {
        this.#statements.insertOutbox.run(
          event.seq,
          event.eventId,
          event.payloadType,
          Buffer.from(event.envelopeBytes),
        );
        this.#statements.upsertMeta.run(META_LAST_EVENT_SEQ, String(event.seq));
        if (envelopeSha256 !== null)
          this.#statements.upsertMeta.run(META_LAST_EVENT_ENVELOPE_SHA256, envelopeSha256.toString('hex'));
      }
      for (const [key, value] of Object.entries(metaUpdates)) this.#statements.upsertMeta.run(key, value);
      if (newlyDerived.length > 0) {
        // A key that was sealed (set before schema 2) is now derived from this row: reseal without it.
        for (const key of newlyDerived) derivedKeys.add(key);
        this.#writeSeal();
      }
    });
    try {
      commit.immediate();
    } catch (error) {
      for (const key of newlyDerived) derivedKeys.delete(key);
      throw this.#failed('journal append', error);
    }
    this.#writeFault = null;
    this.#head = row;
    if (event !== undefined) this.#lastEventSeq = event.seq;
    if (envelopeSha256 !== null) this.#lastEventEnvelopeSha256 = new Uint8Array(envelopeSha256);
    this.retryDeferred();
    return row;
  }

  #failed(what: string, error: unknown): unknown {
    const translated = writeFailed(what, error);
    if (translated instanceof AgentError) {
      this.#writeFault = { sqliteCode: String(translated.details.sqliteCode), what };
    }
    return translated;
  }

  *rows(fromIndex = 0): IterableIterator<JournalRow> {
    for (const record of this.#statements.rowsFrom.iterate(fromIndex) as IterableIterator<JournalRecord>) {
      yield toRow(record);
    }
  }

  rowsOfTx(txId: string): JournalRow[] {
    return (this.#statements.rowsOfTx.all(txId) as JournalRecord[]).map(toRow);
  }

  verify(): ChainVerdict {
    return verifyChain(this.rows(0));
  }

  /**
   * Issue 13: a consistent copy of the journal at `toPath` (VACUUM INTO: one read transaction, WAL
   * included), taken before an OTA switch so a new release's forward-only migration starts from a
   * backup. `toPath` must not exist.
   */
  backupTo(toPath: string): void {
    this.#db.prepare('VACUUM INTO ?').run(toPath);
  }

  rowCount(): number {
    return this.#statements.rowCount.get() as number;
  }

  getMeta(key: string): string | null {
    const value = this.#statements.getMeta.get(key) as string | undefined;
    return value ?? null;
  }

  /** Sets a meta entry no journal row moves (bdSeq), sealed in the same commit. */
  setMeta(key: string, value: string): void {
    if (!this.#isSealedKey(key)) throw new Error(`assert: meta key ${key} is derived from the journal`);
    try {
      this.#db
        .transaction(() => {
          this.#statements.upsertMeta.run(key, value);
          this.#writeSeal();
        })
        .immediate();
    } catch (error) {
      throw this.#failed(`meta ${key}`, error);
    }
    this.#writeFault = null;
  }

  headSeq(): number {
    return this.#lastEventSeq;
  }

  ackedThroughSeq(): number {
    return this.#ackedThroughSeq;
  }

  read(fromSeq: number, toSeq: number): OutboxRow[] {
    const records = this.#statements.readOutbox.all(fromSeq, toSeq) as {
      seq: number;
      event_id: string;
      payload_type: string;
      envelope: Buffer;
    }[];
    return records.map((record) => ({
      seq: record.seq,
      eventId: record.event_id,
      payloadType: record.payload_type,
      envelopeBytes: new Uint8Array(record.envelope),
    }));
  }

  /** Every outbox row in seq order (the start-up check). */
  *outboxRows(): IterableIterator<OutboxRow> {
    for (const record of this.#statements.allOutbox.iterate() as IterableIterator<{
      seq: number;
      event_id: string;
      payload_type: string;
      envelope: Buffer;
    }>) {
      yield {
        seq: record.seq,
        eventId: record.event_id,
        payloadType: record.payload_type,
        envelopeBytes: new Uint8Array(record.envelope),
      };
    }
  }

  /**
   * Records HQ's ack and deletes rows with seq <= ackSeq in one commit. When that commit fails
   * (disk full), the ack is kept in memory and written by the next retryDeferred (the next append,
   * ack or maintenance tick); never thrown: HQ has those events, and a restart before the write
   * only resends them (HQ dedupes by event id).
   */
  acknowledgeThrough(ackSeq: number): number {
    if (!Number.isSafeInteger(ackSeq) || ackSeq > this.#lastEventSeq) {
      throw new Error(`assert: ack ${ackSeq} beyond head ${this.#lastEventSeq}`);
    }
    if (ackSeq <= this.#ackedThroughSeq) {
      this.retryDeferred();
      return 0;
    }
    this.#ackedThroughSeq = ackSeq;
    this.#ackDeferredSeq = ackSeq;
    return this.retryDeferred();
  }

  /** Writes a deferred ack mark; returns rows deleted (0 when nothing was due or it failed again). */
  retryDeferred(): number {
    const ackSeq = this.#ackDeferredSeq;
    if (ackSeq === null || this.#readOnly) return 0;
    let deleted = 0;
    try {
      this.#db
        .transaction(() => {
          deleted = this.#statements.deleteOutbox.run(ackSeq).changes;
          this.#statements.upsertMeta.run(META_ACKED_THROUGH_SEQ, String(ackSeq));
          this.#writeSeal();
        })
        .immediate();
    } catch (error) {
      const translated = this.#failed('ack mark', error);
      if (translated instanceof AgentError) return 0;
      throw translated;
    }
    if (this.#ackDeferredSeq === ackSeq) this.#ackDeferredSeq = null;
    this.#writeFault = null;
    return deleted;
  }

  /** Rows still waiting for an ack (rows an unwritten ack covers are not counted). */
  depth(): number {
    return this.#statements.outboxAbove.get(this.#ackedThroughSeq) as number;
  }

  /** The last write failure since the last successful write, or null. */
  writeFault(): StoreWriteFault | null {
    return this.#writeFault;
  }

  /** Is an ack mark waiting to be written? */
  ackDeferred(): boolean {
    return this.#ackDeferredSeq !== null;
  }

  /**
   * Checkpoints the WAL into the database file and truncates it (wal_checkpoint(TRUNCATE)).
   * Never throws for a write failure: returns it, and the caller retries later.
   */
  checkpoint():
    | { readonly ok: true; readonly walFrames: number }
    | { readonly ok: false; readonly sqliteCode: string } {
    try {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      if (result === undefined || result.busy !== 0) return { ok: false, sqliteCode: 'SQLITE_BUSY' };
      return { ok: true, walFrames: result.log };
    } catch (error) {
      if (!isWriteFailure(error)) throw error;
      return { ok: false, sqliteCode: String((error as { code: string }).code) };
    }
  }

  // ---------------------------------------------------------------- checks (integrity.ts)

  /** PRAGMA quick_check (start-up) or integrity_check (doctor): [] when SQLite finds nothing. */
  sqliteCheck(full: boolean): string[] {
    return sqliteCheck(this.#db, full);
  }

  /** The objects in sqlite_schema, as `type name on table`, sorted. */
  schemaObjects(): string[] {
    return schemaObjects(this.#db);
  }

  /** Column lists of the three tables as stored in the schema. */
  columnsOf(table: string): string[] {
    return tableColumns(this.#db, table);
  }

  /** Text encoding and schema SQL text against this version's (none of it is covered by a hash). */
  schemaTextProblems(migrated: boolean): string[] {
    return schemaTextProblems(this.#db, migrated);
  }

  /** Indexes that disagree with their table (quick_check does not look). */
  indexMismatches(): string[] {
    return indexMismatches(this.#db);
  }

  /**
   * Rebuilds the outbox from the journal (the technician's repair, `kiosk repair`): every event
   * above the ack mark, as the journal holds it. The journal itself is never changed.
   */
  rebuildOutbox(rows: readonly OutboxRow[]): void {
    if (this.#readOnly) throw new Error('assert: rebuildOutbox on a read-only store');
    try {
      this.#db
        .transaction(() => {
          this.#db.prepare('DELETE FROM outbox').run();
          for (const row of rows)
            this.#statements.insertOutboxCopy.run(
              row.seq,
              row.eventId,
              row.payloadType,
              Buffer.from(row.envelopeBytes),
            );
        })
        .immediate();
    } catch (error) {
      throw this.#failed('outbox rebuild', error);
    }
  }

  /** Rewrites derived meta entries and the seal (the technician's repair after a check found them). */
  rewriteMeta(derived: ReadonlyMap<string, string>, sealed: ReadonlyMap<string, string>): void {
    if (this.#readOnly) throw new Error('assert: rewriteMeta on a read-only store');
    try {
      this.#db
        .transaction(() => {
          this.#db.prepare('DELETE FROM meta').run();
          for (const [key, value] of [...derived, ...sealed]) this.#statements.upsertMeta.run(key, value);
          this.#writeSeal();
        })
        .immediate();
    } catch (error) {
      throw this.#failed('meta rewrite', error);
    }
  }

  /** REINDEX: rebuilds every index from its table (the tables are checked by the chain). */
  reindex(): void {
    if (this.#readOnly) throw new Error('assert: reindex on a read-only store');
    this.#db.exec('REINDEX');
  }
}

/**
 * A WAL database's bytes with the header's read/write versions (offsets 18, 19) set to 1: an
 * in-memory copy in WAL mode would still need a -shm file, the very thing a full disk refuses.
 */
function rollbackModeCopy(bytes: Buffer): Buffer {
  if (bytes.length >= 100 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return bytes;
}
