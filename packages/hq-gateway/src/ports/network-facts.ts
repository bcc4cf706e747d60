// What the station network's application layer reads from the ingest store (issue 11): the
// month's e-commerce revenue per station for the R10 commission run, and the fee-bearing events
// of a station's month for the R18 fee-compliance check. SQLite and PostgreSQL:
// adapters/{sqlite,postgres}/network-facts.ts.
import type { RevenueLine } from '@bianmin/core-ledger';
import type { FeeEvent } from '../domain/network/fee-compliance.js';

export interface NetworkFacts {
  /** R10: bill-payment and top-up revenue per station of the month 'YYYY-MM' (business dates). */
  monthlyRevenue(month: string): Promise<readonly RevenueLine[]>;
  /** R18: the station's fee-bearing events (posted withdrawals, bill payments, top-ups) of the month. */
  feeEvents(stationId: string, month: string): Promise<readonly FeeEvent[]>;
}
