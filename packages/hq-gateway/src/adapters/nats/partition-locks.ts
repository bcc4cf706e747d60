// Partition ownership on PostgreSQL session advisory locks (issue 14, docs/decisions/
// hq-nats-partition-ownership.md): a gateway owns partition p while its lock connection holds
// pg_try_advisory_lock(namespace, p). The lock dies with the connection, so a killed gateway's
// partitions are free for the others' next claim poll. One dedicated connection (never the pool:
// session locks belong to one backend), and losing it means losing every partition at once.
// The same connection is the gateway's membership: the live gateways are the sessions named
// `hq-nats-locks` in this database's pg_stat_activity (members), so a gateway counts exactly while
// it can hold locks, and a killed one stops counting when PostgreSQL frees its locks.
import pg from 'pg';
import { HqError } from '../../errors.js';
import type { Log } from '../../ports/log.js';

/** First key of the two-int advisory lock: 'NATS' in ASCII, so other lock users cannot collide. */
export const partitionLockNamespace = 0x4e415453;
/** application_name of every gateway's lock connection: what the membership query counts. */
export const partitionLockApplicationName = 'hq-nats-locks';

export class PartitionLocks {
  readonly #connectionString: string;
  readonly #log: Log;
  #client: pg.Client | undefined;
  readonly owned = new Set<number>();
  #onLost: () => void = () => {};

  constructor(connectionString: string, log: Log) {
    this.#connectionString = connectionString;
    this.#log = log;
  }

  /** Called once when the lock connection is lost (every partition is then released by PostgreSQL). */
  onLost(handler: () => void): void {
    this.#onLost = handler;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  async connect(): Promise<void> {
    if (this.#client !== undefined) return;
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: partitionLockApplicationName,
    });
    try {
      await client.connect();
    } catch (error) {
      throw new HqError('HQ_NATS_FAILED', 'cannot open the partition lock connection', { cause: error });
    }
    const lost = (error?: Error): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      const count = this.owned.size;
      this.owned.clear();
      this.#log.error(
        { code: 'HQ_NATS_FAILED', error: error?.message, partitions: count },
        'partition locks lost',
      );
      this.#onLost();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.#client = client;
  }

  /** Tries to take partition p; true when this gateway now owns it. */
  async tryClaim(partition: number): Promise<boolean> {
    if (!(Number.isSafeInteger(partition) && partition >= 0)) throw new Error('assert: partition >= 0');
    const client = this.#client;
    if (client === undefined) return false;
    if (this.owned.has(partition)) return true;
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      partitionLockNamespace,
      partition,
    ]);
    const locked = result.rows[0]?.locked === true;
    if (locked && this.#client === client) this.owned.add(partition);
    return locked && this.#client === client;
  }

  /**
   * The live gateways: the backend pid of every lock connection of this database (pid,
   * application_name and datname are visible to every role in pg_stat_activity, unlike
   * backend_start), and this connection's own.
   */
  async members(): Promise<{ self: number; members: number[] }> {
    const client = this.#client;
    if (client === undefined) throw new HqError('HQ_NATS_FAILED', 'the partition lock connection is closed');
    const result = await client.query<{ self: number; members: number[] }>(
      `SELECT pg_backend_pid() AS self,
              array(SELECT pid FROM pg_stat_activity
                    WHERE application_name = $1 AND datname = current_database() ORDER BY pid) AS members`,
      [partitionLockApplicationName],
    );
    const row = result.rows[0];
    if (row === undefined || !Number.isSafeInteger(row.self)) throw new Error('assert: one row with a pid');
    return { self: row.self, members: row.members.map(Number) };
  }

  /** Gives partition p's lock up (pg_advisory_unlock); the caller has committed and acked it. */
  async release(partition: number): Promise<void> {
    if (!(Number.isSafeInteger(partition) && partition >= 0)) throw new Error('assert: partition >= 0');
    const client = this.#client;
    if (client === undefined || !this.owned.has(partition)) return;
    // Not owned from here on, whatever the answer: nothing may act on it while the unlock travels.
    this.owned.delete(partition);
    const result = await client.query<{ unlocked: boolean }>(
      'SELECT pg_advisory_unlock($1, $2) AS unlocked',
      [partitionLockNamespace, partition],
    );
    if (result.rows[0]?.unlocked !== true) {
      this.#log.error({ code: 'HQ_NATS_FAILED', partition }, 'partition lock was not held at its release');
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.owned.clear();
    if (client !== undefined) await client.end().catch(() => undefined);
  }
}
