// The NetworkFacts port over the PostgreSQL store's `events` table (read only), the same queries as
// adapters/sqlite/network-facts.ts: revenue counts bill payments and top-ups by business date
// (R10); fee events are posted withdrawals, bill payments and top-ups (R18), with the kiosk's
// signed instant. Sums are BIGINT fen read back as safe integers (connection.ts).
import type { RevenueLine } from '@bianmin/core-ledger';
import type pg from 'pg';
import type { FeeEvent } from '../../domain/network/fee-compliance.js';
import type { NetworkFacts } from '../../ports/network-facts.js';
import { pgQuery } from './connection.js';

export class PostgresNetworkFacts implements NetworkFacts {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async monthlyRevenue(month: string): Promise<readonly RevenueLine[]> {
    const rows = await pgQuery(
      this.#pool,
      'read the month revenue',
      `SELECT station_id, kind, SUM(amount_fen) AS revenue FROM events
       WHERE kind IN ('BILL_PAYMENT', 'MOBILE_TOPUP') AND left(business_date, 7) = $1
       GROUP BY station_id, kind ORDER BY station_id, kind`,
      [month],
    );
    return rows.map((r) => ({
      stationId: String(r.station_id),
      businessType: String(r.kind) as 'BILL_PAYMENT' | 'MOBILE_TOPUP',
      revenueFen: Number(r.revenue),
    }));
  }

  async feeEvents(stationId: string, month: string): Promise<readonly FeeEvent[]> {
    const rows = await pgQuery(
      this.#pool,
      'read the fee events',
      `SELECT event_id, kind, fee_fen, created_at_ms FROM events
       WHERE station_id = $1 AND kind IN ('WITHDRAWAL_POSTED', 'BILL_PAYMENT', 'MOBILE_TOPUP')
         AND left(business_date, 7) = $2 ORDER BY seq`,
      [stationId, month],
    );
    return rows.map((r) => ({
      eventId: String(r.event_id),
      businessType:
        r.kind === 'WITHDRAWAL_POSTED'
          ? 'CASH_WITHDRAWAL'
          : (String(r.kind) as 'BILL_PAYMENT' | 'MOBILE_TOPUP'),
      feeFen: Number(r.fee_fen),
      atMs: Number(r.created_at_ms),
    }));
  }
}
