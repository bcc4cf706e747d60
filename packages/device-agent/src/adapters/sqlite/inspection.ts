// SQLite's own view of the kiosk store, for the start-up check and doctor (issue 9): its quick /
// integrity check, the objects and columns of the schema, and every index compared with its
// table (quick_check does not look, and a damaged index makes a lookup by tx id miss).
import Database from 'better-sqlite3';
import { SCHEMA_SQL } from './schema.js';

/** Each schema object's SQL text as a fresh schema-2 store holds it (made once, in memory). */
let freshSchemaSql: Map<string, string | null> | null = null;
export function expectedSchemaSql(): Map<string, string | null> {
  if (freshSchemaSql === null) {
    const memory = new Database(':memory:');
    memory.exec(SCHEMA_SQL);
    freshSchemaSql = schemaSql(memory);
    memory.close();
  }
  return freshSchemaSql;
}

/** name -> SQL text of every object in sqlite_schema (null for automatic indexes). */
export function schemaSql(db: Database.Database): Map<string, string | null> {
  const rows = db.prepare('SELECT name, sql FROM sqlite_schema').all() as {
    name: string;
    sql: string | null;
  }[];
  return new Map(rows.map((row) => [row.name, row.sql]));
}

/** Problems of the store's text encoding and schema SQL (a case flip in SQL still parses). */
export function schemaTextProblems(db: Database.Database, migrated: boolean): string[] {
  const problems: string[] = [];
  const encoding = db.pragma('encoding', { simple: true });
  if (encoding !== 'UTF-8') problems.push(`text encoding is ${String(encoding)}, expected UTF-8`);
  if (migrated) return problems; // ALTER TABLE rewrote the text of a schema-1 store
  const expected = expectedSchemaSql();
  for (const [name, sql] of schemaSql(db)) {
    if (expected.get(name) !== sql) problems.push(`the schema text of ${name} differs from this version's`);
  }
  return problems;
}

/** PRAGMA quick_check (start-up) or integrity_check (doctor): [] when SQLite finds nothing. */
export function sqliteCheck(db: Database.Database, full: boolean): string[] {
  const rows = db.pragma(full ? 'integrity_check' : 'quick_check', { simple: false }) as Record<
    string,
    string
  >[];
  const messages = rows.map((row) => String(Object.values(row)[0]));
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
}

/** The objects in sqlite_schema, as `type name on table`, sorted. */
export function schemaObjects(db: Database.Database): string[] {
  return (
    db.prepare('SELECT type, name, tbl_name FROM sqlite_schema').all() as {
      type: string;
      name: string;
      tbl_name: string;
    }[]
  )
    .map((object) => `${object.type} ${object.name} on ${object.tbl_name}`)
    .sort();
}

/** Column lists of the three tables as stored in the schema. */
export function tableColumns(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name);
}

/**
 * Indexes that disagree with their table (quick_check does not look): for every index, its
 * (columns, rowid) read through the index equal the table's, sorted the same way.
 */
export function indexMismatches(db: Database.Database): string[] {
  const found: string[] = [];
  const indexes = db
    .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
    .all() as { name: string; tbl_name: string }[];
  for (const { name, tbl_name: table } of indexes) {
    const columns = (db.pragma(`index_info(${JSON.stringify(name)})`) as { name: string | null }[]).map(
      (column) => column.name,
    );
    if (columns.length === 0 || columns.some((column) => column === null)) {
      found.push(`index ${name}: columns unknown`);
      continue;
    }
    const list = [...columns.map((column) => JSON.stringify(column)), 'rowid'].join(', ');
    const through = db
      .prepare(
        `SELECT ${list} FROM ${JSON.stringify(table)} INDEXED BY ${JSON.stringify(name)} ORDER BY ${list}`,
      )
      .raw();
    const plain = db
      .prepare(`SELECT ${list} FROM ${JSON.stringify(table)} NOT INDEXED ORDER BY ${list}`)
      .raw();
    const a = through.iterate() as IterableIterator<unknown[]>;
    const b = plain.iterate() as IterableIterator<unknown[]>;
    try {
      for (let position = 0; ; position += 1) {
        const left = a.next();
        const right = b.next();
        if (left.done === true && right.done === true) break;
        if (left.done === true || right.done === true || !sameRow(left.value, right.value)) {
          found.push(`index ${name} disagrees with table ${table} at entry ${position}`);
          break;
        }
      }
    } finally {
      a.return?.();
      b.return?.();
    }
  }
  return found;
}

function sameRow(left: unknown[], right: unknown[]): boolean {
  return left.length === right.length && left.every((value, index) => value === right[index]);
}
