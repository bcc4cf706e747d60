// The kiosk's SQLite store (better-sqlite3 12): journal + outbox + meta in one file, WAL with
// synchronous=FULL, so a committed row survives power loss (TOOLCHAIN.md: NORMAL can roll a
// committed transaction back). Implements JournalPort and OutboxPort. Synchronous by design:
// better-sqlite3 blocks for the fsync, and the agent's single writer needs no locking.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  type ChainVerdict,
  canonicalJson,
  chainRow,
  type JournalRow,
  verifyChain,
} from '../../domain/journal/chain.js';
import type { JournalAppend, JournalPort } from '../../ports/journal.js';
import type { OutboxPort, OutboxRow } from '../../ports/outbox.js';
import {
  META_ACKED_THROUGH_SEQ,
  META_LAST_EVENT_ENVELOPE_SHA256,
  META_LAST_EVENT_SEQ,
  META_SCHEMA_VERSION,
  SCHEMA_SQL,
  SCHEMA_VERSION,
} from './schema.js';

interface JournalRecord {
  idx: number;
  kind: string;
  tx_id: string;
  created_at_ms: number;
  event_seq: number | null;
  payload_json: string;
  prev_hash: string;
  hash: string;
}

function toRow(record: JournalRecord): JournalRow {
  return {
    index: record.idx,
    kind: record.kind,
    txId: record.tx_id,
    createdAtMs: record.created_at_ms,
    eventSeq: record.event_seq,
    payloadJson: record.payload_json,
    prevHashHex: record.prev_hash,
    hashHex: record.hash,
  };
}

export interface KioskDbOptions {
  /** File path, or ':memory:' for unit tests. */
  readonly path: string;
  /** Open read-only (`kiosk doctor`): no schema changes, no writes. */
  readonly readOnly?: boolean;
}

export class KioskDb implements JournalPort, OutboxPort {
  readonly #db: Database.Database;
  #head: JournalRow | null;
  #lastEventSeq: number;
  #lastEventEnvelopeSha256: Uint8Array | null;
  #ackedThroughSeq: number;
  readonly #statements;

  constructor(options: KioskDbOptions) {
    this.#db = new Database(options.path, {
      readonly: options.readOnly === true,
      fileMustExist: options.readOnly === true,
    });
    if (options.readOnly !== true) {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.exec(SCHEMA_SQL);
    }
    this.#db.pragma('busy_timeout = 5000');
    this.#statements = {
      insertJournal: this.#db.prepare(
        'INSERT INTO journal (idx, kind, tx_id, created_at_ms, event_seq, payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertOutbox: this.#db.prepare(
        'INSERT INTO outbox (seq, event_id, payload_type, envelope) VALUES (?, ?, ?, ?)',
      ),
      upsertMeta: this.#db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      getMeta: this.#db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      head: this.#db.prepare('SELECT * FROM journal ORDER BY idx DESC LIMIT 1'),
      rowsFrom: this.#db.prepare('SELECT * FROM journal WHERE idx >= ? ORDER BY idx'),
      rowsOfTx: this.#db.prepare('SELECT * FROM journal WHERE tx_id = ? ORDER BY idx'),
      rowCount: this.#db.prepare('SELECT COUNT(*) FROM journal').pluck(),
      readOutbox: this.#db.prepare(
        'SELECT seq, event_id, payload_type, envelope FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq',
      ),
      deleteOutbox: this.#db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      outboxDepth: this.#db.prepare('SELECT COUNT(*) FROM outbox').pluck(),
    };
    if (options.readOnly !== true && this.getMeta(META_SCHEMA_VERSION) === null) {
      this.setMeta(META_SCHEMA_VERSION, String(SCHEMA_VERSION));
    }
    const headRecord = this.#statements.head.get() as JournalRecord | undefined;
    this.#head = headRecord === undefined ? null : toRow(headRecord);
    this.#lastEventSeq = Number(this.getMeta(META_LAST_EVENT_SEQ) ?? '0');
    const lastHex = this.getMeta(META_LAST_EVENT_ENVELOPE_SHA256);
    this.#lastEventEnvelopeSha256 =
      this.#lastEventSeq > 0 && lastHex !== null && /^[0-9a-f]{64}$/.test(lastHex)
        ? new Uint8Array(Buffer.from(lastHex, 'hex'))
        : null;
    this.#ackedThroughSeq = Number(this.getMeta(META_ACKED_THROUGH_SEQ) ?? '0');
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
    const row = chainRow(this.#head, {
      kind: entry.kind,
      txId: entry.txId,
      createdAtMs: entry.createdAtMs,
      payloadJson: canonicalJson(entry.payload),
      eventSeq: event === undefined ? null : event.seq,
    });
    const envelopeSha256 =
      event === undefined ? null : createHash('sha256').update(event.envelopeBytes).digest();
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
      for (const [key, value] of Object.entries(entry.metaUpdates ?? {}))
        this.#statements.upsertMeta.run(key, value);
    });
    commit.immediate();
    this.#head = row;
    if (event !== undefined) this.#lastEventSeq = event.seq;
    if (envelopeSha256 !== null) this.#lastEventEnvelopeSha256 = new Uint8Array(envelopeSha256);
    return row;
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

  rowCount(): number {
    return this.#statements.rowCount.get() as number;
  }

  getMeta(key: string): string | null {
    const value = this.#statements.getMeta.get(key) as string | undefined;
    return value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.#statements.upsertMeta.run(key, value);
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

  acknowledgeThrough(ackSeq: number): number {
    if (!Number.isSafeInteger(ackSeq) || ackSeq > this.#lastEventSeq) {
      throw new Error(`assert: ack ${ackSeq} beyond head ${this.#lastEventSeq}`);
    }
    if (ackSeq <= this.#ackedThroughSeq) return 0;
    let deleted = 0;
    this.#db
      .transaction(() => {
        deleted = this.#statements.deleteOutbox.run(ackSeq).changes;
        this.#statements.upsertMeta.run(META_ACKED_THROUGH_SEQ, String(ackSeq));
      })
      .immediate();
    this.#ackedThroughSeq = ackSeq;
    return deleted;
  }

  depth(): number {
    return this.#statements.outboxDepth.get() as number;
  }
}
