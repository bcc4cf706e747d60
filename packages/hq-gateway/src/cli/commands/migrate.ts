// `hq migrate`: bring the configured store's schema up to date. PostgreSQL: apply the pending
// numbered files of migrations/postgres/ in order, each in one transaction with its
// schema_migrations row (adapters/postgres/migrate.ts); refused with HQ_MIGRATION_CHANGED,
// HQ_MIGRATION_UNKNOWN or HQ_MIGRATION_INVALID before anything is applied. Several processes at
// once are safe (an advisory lock). SQLite: its schema is made when the file opens; nothing to do.
// `hq serve` migrates at start-up too; this command lets an operator do it first and see what ran.
import { loadMigrations, migrate } from '../../adapters/postgres/migrate.js';
import { PostgresStore } from '../../adapters/postgres/postgres-store.js';
import { storeLabel } from '../../config.js';
import { openHqStore } from '../../main.js';
import { configFlag, type HqCommand, loadConfig } from '../command.js';

export const migrateCommand: HqCommand = {
  name: 'migrate',
  summary: "apply the store's pending schema migrations (PostgreSQL; SQLite needs none)",
  usage: 'hq migrate --config FILE',
  flags: { ...configFlag },
  positionals: 0,
  async run(parsed) {
    const config = loadConfig(parsed);
    const label = storeLabel(config.store);
    if (config.store.kind === 'sqlite') {
      // Opening the file creates or completes its schema.
      const opened = await openHqStore(config.store);
      await opened.close();
      const data = { store: 'sqlite', target: label, applied: [], version: null };
      return { data, text: `migrate: ok (SQLite ${label}: schema made at open, no numbered migrations)\n` };
    }
    const migrations = loadMigrations();
    const store = await PostgresStore.open({ url: config.store.url, migrate: false });
    try {
      const report = await migrate(store.pool, { migrations });
      const data = { store: 'postgres', target: label, ...report, known: migrations.length };
      const lines = report.applied.map((m) => `  applied ${m.name}`);
      const text =
        `migrate: ok (PostgreSQL ${label}: version ${report.version}, ${report.applied.length} applied now, ` +
        `${report.alreadyApplied} before)\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
      return { data, text };
    } finally {
      await store.close();
    }
  },
};
