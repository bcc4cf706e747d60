// The quarantine and discrepancy lists (issue 11). Quarantine rows are redacted copies of refused
// messages that may still have carried card data (R24): confidential, so every read is audited.

import { seesBranch } from '../../domain/roles.js';
import { reportRowsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';

const limitQuery = strictObject({
  limit: { type: 'integer', minimum: 1, maximum: reportRowsMax, default: 100 },
});

export function integrityRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/quarantine',
      roles: ['market', 'supervision'],
      summary: 'quarantined messages, newest first (redacted; each read is audited)',
      tags: ['integrity'],
      schema: { querystring: limitQuery },
      async handler(request, _reply, actor) {
        const { limit } = request.query as { limit: number };
        const rows = await deps.store.quarantine(limit);
        await deps.audit.record(actor, 'quarantine.read', '', { rows: rows.length });
        return {
          items: rows.map((r) => ({
            stationId: r.stationId,
            topic: r.topic,
            reasonCode: r.reasonCode,
            detail: r.detail,
            sizeBytes: r.sizeBytes,
            receivedAtMs: r.receivedAtMs,
            handledSeq: r.handledSeq,
          })),
        };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/discrepancies',
      roles: ['branch', 'market', 'ecommerce', 'supervision', 'finance'],
      summary: 'discrepancies between what kiosks claim and what HQ recomputes, newest first',
      tags: ['integrity'],
      schema: { querystring: limitQuery },
      async handler(request, _reply, actor) {
        const { limit } = request.query as { limit: number };
        const branches = await deps.ops.stationBranches();
        const rows = (await deps.store.discrepancies(limit)).filter((d) =>
          seesBranch(actor, branches.get(d.stationId) ?? null),
        );
        return { items: rows };
      },
    },
  ];
}
