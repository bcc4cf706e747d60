// Reports (issue 11): the daily report (R7, R8) as JSON (fen) or CSV (UTF-8 with BOM, zh-CN
// headers, yuan, Beijing time: the same writer as `hq report daily --format csv`).

import { dailyReportOf, dailyReportRows } from '../../app/daily-report.js';
import { dailyReportCsv } from '../../domain/daily-report-csv.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { seesBranch } from '../../domain/roles.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';

export function reportRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/reports/daily',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance'],
      summary: 'daily report of a business day (default today, Asia/Shanghai): JSON, or CSV with format=csv',
      tags: ['reports'],
      schema: {
        querystring: strictObject({
          date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
        }),
      },
      async handler(request, reply, actor) {
        const q = request.query as { date?: string; format: 'json' | 'csv' };
        const date = q.date ?? shanghaiDate(deps.clock.nowMs());
        const branches = actor.role === 'branch' ? await deps.ops.stationBranches() : undefined;
        const report = await dailyReportOf(
          deps.store,
          date,
          branches === undefined ? undefined : (id) => seesBranch(actor, branches.get(id) ?? null),
        );
        if (q.format === 'json') return report;
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="daily-${date}.csv"`);
        return dailyReportCsv(date, dailyReportRows(report), deps.clock.nowMs());
      },
    },
  ];
}
