// The audit log for the supervision department (issue 11): its rows (each read is itself audited)
// and a chain check that names the first broken row (HQ_AUDIT_CHAIN_BROKEN). Issue 12: the
// console pages it newest first on the server (order=desc, offset) and filters by Beijing dates.
import { parseIsoDate, shanghaiDayStartMs } from '@bianmin/core-ledger';
import { HqError } from '../../errors.js';
import { auditOffsetMax, auditRowsMax } from '../../limits.js';
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
          /** Beijing business dates, both included. */
          fromDate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          toDate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
          offset: { type: 'integer', minimum: 0, maximum: auditOffsetMax, default: 0 },
          limit: { type: 'integer', minimum: 1, maximum: auditRowsMax, default: 100 },
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as {
          actor?: string;
          action?: string;
          target?: string;
          fromSeq?: number;
          fromDate?: string;
          toDate?: string;
          order: 'asc' | 'desc';
          offset: number;
          limit: number;
        };
        const dayStartMs = (field: 'fromDate' | 'toDate', date: string, after: number): number => {
          const dayNumber = parseIsoDate(date);
          if (dayNumber !== undefined) return shanghaiDayStartMs(dayNumber + after);
          const message = `${field}: ${date} is not a calendar date (YYYY-MM-DD)`;
          throw new HqError('HQ_HTTP_REQUEST_INVALID', message, {
            problems: [{ code: 'HQ_HTTP_REQUEST_INVALID', field, message }],
          });
        };
        const items = await deps.audit.rows({
          ...(q.actor === undefined ? {} : { actor: q.actor }),
          ...(q.action === undefined ? {} : { action: q.action }),
          ...(q.target === undefined ? {} : { target: q.target }),
          ...(q.fromSeq === undefined ? {} : { seqMin: q.fromSeq }),
          ...(q.fromDate === undefined ? {} : { atMsMin: dayStartMs('fromDate', q.fromDate, 0) }),
          ...(q.toDate === undefined ? {} : { atMsMax: dayStartMs('toDate', q.toDate, 1) }),
          order: q.order,
          offset: q.offset,
          limit: q.limit,
        });
        await deps.audit.record(actor, 'audit.read', '', { rows: items.length });
        return { order: q.order, offset: q.offset, limit: q.limit, items };
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
