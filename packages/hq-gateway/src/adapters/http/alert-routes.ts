// Alerts (issue 11): the list (open or acknowledged, a branch user's own stations) and the
// acknowledgement by a person (who, when; audited).

import { alertNotFound } from '../../app/alerts.js';
import { seesBranch } from '../../domain/roles.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';
import { pagingProperties } from './station-routes.js';

export function alertRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/alerts',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary: 'alerts, newest first: open (default), acknowledged or all',
      tags: ['alerts'],
      schema: {
        querystring: strictObject({
          state: { type: 'string', enum: ['open', 'acknowledged', 'all'], default: 'open' },
          ...pagingProperties,
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as { state: 'open' | 'acknowledged' | 'all'; limit: number; offset: number };
        const own =
          actor.role === 'branch'
            ? [...(await deps.ops.stationBranches()).entries()]
                .filter(([, b]) => b === actor.branchId)
                .map(([s]) => s)
            : undefined;
        const items = await deps.ops.alerts({
          ...(q.state === 'all' ? {} : { open: q.state === 'open' }),
          ...(own === undefined ? {} : { stationIds: own }),
          limit: q.limit,
          offset: q.offset,
        });
        return { limit: q.limit, offset: q.offset, items };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/alerts/:alertId/ack',
      roles: ['branch', 'market', 'supervision'],
      summary: 'acknowledge an alert (who and when are recorded); acknowledged before: unchanged',
      tags: ['alerts'],
      schema: {
        params: strictObject({ alertId: { type: 'integer', minimum: 1 } }, ['alertId']),
      },
      async handler(request, _reply, actor) {
        const { alertId } = request.params as { alertId: number };
        const alert = await deps.ops.getAlert(alertId);
        if (alert === undefined) throw alertNotFound(alertId);
        const branchId = (await deps.ops.stationBranches()).get(alert.stationId) ?? null;
        if (!seesBranch(actor, branchId)) throw alertNotFound(alertId);
        const outcome = await deps.alerts.acknowledge(alertId, actor.userName);
        await deps.audit.record(actor, 'alert.acknowledge', String(alertId), { kind: alert.kind, outcome });
        return { alertId, outcome, alert: await deps.ops.getAlert(alertId) };
      },
    },
  ];
}
