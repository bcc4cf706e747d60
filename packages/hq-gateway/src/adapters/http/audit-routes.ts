// The audit log for the supervision department (issue 11): its rows (each read is itself audited)
// and a chain check that names the first broken row (HQ_AUDIT_CHAIN_BROKEN).
import { auditRowsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';

export function auditRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/audit',
      roles: ['supervision'],
      summary: 'audit rows in order, filtered by actor, action, target, from a seq',
      tags: ['audit'],
      schema: {
        querystring: strictObject({
          actor: { type: 'string', minLength: 1, maxLength: 64 },
          action: { type: 'string', minLength: 1, maxLength: 64 },
          target: { type: 'string', minLength: 1, maxLength: 64 },
          fromSeq: { type: 'integer', minimum: 1 },
          limit: { type: 'integer', minimum: 1, maximum: auditRowsMax, default: 100 },
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as {
          actor?: string;
          action?: string;
          target?: string;
          fromSeq?: number;
          limit: number;
        };
        const items = await deps.audit.rows({
          ...(q.actor === undefined ? {} : { actor: q.actor }),
          ...(q.action === undefined ? {} : { action: q.action }),
          ...(q.target === undefined ? {} : { target: q.target }),
          ...(q.fromSeq === undefined ? {} : { seqMin: q.fromSeq }),
          limit: q.limit,
        });
        await deps.audit.record(actor, 'audit.read', '', { rows: items.length });
        return { items };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/audit/verify',
      roles: ['supervision'],
      summary: 'check the audit hash chain: ok with its head, or the first broken row',
      tags: ['audit'],
      async handler(_request, reply) {
        const check = await deps.audit.verify();
        if (!check.ok) {
          return reply.code(409).send({
            ...check,
            code: 'HQ_AUDIT_CHAIN_BROKEN',
          });
        }
        return check;
      },
    },
  ];
}
