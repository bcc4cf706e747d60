// The IntegrityStore port on PostgreSQL (issue 8): grants, suspensions, resumptions, provenance
// judgements, the quarantine bounds and station alerts. Idempotent writes use ON CONFLICT DO
// NOTHING (a second HQ process recording the same grant or suspension changes nothing); pruning
// the quarantine takes a transaction-level advisory lock so two processes do not both drop the
// same overflow. Rows hold no PAN and no PIN block: a grant keeps the kiosk's opaque card token.
import type pg from 'pg';
import type { WithdrawalGrant } from '../../domain/provenance.js';
import type {
  IntegrityStore,
  Resumption,
  ResumptionRecord,
  StationAlert,
  Suspension,
} from '../../ports/integrity-store.js';
import { inTransaction, pgQuery } from './connection.js';
import { toSuspension } from './rows.js';

/** hq_meta key of the running count of quarantine rows dropped by the bounds. */
const quarantineDroppedMeta = 'quarantine_dropped';
/** pg_advisory_xact_lock key serialising quarantine pruning across HQ processes. */
const pruneLockKey = 7_316_202_612;

export class PostgresIntegrityStore implements IntegrityStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async recordGrant(grant: WithdrawalGrant): Promise<void> {
    if (!(Number.isSafeInteger(grant.amountFen) && Number.isSafeInteger(grant.feeFen)))
      throw new Error('grant amounts must be fen');
    await pgQuery(
      this.#pool,
      'record a grant',
      `INSERT INTO withdrawal_grants
         (request_id, station_id, transaction_id, card_token, amount_fen, fee_fen, granted_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING`,
      [
        grant.requestId,
        grant.stationId,
        grant.transactionId,
        grant.cardToken,
        grant.amountFen,
        grant.feeFen,
        grant.grantedAtMs,
      ],
    );
  }

  async grantsSince(grantedAtMsMin: number): Promise<WithdrawalGrant[]> {
    const rows = await pgQuery(
      this.#pool,
      'read grants',
      'SELECT * FROM withdrawal_grants WHERE granted_at_ms >= $1 ORDER BY granted_at_ms, request_id COLLATE "C"',
      [grantedAtMsMin],
    );
    return rows.map((row) => ({
      requestId: String(row.request_id),
      stationId: String(row.station_id),
      transactionId: String(row.transaction_id),
      cardToken: String(row.card_token),
      amountFen: Number(row.amount_fen),
      feeFen: Number(row.fee_fen),
      grantedAtMs: Number(row.granted_at_ms),
    }));
  }

  async provenanceJudgements(stationId: string, codes: readonly string[]): Promise<Map<string, string[]>> {
    const judged = new Map<string, string[]>();
    if (codes.length === 0) return judged;
    const rows = await pgQuery(
      this.#pool,
      'read provenance judgements',
      'SELECT event_id, code FROM discrepancies WHERE station_id = $1 AND code = ANY($2::text[]) ORDER BY id',
      [stationId, [...codes]],
    );
    for (const row of rows) {
      const eventId = String(row.event_id);
      judged.set(eventId, [...(judged.get(eventId) ?? []), String(row.code)]);
    }
    return judged;
  }

  async suspend(suspension: Suspension): Promise<void> {
    await pgQuery(
      this.#pool,
      'record a suspension',
      `INSERT INTO station_suspensions (station_id, reason_code, detail, since_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (station_id) DO NOTHING`,
      [suspension.stationId, suspension.reasonCode, suspension.detail.slice(0, 500), suspension.sinceMs],
    );
  }

  async resume(stationId: string, resumption?: Resumption): Promise<boolean> {
    return inTransaction(this.#pool, 'lift a suspension', async (client) => {
      const lifted = await client.query(
        'DELETE FROM station_suspensions WHERE station_id = $1 RETURNING reason_code, detail, since_ms',
        [stationId],
      );
      const row = lifted.rows[0] as Record<string, unknown> | undefined;
      if (row === undefined) return false;
      if (resumption !== undefined) {
        await client.query(
          `INSERT INTO station_resumptions
             (station_id, reason_code, detail, since_ms, resumed_at_ms, resumed_by, reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            stationId,
            row.reason_code,
            row.detail,
            row.since_ms,
            resumption.resumedAtMs,
            resumption.resumedBy.slice(0, 100),
            resumption.reason.slice(0, 500),
          ],
        );
      }
      return true;
    });
  }

  async resumptions(stationId: string): Promise<ResumptionRecord[]> {
    const rows = await pgQuery(
      this.#pool,
      'read resumptions',
      'SELECT * FROM station_resumptions WHERE station_id = $1 ORDER BY id',
      [stationId],
    );
    return rows.map((row) => ({
      ...toSuspension(row),
      resumedAtMs: Number(row.resumed_at_ms),
      resumedBy: String(row.resumed_by),
      reason: String(row.reason),
    }));
  }

  async suspensions(): Promise<Suspension[]> {
    const rows = await pgQuery(
      this.#pool,
      'read suspensions',
      'SELECT * FROM station_suspensions ORDER BY station_id COLLATE "C"',
    );
    return rows.map(toSuspension);
  }

  async pruneQuarantine(
    stationIds: readonly (string | null)[],
    perStationMax: number,
    totalMax: number,
  ): Promise<number> {
    if (
      !(
        Number.isSafeInteger(perStationMax) &&
        perStationMax > 0 &&
        Number.isSafeInteger(totalMax) &&
        totalMax > 0
      )
    )
      throw new Error('quarantine bounds must be positive');
    return inTransaction(this.#pool, 'prune the quarantine', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [pruneLockKey]);
      let dropped = 0;
      for (const stationId of new Set(stationIds)) {
        // Unknown senders (no station) share one allowance, like a station.
        const where = stationId === null ? 'station_id IS NULL' : 'station_id = $1';
        const args = stationId === null ? [] : [stationId];
        const count = Number(
          (await client.query(`SELECT COUNT(*) AS n FROM quarantine WHERE ${where}`, args)).rows[0]?.n,
        );
        if (count > perStationMax) {
          const excess = `$${args.length + 1}`;
          dropped +=
            (
              await client.query(
                `DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE ${where} ORDER BY id LIMIT ${excess})`,
                [...args, count - perStationMax],
              )
            ).rowCount ?? 0;
        }
      }
      const total = Number((await client.query('SELECT COUNT(*) AS n FROM quarantine')).rows[0]?.n);
      if (total > totalMax) {
        dropped +=
          (
            await client.query(
              'DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT $1)',
              [total - totalMax],
            )
          ).rowCount ?? 0;
      }
      if (dropped > 0) {
        await client.query(
          `INSERT INTO hq_meta (key, value) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET value = (hq_meta.value::bigint + $3)::text`,
          [quarantineDroppedMeta, String(dropped), dropped],
        );
      }
      return dropped;
    });
  }

  async quarantineDropped(): Promise<number> {
    const rows = await pgQuery(this.#pool, 'read a meta value', 'SELECT value FROM hq_meta WHERE key = $1', [
      quarantineDroppedMeta,
    ]);
    return rows[0] === undefined ? 0 : Number(rows[0].value);
  }

  async stationAlerts(): Promise<StationAlert[]> {
    const suspensions = new Map((await this.suspensions()).map((s) => [s.stationId, s]));
    const rows = await pgQuery(
      this.#pool,
      'read station alerts',
      `SELECT s.station_id,
              (SELECT COUNT(*) FROM discrepancies d WHERE d.station_id = s.station_id) AS n,
              last.code, last.detail, last.found_at_ms
       FROM stations s
       LEFT JOIN LATERAL (SELECT code, detail, found_at_ms FROM discrepancies d
                          WHERE d.station_id = s.station_id ORDER BY id DESC LIMIT 1) last ON TRUE
       ORDER BY s.station_id COLLATE "C"`,
    );
    return rows.map((row) => {
      const stationId = String(row.station_id);
      return {
        stationId,
        suspension: suspensions.get(stationId) ?? null,
        discrepancyCount: Number(row.n),
        lastDiscrepancy:
          row.code === null
            ? null
            : { code: String(row.code), detail: String(row.detail), foundAtMs: Number(row.found_at_ms) },
      };
    });
  }
}
