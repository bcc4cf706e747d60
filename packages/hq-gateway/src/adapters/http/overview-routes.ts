// The console's overview (issue 12): one answer with what the 总览 page shows, scoped to what the
// actor may see (a branch user: its own stations): stations by state, silent and faulty counts,
// today's volumes and fees by business type (Beijing business date), the newest open alerts and a
// grid of stations per branch office (the region). One request, so the first page of a network of
// 10,000 stations loads without paging through the station list.

import { dailyReportOf } from '../../app/daily-report.js';
import { type StationState, stationStates } from '../../app/station-views.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { overviewAlertsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import type { ApiRoute } from './route.js';

/**
 * The business types (DOMAIN.md 业务种类) the overview sums: posted withdrawals, bill payments,
 * top-ups. Config, quota-applied and close events are bookkeeping, not business (the daily report
 * lists them all).
 */
export const overviewBusinessKinds: ReadonlySet<string> = new Set([
  'WITHDRAWAL_POSTED',
  'BILL_PAYMENT',
  'MOBILE_TOPUP',
]);

export interface OverviewRegion {
  readonly branchId: string | null;
  readonly total: number;
  readonly byState: Record<StationState, number>;
}

function zeroStates(): Record<StationState, number> {
  return Object.fromEntries(stationStates.map((s) => [s, 0])) as Record<StationState, number>;
}

export function overviewRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/overview',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary:
        "the console's overview: stations by state, silent and faulty, today's volumes and fees by business type, open alerts, stations per branch",
      tags: ['console'],
      async handler(_request, _reply, actor) {
        const nowMs = deps.clock.nowMs();
        const businessDate = shanghaiDate(nowMs);
        const rows = await deps.views.rows(actor);
        const visible = new Set(rows.map((r) => r.stationId));
        const byState = zeroStates();
        const regions = new Map<string | null, OverviewRegion>();
        for (const row of rows) {
          byState[row.state] += 1;
          const region = regions.get(row.branchId) ?? {
            branchId: row.branchId,
            total: 0,
            byState: zeroStates(),
          };
          region.byState[row.state] += 1;
          regions.set(row.branchId, { ...region, total: region.total + 1 });
        }
        let silent = 0;
        let faulty = 0;
        for (const status of await deps.store.loadStatuses()) {
          if (!visible.has(status.stationId)) continue;
          if (!status.online && status.offlineReason === 'silence') silent += 1;
          if (status.peripherals.some((p) => !p.ok)) faulty += 1;
        }
        const report = await dailyReportOf(deps.store, businessDate, (id) => visible.has(id));
        const kinds = new Map<string, { kind: string; count: number; amountFen: number; feeFen: number }>();
        for (const station of report.stations) {
          for (const row of station.rows) {
            if (!overviewBusinessKinds.has(row.kind)) continue;
            const sum = kinds.get(row.kind) ?? { kind: row.kind, count: 0, amountFen: 0, feeFen: 0 };
            kinds.set(row.kind, {
              kind: row.kind,
              count: sum.count + row.count,
              amountFen: sum.amountFen + row.amountFen,
              feeFen: sum.feeFen + row.feeFen,
            });
          }
        }
        for (const sum of kinds.values()) {
          if (!Number.isSafeInteger(sum.amountFen) || !Number.isSafeInteger(sum.feeFen)) {
            throw new Error(`overview: the day's ${sum.kind} total is not a safe integer of fen (R1)`);
          }
        }
        // A branch office sees its own stations' alerts (a branch user without a branch: none).
        const own = actor.role === 'branch' ? (actor.branchId ?? '') : undefined;
        const openAlerts = await deps.ops.alerts({
          open: true,
          ...(own === undefined ? {} : { branchId: own }),
          limit: overviewAlertsMax,
          offset: 0,
        });
        const openAlertCount = await deps.ops.countOpenAlerts(own);
        return {
          nowMs,
          businessDate,
          stationCount: rows.length,
          byState,
          silent,
          faulty,
          today: [...kinds.values()].sort((a, b) => (a.kind < b.kind ? -1 : 1)),
          openAlertCount,
          openAlerts,
          regions: [...regions.values()].sort((a, b) =>
            (a.branchId ?? '\uffff') < (b.branchId ?? '\uffff') ? -1 : 1,
          ),
        };
      },
    },
  ];
}
