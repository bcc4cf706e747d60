// Opening the HQ SQLite database: WAL journal, synchronous=FULL (a committed batch survives power
// loss), foreign keys on, the schema created and the columns an older file lacks added. Used by
// the store (main connection) and by the commit thread (its own connection to the same file).
import Database from 'better-sqlite3';
import { HqError } from '../../errors.js';
import { addedColumns, schemaSql } from './schema.js';

/** Wait this long for a lock held by the other connection (ms) before a statement fails. */
const busyTimeoutMsDefault = 5_000;

export function openDatabase(path: string): Database.Database {
  try {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMsDefault}`);
    db.exec(schemaSql);
    addMissingColumns(db);
    return db;
  } catch (error) {
    throw new HqError('HQ_STORE_FAILED', `cannot open the HQ store at ${path}`, {
      cause: error,
      details: { path },
    });
  }
}

/** Add the columns a store file made by an older HQ lacks (schema.ts addedColumns). */
function addMissingColumns(db: Database.Database): void {
  for (const { table, column, sql } of addedColumns) {
    const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(sql);
  }
}
