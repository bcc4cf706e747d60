// The NetworkFacts port over the HQ SQLite store's `events` table (read only). Revenue counts
// bill payments and top-ups by business date (R10); fee events are posted withdrawals, bill
// payments and top-ups (R18), with the kiosk's signed instant.

import type { RevenueLine } from '@bianmin/core-ledger';
import type Database from 'better-sqlite3';
import type { FeeEvent } from '../../domain/network/fee-compliance.js';
import { HqError } from '../../errors.js';
import type { NetworkFacts } from '../../ports/network-facts.js';

export class SqliteNetworkFacts implements NetworkFacts {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async monthlyRevenue(month: string): Promise<readonly RevenueLine[]> {
    try {
      const rows = this.#db
        .prepare(
          `SELECT station_id, kind, SUM(amount_fen) AS revenue FROM events
           WHERE kind IN ('BILL_PAYMENT', 'MOBILE_TOPUP') AND substr(business_date, 1, 7) = ?
           GROUP BY station_id, kind ORDER BY station_id, kind`,
        )
        .all(month) as { station_id: string; kind: 'BILL_PAYMENT' | 'MOBILE_TOPUP'; revenue: number }[];
      return rows.map((r) => ({ stationId: r.station_id, businessType: r.kind, revenueFen: r.revenue }));
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'cannot read the month revenue', { cause: error });
    }
  }

  async feeEvents(stationId: string, month: string): Promise<readonly FeeEvent[]> {
    try {
      const rows = this.#db
        .prepare(
          `SELECT event_id, kind, fee_fen, created_at_ms FROM events
           WHERE station_id = ? AND kind IN ('WITHDRAWAL_POSTED', 'BILL_PAYMENT', 'MOBILE_TOPUP')
             AND substr(business_date, 1, 7) = ? ORDER BY seq`,
        )
        .all(stationId, month) as {
        event_id: string;
        kind: string;
        fee_fen: number;
        created_at_ms: number;
      }[];
      return rows.map((r) => ({
        eventId: r.event_id,
        businessType:
          r.kind === 'WITHDRAWAL_POSTED' ? 'CASH_WITHDRAWAL' : (r.kind as 'BILL_PAYMENT' | 'MOBILE_TOPUP'),
        feeFen: r.fee_fen,
        atMs: r.created_at_ms,
      }));
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'cannot read the fee events', { cause: error });
    }
  }
}
