// Versioned, forward-only schema migrations of HQ's PostgreSQL store. The files are
// migrations/postgres/NNNN_name.sql in this package (read from the package folder, so the same
// path works from src/ under tsx and from dist/). Each pending file runs in its own transaction
// together with its schema_migrations row (version, name, SHA-256 of the file, when). Several HQ
// processes may start at once: a session advisory lock serialises them, and the second finds
// nothing left to do. Refused before anything is applied: an applied migration whose file changed
// (HQ_MIGRATION_CHANGED), a version the database has but this HQ lacks (HQ_MIGRATION_UNKNOWN, a
// newer release migrated it), a misnamed file or a number used twice (HQ_MIGRATION_INVALID).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { HqError } from '../../errors.js';
import { pgMigrationLockWaitMsMax } from '../../limits.js';
import { type Row, storeFailed } from './connection.js';

/** The folder of the migration files (package root: migrations/postgres/). */
export const migrationsDir = fileURLToPath(new URL('../../../migrations/postgres/', import.meta.url));

/** pg_advisory_lock key of HQ's migrations (any fixed number no other lock of HQ uses). */
export const migrationLockKey = 7_316_202_611;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly checksum: string;
}

export interface MigrationReport {
  /** Versions applied by this call, in order. */
  readonly applied: ReadonlyArray<{ readonly version: number; readonly name: string }>;
  /** The database's version afterwards (0: none). */
  readonly version: number;
  /** Versions that were already applied before this call. */
  readonly alreadyApplied: number;
}

const fileName = /^(\d{4})_([a-z0-9_]+)\.sql$/;

function invalid(message: string, file: string): HqError {
  return new HqError('HQ_MIGRATION_INVALID', message, {
    details: { file },
    problems: [{ code: 'HQ_MIGRATION_INVALID', field: file, message }],
  });
}

/** The migration files of `dir`, checked and in version order. */
export function loadMigrations(dir: string = migrationsDir): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read the migrations folder ${dir}`, { cause: error });
  }
  const byVersion = new Map<number, Migration>();
  for (const name of names) {
    const match = fileName.exec(name);
    if (match === null) throw invalid(`migration file ${name} is not named NNNN_name.sql`, name);
    const version = Number(match[1]);
    const clash = byVersion.get(version);
    if (clash !== undefined)
      throw invalid(`migrations ${clash.name} and ${name} share number ${version}`, name);
    const bytes = readFileSync(`${dir}/${name}`);
    byVersion.set(version, {
      version,
      name,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  const migrations = [...byVersion.values()].sort((a, b) => a.version - b.version);
  if (migrations.some((m) => m.version < 1)) throw invalid('migration numbers start at 0001', '0000');
  return migrations;
}

const createLedgerSql = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at_ms BIGINT NOT NULL
)`;

/**
 * Bring the database to the newest migration of `migrations` (default: the package's files), or
 * only up to `targetVersion` (tests make a "previous release" database that way).
 */
export async function migrate(
  pool: pg.Pool,
  options: {
    readonly migrations?: readonly Migration[];
    readonly targetVersion?: number;
    readonly nowMs?: number;
  } = {},
): Promise<MigrationReport> {
  const migrations = options.migrations ?? loadMigrations();
  const target = options.targetVersion ?? Number.MAX_SAFE_INTEGER;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeFailed('connect to migrate', error);
  }
  try {
    await lock(client);
    try {
      await client.query(createLedgerSql).catch((error: unknown) => {
        throw storeFailed('create schema_migrations', error);
      });
      const applied = (
        await client.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
      ).rows as Row[];
      check(applied, migrations);
      const done = new Set(applied.map((row) => Number(row.version)));
      const report: Array<{ version: number; name: string }> = [];
      for (const migration of migrations) {
        if (done.has(migration.version) || migration.version > target) continue;
        await applyOne(client, migration, options.nowMs ?? Date.now());
        report.push({ version: migration.version, name: migration.name });
      }
      const version = Math.max(
        0,
        ...applied.map((row) => Number(row.version)),
        ...report.map((r) => r.version),
      );
      return { applied: report, version, alreadyApplied: applied.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** Wait for the migration lock: another process migrating now finishes first. */
async function lock(client: pg.PoolClient): Promise<void> {
  try {
    await client.query(`SET lock_timeout = ${pgMigrationLockWaitMsMax}`);
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    await client.query('SET lock_timeout = 0');
  } catch (error) {
    throw storeFailed('take the migration lock', error);
  }
}

/** Every applied migration still has its file, unchanged. */
function check(applied: readonly Row[], migrations: readonly Migration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const version = Number(row.version);
    const file = byVersion.get(version);
    if (file === undefined) {
      const message = `the database has migration ${version} (${String(row.name)}), which this HQ does not know: a newer release migrated it`;
      throw new HqError('HQ_MIGRATION_UNKNOWN', message, {
        details: { version, name: String(row.name) },
        problems: [{ code: 'HQ_MIGRATION_UNKNOWN', field: String(row.name), message }],
      });
    }
    if (file.checksum !== String(row.checksum)) {
      const message = `migration ${file.name} was changed after it was applied (checksum differs): add a new migration instead`;
      throw new HqError('HQ_MIGRATION_CHANGED', message, {
        details: { version, name: file.name, recorded: String(row.checksum), file: file.checksum },
        problems: [{ code: 'HQ_MIGRATION_CHANGED', field: file.name, message }],
      });
    }
  }
}

async function applyOne(client: pg.PoolClient, migration: Migration, nowMs: number): Promise<void> {
  try {
    await client.query('BEGIN');
    await client.query(migration.sql);
    await client.query(
      'INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) VALUES ($1, $2, $3, $4)',
      [migration.version, migration.name, migration.checksum, nowMs],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = `migration ${migration.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    throw new HqError('HQ_MIGRATION_FAILED', message, {
      cause: error,
      details: { version: migration.version, name: migration.name },
      problems: [{ code: 'HQ_MIGRATION_FAILED', field: migration.name, message }],
    });
  }
}
